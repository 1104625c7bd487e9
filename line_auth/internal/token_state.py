"""Pure rules about a LINE account's stored tokens: usable now, expiry, copying.

No call to LINE, so :mod:`line_auth.tokens` (the token lifecycle), the
friendship sync, the pipeline and the admin all share one version of each rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from line_auth.models import AccessTokenKind, LineAccount

# A token this close to its expiry is refreshed before use, so it cannot die mid-request.
USE_MARGIN = timedelta(minutes=5)
# The columns a refresh may change, copied from the locked row to the caller's instance.
TOKEN_STATE = (
    "access_token",
    "refresh_token",
    "access_token_expires_at",
    "refresh_token_expires_at",
    "scopes",
    "access_token_kind",
    "needs_relogin",
    "modified",
)


def is_usable(account: LineAccount, now: datetime) -> bool:
    """Whether the stored access token can be sent to LINE now, with margin to spare.

    A token no configured key opens reads as ``""`` and a flagged account waits
    for a new login, so neither is ever usable.
    """
    expires_at = account.access_token_expires_at
    return (
        not account.needs_relogin
        and bool(account.access_token)
        and (expires_at is None or expires_at > now + USE_MARGIN)
    )


def usable_in_database(now: datetime) -> Q:
    """:func:`is_usable` as a query, to page over rows before their tokens are decrypted.

    A ciphertext no key opens still looks present here; :func:`is_usable` on the
    loaded row has the last word.
    """
    return (
        Q(needs_relogin=False)
        & ~Q(access_token="")
        & (Q(access_token_expires_at__isnull=True) | Q(access_token_expires_at__gt=now + USE_MARGIN))
    )


def expires_at(expires_in: object, now: datetime) -> datetime | None:
    """When a token LINE said lasts ``expires_in`` seconds dies; ``None`` when LINE did not say."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        return None
    return now + timedelta(seconds=expires_in)


def copy_tokens(source: LineAccount, target: LineAccount) -> None:
    """Mirror a refreshed row onto another instance of the same account."""
    for name in TOKEN_STATE:
        setattr(target, name, getattr(source, name))


def refreshed_fields(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The columns to write from LINE's refresh answer, received at ``now``."""
    fields: dict[str, Any] = {
        "access_token": data["access_token"],
        "access_token_expires_at": expires_at(data.get("expires_in"), now),
        "access_token_kind": AccessTokenKind.LOGIN,
    }
    # LINE returns the same refresh token; if it ever sends another, keep that one.
    # Either way the 90-day deadline stays where the login put it.
    if isinstance(data.get("refresh_token"), str) and data["refresh_token"]:
        fields["refresh_token"] = data["refresh_token"]
    if isinstance(data.get("scope"), str):
        fields["scopes"] = data["scope"]
    return fields
