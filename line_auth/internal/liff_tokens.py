"""LIFF ID tokens sent without a server nonce: fresh, and accepted once.

LIFF's own guidance is to send ``liff.getIDToken()`` to the server and verify
it there; such a token carries no nonce this server issued, so nothing ties it
to this login. What stands in for the nonce: the token must have been issued
moments ago (``LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE``), and it is spent on first use,
with ``cache.add`` on the shared cache so that holds across every web process.
https://developers.line.biz/en/reference/liff/#get-id-token
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any

from line_auth.conf import line_settings
from line_auth.exceptions import IdTokenReplayed, IdTokenTooOld, InvalidIdToken
from line_auth.internal.cache import shared_cache

PREFIX = "line_auth:liff-id-token:used:"


def accept_once(claims: dict[str, Any], *, now: float | None = None) -> None:
    """Refuse a stale token or one already used; otherwise mark it used until it expires.

    The marker is keyed on the verified claims, not on the token's text: an ES256
    signature can be rewritten into another valid one, so the same token could
    otherwise come back under a different spelling.
    """
    now = time.time() if now is None else now
    issued, expires = _number(claims, "iat"), _number(claims, "exp")
    max_age = line_settings.liff_id_token_max_age
    if now - issued > max_age:
        raise IdTokenTooOld(f"issued more than {max_age} seconds ago; send a fresh liff.getIDToken()")
    # Kept past exp by the leeway, the longest the token could still verify.
    lifetime = max(1, math.ceil(expires - now + line_settings.id_token_leeway))
    if not shared_cache().add(PREFIX + _fingerprint(claims), True, lifetime):
        raise IdTokenReplayed("this ID token was already used to log in")


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidIdToken(f"missing claim {name}")
    return float(value)


def _fingerprint(claims: dict[str, Any]) -> str:
    canonical = json.dumps(claims, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
