"""Which stored tokens the configured keys still open: for key rotation and checks E012/W014.

Rows are read with their ciphertext as stored (a plain-text cast, so the field's
per-read warning is not logged thousands of times) and opened here, in primary
key order and in chunks, so memory stays flat at any number of accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import TextField
from django.db.models.functions import Cast

from line_auth.fields import is_unreadable, open_stored
from line_auth.models import LineAccount

TOKEN_FIELDS = ("access_token", "refresh_token")


@dataclass(frozen=True)
class StoredTokens:
    """One account's tokens, opened: ``""`` when absent, an ``UnreadableToken`` when no key opens it."""

    pk: int
    access_token: str
    refresh_token: str

    @property
    def unreadable(self) -> bool:
        return is_unreadable(self.access_token) or is_unreadable(self.refresh_token)


@dataclass(frozen=True)
class KeyAudit:
    """How many accounts hold a token, and how many of those hold one no configured key opens."""

    with_tokens: int
    unreadable: int


def stored_tokens(
    chunk_size: int = 500, using: str = DEFAULT_DB_ALIAS, newest: int | None = None
) -> Iterator[StoredTokens]:
    """Every account holding at least one token (or only the ``newest`` ones), tokens opened."""
    ciphertexts = {f"{name}_stored": Cast(name, output_field=TextField()) for name in TOKEN_FIELDS}
    rows = (
        LineAccount.objects.using(using)
        .exclude(access_token="", refresh_token="")
        .order_by("-pk" if newest else "pk")
        .annotate(**ciphertexts)
        .values_list("pk", *ciphertexts)
    )
    if newest:
        rows = rows[:newest]
    for pk, access_token, refresh_token in rows.iterator(chunk_size=chunk_size):
        yield StoredTokens(pk, _open(access_token), _open(refresh_token))


def audit(using: str = DEFAULT_DB_ALIAS, newest: int | None = None) -> KeyAudit:
    """Count the accounts (all, or the ``newest``) whose tokens the configured keys cannot open."""
    with_tokens = unreadable = 0
    for tokens in stored_tokens(chunk_size=2000, using=using, newest=newest):
        with_tokens += 1
        unreadable += tokens.unreadable
    return KeyAudit(with_tokens=with_tokens, unreadable=unreadable)


def _open(ciphertext: str | None) -> str:
    return open_stored(ciphertext) if ciphertext else ""
