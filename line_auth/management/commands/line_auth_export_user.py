"""``manage.py line_auth_export_user <pk or username>``: what line_auth holds about one user, as JSON.

For a request to see one's data (APPI, PDPA). No token or secret is ever in it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from line_auth import privacy
from line_auth.management.translated import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_noop("Print, as JSON, everything line_auth holds about one user.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help=_("The user's primary key or username."))

    def handle(self, *args: Any, **options: Any) -> None:
        user = privacy.find_user(options["user"])
        if user is None:
            raise CommandError(_("No user has that primary key or username."))
        self.stdout.write(json.dumps(privacy.export_user_data(user), ensure_ascii=False, indent=2))
