"""``manage.py line_auth_sync_friendships``: re-check stale friendship statuses with LINE.

Safe to run again at any time (from cron, say): only accounts whose status is
older than ``--older-than`` are asked, so a second run after an interrupted one
carries on where the first stopped. It exits non-zero when any call failed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.dateparse import parse_duration
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from line_auth import channels
from line_auth.channels import UnknownChannel
from line_auth.conf import line_settings
from line_auth.friendship.sync import SyncReport, stale_accounts, sync_friendships
from line_auth.management.translated import TranslatedCommand
from line_auth.models import FriendshipSource


def duration(value: str) -> timedelta:
    """Seconds (``86400``), ISO 8601 (``P7D``, ``PT12H``) or Django's ``7 00:00:00``."""
    parsed = parse_duration(value)
    if parsed is None or parsed < timedelta(0):
        raise ValueError(value)
    return parsed


class Command(TranslatedCommand):
    # Marked for translation here, translated in create_parser: argparse needs a real str
    # (a lazy string made --help fail with a TypeError).
    help = gettext_noop("Ask LINE again for the friendship status of accounts that are stale.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=duration,
            default=None,
            help=_(
                "Re-check statuses older than this: seconds, or ISO 8601 such as P7D or PT12H "
                "(default: LINE_AUTH_FRIENDSHIP_STALE_AFTER, 7 days)."
            ),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=_(
                "Calls to LINE at the same time (default: LINE_AUTH_FRIENDSHIP_SYNC_WORKERS, 4)."
            ),
        )
        parser.add_argument(
            "--channel", default=None, help=_("Only the accounts of this channel (its short name).")
        )

    def handle(
        self, *args: Any, older_than: timedelta | None, workers: int | None, channel: str | None,
        **options: Any,
    ) -> None:
        if older_than is None:
            older_than = line_settings.friendship_stale_after
        try:
            accounts = channels.limit_to(stale_accounts(older_than), channel)
        except UnknownChannel:
            raise CommandError(_("No LINE channel is called %(name)s.") % {"name": channel}) from None
        report = sync_friendships(
            accounts,
            source=FriendshipSource.SYNC,
            workers=workers or line_settings.friendship_sync_workers,
            progress=self._progress,
        )
        self.stdout.write(
            ngettext(
                "Checked %(checked)d of %(total)d account: %(changed)d changed, "
                "%(failed)d failed, %(skipped)d skipped without a usable access token.",
                "Checked %(checked)d of %(total)d accounts: %(changed)d changed, "
                "%(failed)d failed, %(skipped)d skipped without a usable access token.",
                report.total,
            )
            % report.as_dict()
        )
        if report.failed:
            raise CommandError(
                ngettext(
                    "%(failed)d check failed; run the command again later.",
                    "%(failed)d checks failed; run the command again later.",
                    report.failed,
                )
                % report.as_dict()
            )

    def _progress(self, report: SyncReport) -> None:
        done = report.checked + report.failed
        self.stderr.write(_("%(done)d/%(total)d checked") % {"done": done, "total": report.total})
