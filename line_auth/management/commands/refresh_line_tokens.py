"""``manage.py refresh_line_tokens``: refresh every access token that expires soon.

Accounts are read in keyset pages of ``--chunk-size`` (primary key order), so
memory stays flat at any number of accounts and no cursor is held open while
rows are written. Calls to LINE run in a thread pool with at most
``2 × --concurrency`` in flight; the main thread takes answers as they arrive
and writes them in batches, one commit per ``WRITE_BATCH`` rows or
``WRITE_EVERY`` seconds, whichever comes first. A finished call frees its slot
at once, so calls to LINE never wait for a commit. Answers not yet written when
the process dies are harmless to lose: LINE returns the same refresh token, and
the next run refreshes those accounts again. Re-running is safe: refreshed
tokens leave the window, and accounts that need a new login are never tried
again. Exits non-zero if any refresh failed.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, SimpleQueue
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from line_auth import tokens
from line_auth.conf import line_settings
from line_auth.models import LineAccount
from line_auth.tokens import Outcome

# The columns a refresh needs; the rest of the row is never loaded.
COLUMNS = ("pk", "line_user_id", "refresh_token", "refresh_token_expires_at", "modified")
PROGRESS_EVERY = 2.0  # seconds between progress lines
# Measured with benchmarks/refresh_bulk.py at 50 ms per LINE call: a commit per finished
# call (3-5 ms each on SQLite) kept the main thread busy and calls waiting to be handed
# out (78% of the ideal rate at --concurrency 16, 93-95% with batches). Batches much
# longer than 20 ms hold the GIL long enough to delay the worker threads (84% at 32).
WRITE_BATCH = 200  # answers written per commit at most
WRITE_EVERY = 0.02  # seconds an answer may wait for its commit


class Command(BaseCommand):
    help = "Refresh LINE access tokens that expire within LINE_AUTH_REFRESH_WINDOW."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=4, help="Calls to LINE at once.")
        parser.add_argument(
            "--window",
            type=int,
            default=None,
            help="Refresh tokens expiring within this many seconds "
            "(default: LINE_AUTH_REFRESH_WINDOW).",
        )
        parser.add_argument("--chunk-size", type=int, default=500, help="Accounts read per query.")

    def handle(
        self, *args: Any, concurrency: int, window: int | None, chunk_size: int, **options: Any
    ) -> None:
        if concurrency < 1 or chunk_size < 1:
            raise CommandError("--concurrency and --chunk-size must be at least 1.")
        now = timezone.now()
        window = line_settings.refresh_window if window is None else window
        due = tokens.due_for_refresh(now=now, window=window).only(*COLUMNS).order_by("pk")
        self.total = due.count()
        self.counts: Counter[Outcome] = Counter()
        self.last_progress = time.monotonic()
        # Finished calls land here from the worker threads (a done-callback each), so the
        # main thread takes answers one by one instead of polling every pending future.
        self.finished: SimpleQueue[tuple[LineAccount, Future[tokens.Exchange]]] = SimpleQueue()
        self.in_flight = 0
        self.answered: list[tuple[LineAccount, tokens.Exchange]] = []
        self.last_write = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="line-refresh") as pool:
            last_pk = 0
            while page := list(due.filter(pk__gt=last_pk)[:chunk_size]):
                last_pk = page[-1].pk
                for account in page:
                    decided = tokens.decide_without_line(account, now)
                    if decided is not None:
                        self.tally(decided)
                        continue
                    while self.in_flight >= 2 * concurrency:
                        self.collect()
                    self.submit(pool, account)
            while self.in_flight:
                self.collect()
        self.write()
        self.summarize()

    def submit(self, pool: ThreadPoolExecutor, account: LineAccount) -> None:
        """Start one call to LINE; its answer is queued for the main thread when it ends."""
        future = pool.submit(tokens.exchange, account.refresh_token)
        self.in_flight += 1
        future.add_done_callback(lambda done: self.finished.put((account, done)))

    def collect(self) -> None:
        """Take the answers that have arrived (waiting for one), and write when a batch is due."""
        deadline = self.last_write + WRITE_EVERY
        try:
            account, future = self.finished.get(timeout=max(0.0, deadline - time.monotonic()))
            while True:
                self.answered.append((account, future.result()))
                self.in_flight -= 1
                account, future = self.finished.get_nowait()
        except Empty:
            pass
        if len(self.answered) >= WRITE_BATCH or time.monotonic() >= deadline:
            self.write()

    def write(self) -> None:
        """Write the answers collected so far, one row each, in one commit."""
        if self.answered:
            with transaction.atomic():
                for account, result in self.answered:
                    self.tally(tokens.record(account, result))
            self.answered.clear()
        self.last_write = time.monotonic()

    def tally(self, outcome: Outcome) -> None:
        self.counts[outcome] += 1
        if time.monotonic() - self.last_progress >= PROGRESS_EVERY:
            self.last_progress = time.monotonic()
            self.stderr.write(f"{sum(self.counts.values())}/{self.total} {self.describe()}")

    def describe(self) -> str:
        return ", ".join(f"{outcome.value}={self.counts[outcome]}" for outcome in Outcome)

    def summarize(self) -> None:
        self.stdout.write(
            f"Refreshed {self.counts[Outcome.REFRESHED]}, re-login needed "
            f"{self.counts[Outcome.RELOGIN]}, failed {self.counts[Outcome.FAILED]}, "
            f"skipped {self.counts[Outcome.SKIPPED]} (of {self.total} due)."
        )
        if self.counts[Outcome.UNREADABLE]:
            self.stderr.write(
                ngettext(
                    "Skipped %(count)d account whose refresh token no key in "
                    "LINE_AUTH_ENCRYPTION_KEYS opens; see line_auth_rotate_keys --check.",
                    "Skipped %(count)d accounts whose refresh token no key in "
                    "LINE_AUTH_ENCRYPTION_KEYS opens; see line_auth_rotate_keys --check.",
                    self.counts[Outcome.UNREADABLE],
                )
                % {"count": self.counts[Outcome.UNREADABLE]}
            )
        if self.counts[Outcome.FAILED]:
            raise CommandError(
                f"{self.counts[Outcome.FAILED]} refreshes failed; LINE was unavailable. "
                "Run the command again later."
            )
