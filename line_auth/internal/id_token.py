"""ID token verification with pinned algorithms and every claim LINE documents.

Web logins get HS256 tokens keyed with the channel secret; native apps and LIFF
get ES256 tokens whose keys LINE publishes as a JWKS
(https://developers.line.biz/en/docs/line-login/verify-id-token/). The header's
``alg`` is compared with the expected one before any key is used, so ``none``,
algorithm confusion and header-supplied keys (``jwk``, ``jku``) never apply.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

import jwt

from line_auth.exceptions import InvalidIdToken, InvalidIdTokenSignature

MAX_TOKEN_LENGTH = 8192
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")


def _check_shape(token: object) -> str:
    """Cheap checks before any parsing: a string, not too large, three parts."""
    if not isinstance(token, str) or not token:
        raise InvalidIdToken("missing")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidIdToken("too large")
    if token.count(".") != 2:
        raise InvalidIdToken("malformed")
    return token


def read_header(token: object) -> dict[str, Any]:
    """The unverified header, after cheap shape and size checks."""
    text = _check_shape(token)
    try:
        # PyJWT also refuses a header that is not a JSON object, or whose kid is not a string.
        return jwt.get_unverified_header(text)
    except jwt.PyJWTError as error:
        raise InvalidIdToken("malformed") from error


def decode(
    token: str,
    key: Any,
    *,
    algorithm: str,
    audience: str | list[str],
    issuer: str,
    leeway: int,
) -> dict[str, Any]:
    """Verify signature, ``iss``, ``aud``, ``exp`` and ``iat`` for one pinned algorithm.

    PyJWT reads the header once, refuses any other algorithm before it touches the key,
    and refuses an ``iat`` more than ``leeway`` ahead (``ImmatureSignatureError``).
    """
    _check_shape(token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidIdToken("expired") from error
    except jwt.InvalidAudienceError as error:
        raise InvalidIdToken("wrong audience") from error
    except jwt.InvalidIssuerError as error:
        raise InvalidIdToken("wrong issuer") from error
    except jwt.ImmatureSignatureError as error:
        raise InvalidIdToken("issued in the future") from error
    except jwt.MissingRequiredClaimError as error:
        raise InvalidIdToken(f"missing claim {error.claim}") from error
    except jwt.InvalidAlgorithmError as error:
        raise InvalidIdToken(f"algorithm {read_header(token).get('alg')!r} where {algorithm} is required") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidIdTokenSignature("bad signature") from error
    except jwt.DecodeError as error:  # after its subclass InvalidSignatureError
        raise InvalidIdToken("malformed") from error
    except jwt.PyJWTError as error:
        raise InvalidIdToken(f"invalid ({type(error).__name__})") from error
    if not isinstance(claims["aud"], str):
        # LINE's aud is always one channel ID; a list would let a token minted for
        # several audiences (one of them ours) pass the membership check.
        raise InvalidIdToken("wrong audience")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidIdToken("missing claim sub")
    return claims


def check_nonce(claims: dict[str, Any], expected: str) -> None:
    """The token's nonce must be the one this login sent (OIDC Core 3.1.3.7)."""
    nonce = claims.get("nonce")
    if not expected or not isinstance(nonce, str) or not hmac.compare_digest(_utf8(nonce), _utf8(expected)):
        raise InvalidIdToken("nonce mismatch")


def _utf8(text: str) -> bytes:
    # compare_digest refuses non-ASCII str; "surrogatepass" keeps a lone surrogate comparable.
    return text.encode("utf-8", "surrogatepass")


def check_auth_time(claims: dict[str, Any], max_age: int | None, leeway: int) -> None:
    """With ``max_age`` LINE adds ``auth_time``; an older authentication is refused."""
    if max_age is None:
        return
    auth_time = claims.get("auth_time")
    if isinstance(auth_time, bool) or not isinstance(auth_time, int):
        raise InvalidIdToken("missing claim auth_time")
    if time.time() - auth_time > max_age + leeway:
        raise InvalidIdToken("authentication older than max_age")


def verify_web_id_token(
    token: str,
    *,
    channel_id: str,
    channel_secret: str,
    issuer: str,
    nonce: str,
    max_age: int | None = None,
    leeway: int = 60,
) -> dict[str, Any]:
    """Verify an ID token from the web login's token response (HS256)."""
    claims = verify_hs256_id_token(
        token, channel_id=channel_id, channel_secret=channel_secret, issuer=issuer, leeway=leeway
    )
    check_nonce(claims, nonce)
    check_auth_time(claims, max_age, leeway)
    return claims


def verify_hs256_id_token(
    token: str, *, channel_id: str, channel_secret: str, issuer: str, leeway: int
) -> dict[str, Any]:
    """Verify an ID token signed with the channel secret; the nonce is the caller's to check.

    The channel secret only ever verifies HS256, so it is never tried as the key
    of another algorithm.
    """
    if not channel_secret:
        raise InvalidIdToken("no channel secret configured")
    return decode(
        token, channel_secret, algorithm="HS256", audience=channel_id, issuer=issuer, leeway=leeway
    )


def verify_es256_id_token(
    token: str,
    *,
    key_for: Callable[[str | None], Any],
    audience: str | list[str],
    issuer: str,
    leeway: int = 60,
) -> dict[str, Any]:
    """Verify a native or LIFF ID token (ES256) with a key from LINE's JWKS.

    ``key_for(kid)`` returns the public key LINE published under that ``kid``;
    it alone supplies keys, so a key or key URL in the token's header
    (``jwk``, ``jku``, ``x5u``) is never used. The nonce is the caller's to check.
    """
    header = read_header(token)
    if header.get("alg") != "ES256":
        raise InvalidIdToken(f"algorithm {header.get('alg')!r} where ES256 is required")
    return decode(
        token, key_for(header.get("kid")), algorithm="ES256", audience=audience, issuer=issuer, leeway=leeway
    )
