"""``manage.py line_auth_refresh_tokens``: refresh every access token that expires soon.

The work is :func:`line_auth.tokens.refresh_many` on the accounts due (keyset
pages of ``--chunk-size``, at most ``2 × --concurrency`` calls to LINE in
flight, answers committed in batches); this command only reads its options and
prints the outcome. Re-running is safe: refreshed tokens leave the window, and
accounts that need a new login are never tried again. Exits non-zero if any
refresh failed.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from line_auth import channels, tokens
from line_auth.channels import UnknownChannel
from line_auth.tokens import Outcome


class Command(BaseCommand):
    help = "Refresh LINE access tokens that expire within LINE_AUTH_REFRESH_WINDOW."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=tokens.CONCURRENCY, help="Calls to LINE at once."
        )
        parser.add_argument(
            "--window",
            type=int,
            default=None,
            help="Refresh tokens expiring within this many seconds "
            "(default: LINE_AUTH_REFRESH_WINDOW).",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=tokens.PAGE_SIZE, help="Accounts read per query."
        )
        parser.add_argument(
            "--channel", default=None, help="Only the accounts of this channel (its short name)."
        )

    def handle(
        self, *args: Any, concurrency: int, window: int | None, chunk_size: int, channel: str | None,
        **options: Any,
    ) -> None:
        if concurrency < 1 or chunk_size < 1:
            raise CommandError("--concurrency and --chunk-size must be at least 1.")
        try:
            due = channels.limit_to(tokens.due_for_refresh(window=window), channel)
        except UnknownChannel:
            raise CommandError(f"No LINE channel is called {channel!r}.") from None
        total = due.count()
        counts = tokens.refresh_many(
            due,
            concurrency=concurrency,
            page_size=chunk_size,
            progress=lambda counts: self.stderr.write(f"{counts.total()}/{total} {describe(counts)}"),
        )
        # The English output is kept word for word as before, so both forms are the same.
        self.stdout.write(
            ngettext(
                "Refreshed %(refreshed)d, re-login needed %(relogin)d, failed %(failed)d, "
                "skipped %(skipped)d (of %(total)d due).",
                "Refreshed %(refreshed)d, re-login needed %(relogin)d, failed %(failed)d, "
                "skipped %(skipped)d (of %(total)d due).",
                total,
            )
            % {
                "refreshed": counts[Outcome.REFRESHED],
                "relogin": counts[Outcome.RELOGIN],
                "failed": counts[Outcome.FAILED],
                "skipped": counts[Outcome.SKIPPED],
                "total": total,
            }
        )
        if counts[Outcome.UNREADABLE]:
            self.stderr.write(
                ngettext(
                    "Skipped %(count)d account whose refresh token no key in "
                    "LINE_AUTH_ENCRYPTION_KEYS opens; see line_auth_rotate_keys --check.",
                    "Skipped %(count)d accounts whose refresh token no key in "
                    "LINE_AUTH_ENCRYPTION_KEYS opens; see line_auth_rotate_keys --check.",
                    counts[Outcome.UNREADABLE],
                )
                % {"count": counts[Outcome.UNREADABLE]}
            )
        if counts[Outcome.NO_CHANNEL]:
            self.stderr.write(
                ngettext(
                    "Skipped %(count)d account whose channel is no longer configured.",
                    "Skipped %(count)d accounts whose channel is no longer configured.",
                    counts[Outcome.NO_CHANNEL],
                )
                % {"count": counts[Outcome.NO_CHANNEL]}
            )
        if counts[Outcome.FAILED]:
            raise CommandError(
                f"{counts[Outcome.FAILED]} refreshes failed; LINE was unavailable. "
                "Run the command again later."
            )


def describe(counts: Counter[Outcome]) -> str:
    """A progress line's tally: every outcome, in a fixed order."""
    return ", ".join(f"{outcome.value}={counts[outcome]}" for outcome in Outcome)
