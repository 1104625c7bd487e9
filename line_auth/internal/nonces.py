"""Nonces the server issues to apps: signed, expiring, and accepted once.

An app asks for a nonce, passes it to the LINE SDK or LIFF login, and sends it
back with the ID token. Only a nonce this server issued, not yet used and not
expired, is accepted, which stops a captured ID token from being replayed
(https://developers.line.biz/en/docs/line-login/secure-login-process/).

A nonce is random text and its expiry time, signed with a key Django derives
from ``SECRET_KEY`` and a salt of its own, so issuing one stores nothing: no
number of nonce requests can push a nonce already handed out from any cache.
Spending it stores a "used" marker with ``cache.add``, which succeeds for exactly
one caller, so single use holds across processes sharing the cache; the marker
lives only as long as the nonce would have.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time

from django.core import signing

from line_auth.conf import line_settings
from line_auth.internal.cache import shared_cache

MAX_NONCE_LENGTH = 255
SALT = "line_auth.nonces"
# "." is outside base64url, so the nonce stays URL-safe and splits unambiguously.
SEPARATOR = "."


def issue(*, now: float | None = None) -> str:
    """A new nonce, valid for ``LINE_AUTH_NONCE_TTL`` seconds from ``now``."""
    expires = math.ceil(time.time() if now is None else now) + line_settings.nonce_ttl
    return _signer().sign(f"{secrets.token_urlsafe(24)}{SEPARATOR}{expires}")


def consume(nonce: object, *, now: float | None = None) -> bool:
    """Accept a nonce this server issued, unexpired at ``now``, exactly once."""
    expires = _expiry(nonce)
    remaining = 0 if expires is None else expires - (time.time() if now is None else now)
    if remaining <= 0:
        return False
    used = f"line_auth:nonce:used:{hashlib.sha256(str(nonce).encode()).hexdigest()}"
    return bool(shared_cache().add(used, True, math.ceil(remaining)))


def _expiry(nonce: object) -> int | None:
    """The expiry signed into the nonce, or ``None`` when this server did not issue it."""
    # ASCII only: the signature check encodes the text, and a lone surrogate cannot be.
    if not isinstance(nonce, str) or not nonce.isascii() or len(nonce) > MAX_NONCE_LENGTH:
        return None
    try:
        value = _signer().unsign(nonce)
    except signing.BadSignature:
        return None
    expires = value.rpartition(SEPARATOR)[2]
    return int(expires) if expires.isdigit() else None


def _signer() -> signing.Signer:
    # Django's signer also accepts nonces signed with SECRET_KEY_FALLBACKS during a rotation.
    return signing.Signer(salt=SALT, sep=SEPARATOR)
