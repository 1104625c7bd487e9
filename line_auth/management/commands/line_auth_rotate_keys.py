"""Re-encrypt every stored LINE token with the first key of LINE_AUTH_ENCRYPTION_KEYS.

Rotation: put the new key first in LINE_AUTH_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then remove the old keys. Safe to re-run; rows that no
configured key opens are reported and left untouched, because the missing key
may only have been left out of the settings.

``--check`` only counts those rows. ``--forget-unreadable`` is for a key that is
lost for good: those accounts are marked as needing a new LINE login (sending
``line_relogin_needed``) and their unreadable tokens are dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from line_auth import tokens
from line_auth.internal.key_audit import TOKEN_FIELDS, stored_tokens
from line_auth.models import LineAccount


class Command(BaseCommand):
    help = "Re-encrypt stored LINE tokens with the newest key in LINE_AUTH_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--check",
            action="store_true",
            help=_("Only count the accounts holding a token no configured key opens; write nothing."),
        )
        mode.add_argument(
            "--forget-unreadable",
            action="store_true",
            help=_(
                "Mark accounts holding a token no configured key opens as needing a new "
                "LINE login, and drop those tokens (when the old key is lost for good)."
            ),
        )

    def handle(
        self, *args: Any, batch_size: int, check: bool, forget_unreadable: bool, **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        rotated = 0
        unreadable: list[int] = []
        batch: list[LineAccount] = []
        for stored in stored_tokens(chunk_size=batch_size):
            if stored.unreadable:
                unreadable.append(stored.pk)
            elif not check:
                batch.append(
                    LineAccount(
                        pk=stored.pk,
                        access_token=stored.access_token,
                        refresh_token=stored.refresh_token,
                    )
                )
                if len(batch) >= batch_size:
                    rotated += self._save(batch, batch_size)
        rotated += self._save(batch, batch_size)
        if check:
            self.stdout.write(
                ngettext(
                    "%(count)d account holds tokens no configured key can decrypt",
                    "%(count)d accounts hold tokens no configured key can decrypt",
                    len(unreadable),
                )
                % {"count": len(unreadable)}
            )
        else:
            # The English output is kept word for word as before, so both forms say "accounts".
            self.stdout.write(
                ngettext(
                    "re-encrypted %(rotated)d accounts; %(unreadable)d unreadable with the "
                    "configured keys",
                    "re-encrypted %(rotated)d accounts; %(unreadable)d unreadable with the "
                    "configured keys",
                    rotated,
                )
                % {"rotated": rotated, "unreadable": len(unreadable)}
            )
        if forget_unreadable:
            forgotten = self._forget(unreadable, batch_size)
            self.stdout.write(
                ngettext(
                    "Marked %(count)d account as needing a new LINE login.",
                    "Marked %(count)d accounts as needing a new LINE login.",
                    forgotten,
                )
                % {"count": forgotten}
            )
        elif unreadable:
            raise CommandError(
                ngettext(
                    "%(count)d account holds tokens no configured key can decrypt: put the "
                    "missing key back in LINE_AUTH_ENCRYPTION_KEYS, or run this command with "
                    "--forget-unreadable if it is lost.",
                    "%(count)d accounts hold tokens no configured key can decrypt: put the "
                    "missing key back in LINE_AUTH_ENCRYPTION_KEYS, or run this command with "
                    "--forget-unreadable if it is lost.",
                    len(unreadable),
                )
                % {"count": len(unreadable)}
            )

    @staticmethod
    def _save(batch: list[LineAccount], batch_size: int) -> int:
        count = len(batch)
        if batch:
            LineAccount.objects.bulk_update(batch, TOKEN_FIELDS, batch_size=batch_size)
            batch.clear()
        return count

    @staticmethod
    def _forget(account_ids: list[int], batch_size: int) -> int:
        forgotten = 0
        for start in range(0, len(account_ids), batch_size):
            chunk = account_ids[start : start + batch_size]
            for account in LineAccount.objects.filter(pk__in=chunk).only("line_user_id", "modified"):
                forgotten += tokens.mark_relogin(account, "unreadable") == tokens.Outcome.RELOGIN
        return forgotten
