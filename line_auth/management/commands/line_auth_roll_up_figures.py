"""``manage.py line_auth_roll_up_figures``: count the admin overview's figures again.

Each run counts again only the days since the previous run (and the snapshots:
friendship share, tokens expiring), so scheduling it every few minutes stays
cheap at millions of accounts; ``--full`` counts every day again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from line_auth import figures
from line_auth.management.translated import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_noop("Count the daily figures the LINE accounts overview shows.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help=_("Count every day again, not only the recent ones.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        written = figures.roll_up(full=options["full"])
        self.stdout.write(_("Wrote %(count)d daily figures.") % {"count": written})
