"""The identity a login carries into the pipeline, from LINE's two sources.

Web logins and native/LIFF logins both read it from a verified ID token or,
without one, from LINE's profile API; both shapes end up as the same dict.
"""

from __future__ import annotations

from typing import Any


def from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The identity in a verified ID token (the only place LINE puts the email)."""
    return {
        "sub": claims["sub"],
        "name": claims.get("name", ""),
        "picture": claims.get("picture", ""),
        "email": claims.get("email", ""),
        "amr": claims.get("amr", []),
    }


def from_profile(profile: dict[str, Any]) -> dict[str, Any] | None:
    """The identity in a ``/v2/profile`` answer; ``None`` when it has no user ID."""
    user_id = profile.get("userId")
    if not isinstance(user_id, str) or not user_id:
        return None
    return {
        "sub": user_id,
        "name": profile.get("displayName", ""),
        "picture": profile.get("pictureUrl", ""),
        "email": "",
        "amr": [],
    }
