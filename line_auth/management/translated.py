"""A management command whose help is shown in the active language."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _


class TranslatedCommand(BaseCommand):
    """Set ``help`` with ``gettext_noop``: it is translated when the parser is made, because
    argparse needs a real ``str``, not a lazy translation."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser
