"""LINE's ES256 signing keys: fetched from the pinned JWKS URL, kept in Django's cache.

Keys come only from ``GET {LINE_AUTH_API_BASE_URL}/oauth2/v2.1/certs``, never
from a token. The JWKS is fetched when the cache is empty and at most once per
``LINE_AUTH_JWKS_REFETCH_INTERVAL`` when a token names an unknown ``kid`` (LINE
rotated its keys), so a flood of tokens with random kids cannot turn into a
flood of calls to LINE. Failures to reach LINE propagate as
:class:`~line_auth.exceptions.LineUnavailable`.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import BaseCache, caches

from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidIdToken

CACHE_KEY = "line_auth:jwks"
REFETCH_KEY = "line_auth:jwks:refetch"


def key_for(kid: str | None) -> ec.EllipticCurvePublicKey:
    """The public key LINE published under ``kid``; without a kid, LINE's only key."""
    jwks = _cache().get(CACHE_KEY)
    fetched = jwks is None
    if fetched:
        jwks = fetch()
    key = _find(jwks, kid)
    if key is None and not fetched and _may_refetch():
        key = _find(fetch(), kid)
    if key is None:
        raise InvalidIdToken("unknown key")
    return key


def fetch() -> dict[str, Any]:
    """Fetch LINE's JWKS, keep its ES256 signing keys in the cache, and return them."""
    data = get_client().get_jwks()
    keys = data.get("keys")
    jwks = {"keys": [jwk for jwk in keys if _is_signing_key(jwk)] if isinstance(keys, list) else []}
    _cache().set(CACHE_KEY, jwks, line_settings.jwks_cache_ttl)
    return jwks


def _may_refetch() -> bool:
    # cache.add succeeds for one caller per interval, across every process sharing the cache.
    return bool(_cache().add(REFETCH_KEY, True, line_settings.jwks_refetch_interval))


def _find(jwks: dict[str, Any], kid: str | None) -> ec.EllipticCurvePublicKey | None:
    keys = jwks.get("keys") or []
    if kid is None:
        if len(keys) > 1:
            raise InvalidIdToken("kid required: LINE publishes several keys")
        matches = keys
    else:
        matches = [jwk for jwk in keys if jwk.get("kid") == kid]
    if not matches:
        return None
    return _public_key(matches[0]["x"], matches[0]["y"])


def _is_signing_key(jwk: Any) -> bool:
    return (
        isinstance(jwk, dict)
        and jwk.get("kty") == "EC"
        and jwk.get("crv") == "P-256"
        and jwk.get("alg", "ES256") == "ES256"
        and jwk.get("use", "sig") == "sig"
        and isinstance(jwk.get("x"), str)
        and isinstance(jwk.get("y"), str)
    )


@lru_cache(maxsize=32)
def _public_key(x: str, y: str) -> ec.EllipticCurvePublicKey:
    # Built from the coordinates rather than PyJWT's JWK parser, which refuses
    # the leading zero byte some of LINE's published keys carry (33-byte x or y).
    try:
        numbers = ec.EllipticCurvePublicNumbers(_b64_int(x), _b64_int(y), ec.SECP256R1())
        return numbers.public_key()
    except ValueError as error:
        raise InvalidIdToken("LINE published an unusable key") from error


def _b64_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _cache() -> BaseCache:
    return caches[line_settings.cache_alias]
