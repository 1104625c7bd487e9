"""Pure rules about a LINE account's stored tokens: usable now, new expiry, copying.

No database access and no call to LINE, so :mod:`line_auth.tokens` (the token
lifecycle) and anything else reading an account's tokens share one version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from line_auth.models import LineAccount

# A token this close to its expiry is refreshed before use, so it cannot die mid-request.
USE_MARGIN = timedelta(minutes=5)
# The columns a refresh may change, copied from the locked row to the caller's instance.
TOKEN_STATE = (
    "access_token",
    "refresh_token",
    "access_token_expires_at",
    "refresh_token_expires_at",
    "scopes",
    "needs_relogin",
    "modified",
)


def is_usable(account: LineAccount, now: datetime) -> bool:
    """Whether the stored access token can be sent to LINE now, with margin to spare."""
    expires_at = account.access_token_expires_at
    return bool(account.access_token) and (expires_at is None or expires_at > now + USE_MARGIN)


def copy_tokens(source: LineAccount, target: LineAccount) -> None:
    """Mirror a refreshed row onto another instance of the same account."""
    for name in TOKEN_STATE:
        setattr(target, name, getattr(source, name))


def refreshed_fields(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The columns to write from LINE's refresh answer, received at ``now``."""
    expires_in = data.get("expires_in")
    fields: dict[str, Any] = {
        "access_token": data["access_token"],
        "access_token_expires_at": (
            now + timedelta(seconds=expires_in) if isinstance(expires_in, int) else None
        ),
    }
    # LINE returns the same refresh token; if it ever sends another, keep that one.
    # Either way the 90-day deadline stays where the login put it.
    if isinstance(data.get("refresh_token"), str) and data["refresh_token"]:
        fields["refresh_token"] = data["refresh_token"]
    if isinstance(data.get("scope"), str):
        fields["scopes"] = data["scope"]
    return fields
