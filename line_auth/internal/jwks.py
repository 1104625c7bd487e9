"""LINE's ES256 signing keys: fetched from the pinned JWKS URL, kept in Django's cache.

Keys come only from ``GET {LINE_AUTH_API_BASE_URL}/oauth2/v2.1/certs``, never
from a token. The JWKS is fetched when no copy is known and at most once per
``LINE_AUTH_JWKS_REFETCH_INTERVAL`` when a token names an unknown ``kid`` (LINE
rotated its keys), so a flood of tokens with random kids cannot turn into a
flood of calls to LINE. Failures to reach LINE propagate as
:class:`~line_auth.exceptions.LineUnavailable`.

The shared cache spares every process its own fetch. Each process also keeps the
last copy it saw, with the time it was fetched: a cache that evicts the entry
under other traffic (a small local-memory cache, a full Redis) then costs no
fetch, and the refetch throttle still holds in this process.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidIdToken
from line_auth.internal.cache import shared_cache

CACHE_KEY = "line_auth:jwks"
REFETCH_KEY = "line_auth:jwks:refetch"


@dataclass
class _ProcessMemory:
    """What this process remembers whatever happens to the cache."""

    jwks: dict[str, Any] | None = None  # {"keys": [...], "fetched_at": epoch seconds}
    refetched_at: float = 0.0  # the last early fetch for an unknown kid


_memory = _ProcessMemory()


def key_for(kid: str | None) -> ec.EllipticCurvePublicKey:
    """The public key LINE published under ``kid``; without a kid, LINE's only key."""
    jwks = _known_jwks()
    fetched = jwks is None
    if jwks is None:
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
    jwks = {
        "keys": [jwk for jwk in keys if _is_signing_key(jwk)] if isinstance(keys, list) else [],
        "fetched_at": time.time(),
    }
    shared_cache().set(CACHE_KEY, jwks, line_settings.jwks_cache_ttl)
    _memory.jwks = jwks
    return jwks


def forget() -> None:
    """Forget this process's copy and throttle, as at start-up (for tests whose LINE changes keys)."""
    global _memory
    _memory = _ProcessMemory()


def _known_jwks() -> dict[str, Any] | None:
    """The shared copy (another process may have refreshed it), else this process's own."""
    shared = shared_cache().get(CACHE_KEY)
    if isinstance(shared, dict) and isinstance(shared.get("fetched_at"), float):
        _memory.jwks = shared
    elif _memory.jwks is None or _memory.jwks["fetched_at"] + line_settings.jwks_cache_ttl <= time.time():
        return None
    return _memory.jwks


def _may_refetch() -> bool:
    # One early fetch per interval in this process, even when the cache lost its marker;
    # cache.add then lets one caller through per interval across every process.
    now = time.time()
    if now < _memory.refetched_at + line_settings.jwks_refetch_interval:
        return False
    if not shared_cache().add(REFETCH_KEY, True, line_settings.jwks_refetch_interval):
        return False
    _memory.refetched_at = now
    return True


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
