"""What a native app or LIFF login proves: a verified token, turned into the login's identity.

LINE's secure login process (https://developers.line.biz/en/docs/line-login/secure-login-process/):
an ID token is verified here (HS256 with the channel secret, ES256 with LINE's
published keys) or by LINE (``LINE_AUTH_NATIVE_VERIFY = "remote"``), and its
nonce must be one this server issued; an access token is verified with LINE,
which must say it belongs to this channel and has not expired, and the profile
is then read from LINE.
"""

from __future__ import annotations

from typing import Any

import jwt

from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidAccessToken, InvalidIdToken, InvalidNonce, LineAPIError, LineUnavailable
from line_auth.internal import identity, jwks, nonces
from line_auth.internal.id_token import (
    check_nonce,
    read_header,
    verify_es256_id_token,
    verify_hs256_id_token,
)
from line_auth.internal.verification import check_verification


def audiences() -> tuple[str, ...]:
    """Channel IDs whose tokens this site accepts: its own, then linked LIFF channels."""
    return (line_settings.channel_id, *line_settings.allowed_audiences)


def identity_from_id_token(token: str, nonce: str) -> dict[str, Any]:
    """Verify the ID token and spend its nonce; the claims become the login's identity."""
    if line_settings.native_verify == "remote":
        claims = _verify_remotely(token, nonce)
    else:
        claims = _verify_locally(token)
    check_nonce(claims, nonce)
    if not nonces.consume(nonce):
        raise InvalidNonce("the nonce was not issued here, was already used, or has expired")
    return identity.from_claims(claims)


def _verify_locally(token: str) -> dict[str, Any]:
    # Each algorithm has its own key source: the channel secret only ever
    # verifies HS256, LINE's EC keys only ES256, so no key is used with the
    # other algorithm (no HS256 token "signed" with the public key).
    issuer, leeway = line_settings.id_token_issuer, line_settings.id_token_leeway
    if read_header(token).get("alg") == "HS256":
        return verify_hs256_id_token(
            token,
            channel_id=line_settings.channel_id,
            channel_secret=line_settings.channel_secret,
            issuer=issuer,
            leeway=leeway,
        )
    return verify_es256_id_token(
        token, key_for=jwks.key_for, audience=list(audiences()), issuer=issuer, leeway=leeway
    )


def _verify_remotely(token: str, nonce: str) -> dict[str, Any]:
    read_header(token)
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise InvalidIdToken("malformed") from error
    # LINE checks aud against client_id: ask with the linked channel's ID when the token names one.
    aud = unverified.get("aud")
    client_id = aud if aud in line_settings.allowed_audiences else line_settings.channel_id
    try:
        claims = get_client().verify_id_token_remote(token, client_id, nonce)
    except LineUnavailable:
        raise
    except LineAPIError as error:
        raise InvalidIdToken(error.error_description or "refused by LINE") from error
    if claims.get("aud") not in audiences() or claims.get("iss") != line_settings.id_token_issuer:
        raise InvalidIdToken("LINE's answer names another audience or issuer")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidIdToken("missing claim sub")
    return claims


def identity_from_access_token(token: str) -> dict[str, Any]:
    """Verify the access token with LINE, then read the profile from LINE itself."""
    client = get_client()
    try:
        verification = check_verification(client.verify_access_token(token), audiences())
        if not verification.valid:
            raise InvalidAccessToken(verification.reason)
        profile = client.get_profile(token)
    except LineUnavailable:
        raise
    except LineAPIError as error:
        raise InvalidAccessToken(error.error_description or "refused by LINE") from error
    found = identity.from_profile(profile)
    if found is None:
        raise LineUnavailable("LINE's profile answer had no userId")
    return {
        **found,
        "access_token": token,
        "scope": verification.scope,
        "expires_in": verification.expires_in,
    }
