"""Re-encrypt every stored LINE token with the first key of LINE_AUTH_ENCRYPTION_KEYS.

Rotation: put the new key first in LINE_AUTH_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then remove the old keys. Safe to re-run; rows that no
configured key opens are reported and left untouched.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from line_auth.models import LineAccount

TOKEN_FIELDS = ("access_token", "refresh_token")


class Command(BaseCommand):
    help = "Re-encrypt stored LINE tokens with the newest key in LINE_AUTH_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        rotated = unreadable = 0
        batch: list[LineAccount] = []
        rows = LineAccount.objects.order_by("pk").values_list("pk", *TOKEN_FIELDS)
        for pk, access_token, refresh_token in rows.iterator(chunk_size=batch_size):
            if access_token is None or refresh_token is None:
                unreadable += 1
                continue
            batch.append(LineAccount(pk=pk, access_token=access_token, refresh_token=refresh_token))
            if len(batch) >= batch_size:
                rotated += self._save(batch, batch_size)
        rotated += self._save(batch, batch_size)
        self.stdout.write(f"re-encrypted {rotated} accounts; {unreadable} unreadable with the configured keys")
        if unreadable:
            raise CommandError(f"{unreadable} accounts hold tokens no configured key can decrypt")

    @staticmethod
    def _save(batch: list[LineAccount], batch_size: int) -> int:
        count = len(batch)
        if batch:
            LineAccount.objects.bulk_update(batch, TOKEN_FIELDS, batch_size=batch_size)
            batch.clear()
        return count
