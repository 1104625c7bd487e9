"""``manage.py line_auth_erase_user <pk or username>``: erase what line_auth holds about one user.

For a request to erase one's data (APPI, PDPA): deauthorizes the app at LINE
(queued when LINE is down) and deletes the user's LINE links, friendship history
and pending rows. The Django user itself stays; delete it afterwards if asked to.
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
    help = gettext_noop("Deauthorize at LINE and delete everything line_auth holds about one user.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help=_("The user's primary key or username."))
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help=_("Do not ask for confirmation."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = privacy.find_user(options["user"])
        if user is None:
            raise CommandError(_("No user has that primary key or username."))
        if options["interactive"]:
            answer = input(_("Erase the LINE data of %(user)s? Type 'yes' to continue: ") % {"user": user})
            if answer != "yes":
                raise CommandError(_("Erasure cancelled."))
        report = privacy.erase_user_data(user)
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
