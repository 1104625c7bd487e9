"""``manage.py refresh_line_tokens``: refresh every access token that expires soon.

Accounts are read in keyset pages of ``--chunk-size`` (primary key order), so
memory stays flat at any number of accounts and no cursor is held open while
rows are written. Calls to LINE run in a thread pool with at most
``2 × --concurrency`` in flight; results are written by the main thread as they
arrive. Re-running is safe: refreshed tokens leave the window, and accounts
that need a new login are never tried again. Exits non-zero if any refresh failed.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from line_auth import tokens
from line_auth.conf import line_settings
from line_auth.models import LineAccount
from line_auth.tokens import Outcome

# The columns a refresh needs; the rest of the row is never loaded.
COLUMNS = ("pk", "line_user_id", "refresh_token", "refresh_token_expires_at", "modified")
PROGRESS_EVERY = 2.0  # seconds between progress lines


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
        in_flight: dict[Future[tokens.Exchange], LineAccount] = {}
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="line-refresh") as pool:
            last_pk = 0
            while page := list(due.filter(pk__gt=last_pk)[:chunk_size]):
                last_pk = page[-1].pk
                for account in page:
                    decided = tokens.decide_without_line(account, now)
                    if decided is not None:
                        self.tally(decided)
                        continue
                    while len(in_flight) >= 2 * concurrency:
                        self.drain(in_flight, FIRST_COMPLETED)
                    in_flight[pool.submit(tokens.exchange, account.refresh_token)] = account
            while in_flight:
                self.drain(in_flight, FIRST_COMPLETED)
        self.summarize()

    def drain(self, in_flight: dict[Future[tokens.Exchange], LineAccount], when: str) -> None:
        """Write the results of finished calls, one row each, in one commit.

        Committing per batch rather than per row keeps the database from being
        the bottleneck (a commit per row caps SQLite near 100 rows a second).
        """
        done, _ = wait(in_flight, return_when=when)
        with transaction.atomic():
            for future in done:
                account = in_flight.pop(future)
                self.tally(tokens.record(account, future.result()))

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
        if self.counts[Outcome.FAILED]:
            raise CommandError(
                f"{self.counts[Outcome.FAILED]} refreshes failed; LINE was unavailable. "
                "Run the command again later."
            )
