"""``manage.py line_auth_retry_deauthorizations``: retry the deauthorizations LINE could not take.

Runs the same code as the task ``line_auth.retry_deauthorizations``; schedule
either every few minutes. Safe to run at any time and in parallel: each queued
row is tried under its own lock, and only once its next attempt is due.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from line_auth import deauthorization
from line_auth.management.translated import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_noop("Retry the queued LINE deauthorizations that are due.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help=_("Try at most this many."))

    def handle(self, *args: Any, **options: Any) -> None:
        counts = deauthorization.retry_due(limit=options["limit"])
        outcomes = ", ".join(f"{outcome}={counts[outcome]}" for outcome in deauthorization.Outcome if counts[outcome])
        self.stdout.write(_("Retried %(count)d deauthorizations: %(outcomes)s.") % {
            "count": sum(counts.values()), "outcomes": outcomes or "-",
        })
