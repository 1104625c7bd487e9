"""The identity a login carries into the pipeline, from LINE's two sources.

Web logins and native/LIFF logins both read it from a verified ID token or,
without one, from LINE's profile API; both shapes end up as the same dict.
Its values are raw; :mod:`line_auth.internal.fitting` makes them fit where they are
written. Only the LINE user ID is checked here: it is never cut or repaired,
so one that cannot be stored as it is refuses the login.
"""

from __future__ import annotations

from typing import Any

from line_auth.exceptions import InvalidIdToken
from line_auth.internal import fitting
from line_auth.models import LineAccount


def line_user_id(value: Any) -> str:
    """``value`` if it can be stored whole as a LINE user ID, else ``""``."""
    return fitting.whole(LineAccount, "line_user_id", value)


def from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The identity in a verified ID token (the only place LINE puts the email)."""
    sub = line_user_id(claims.get("sub"))
    if not sub:
        raise InvalidIdToken("the sub claim is not a LINE user ID")
    return {
        "sub": sub,
        "name": claims.get("name", ""),
        "picture": claims.get("picture", ""),
        "email": claims.get("email", ""),
        "amr": claims.get("amr", []),
        # Only with max_age in the request; recent_line_login reads it from the session.
        "auth_time": claims.get("auth_time"),
    }


def from_profile(profile: dict[str, Any]) -> dict[str, Any] | None:
    """The identity in a ``/v2/profile`` answer; ``None`` when it has no usable user ID."""
    user_id = line_user_id(profile.get("userId"))
    if not user_id:
        return None
    return {
        "sub": user_id,
        "name": profile.get("displayName", ""),
        "picture": profile.get("pictureUrl", ""),
        "email": "",
        "amr": [],
    }
