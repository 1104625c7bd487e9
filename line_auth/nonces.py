"""Nonces the server issues to apps, each accepted once, kept in Django's cache.

An app asks for a nonce, passes it to the LINE SDK or LIFF login, and sends it
back with the ID token. Only a nonce this server issued, not yet used and not
expired, is accepted, which stops a captured ID token from being replayed
(https://developers.line.biz/en/docs/line-login/secure-login-process/).
Single use rests on ``cache.add``, which succeeds for exactly one caller, so it
holds across processes that share the cache.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.cache import BaseCache, caches

from line_auth.conf import line_settings

MAX_NONCE_LENGTH = 255


def issue() -> str:
    """A new random nonce, valid for ``LINE_AUTH_NONCE_TTL`` seconds."""
    nonce = secrets.token_urlsafe(32)
    _cache().add(_key("issued", nonce), True, line_settings.nonce_ttl)
    return nonce


def consume(nonce: object) -> bool:
    """Accept an issued, unexpired nonce exactly once."""
    if not isinstance(nonce, str) or not nonce or len(nonce) > MAX_NONCE_LENGTH:
        return False
    cache = _cache()
    issued = _key("issued", nonce)
    if not cache.get(issued):
        return False
    if not cache.add(_key("used", nonce), True, line_settings.nonce_ttl):
        return False  # another request consumed it first
    cache.delete(issued)
    return True


def _key(kind: str, nonce: str) -> str:
    # Hashed, so any string from a request makes a safe cache key (memcached forbids spaces).
    return f"line_auth:nonce:{kind}:{hashlib.sha256(nonce.encode()).hexdigest()}"


def _cache() -> BaseCache:
    return caches[line_settings.cache_alias]
