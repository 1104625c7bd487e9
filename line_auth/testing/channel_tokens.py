"""``POST /oauth2/v3/token``: stateless channel access tokens (Messaging API reference).

A channel proves itself with its ID and secret, or with a JWT assertion (RFC 7523)
signed by one of its Assertion Signing Keys: RS256, header ``kid`` = the key ID LINE
gave when the public key was registered, ``iss`` = ``sub`` = the channel ID, ``aud`` =
``https://api.line.me/``, and an ``exp`` at most 30 minutes ahead.

LINE documents ``400 {"error": "invalid_request", "error_description": "Invalid
'client_credentials'."}`` for a bad secret and 400 for a bad or expired assertion
(its text unstated; the same body is assumed), and 404 with a message when the
assertion's key is not registered for the channel. Handlers run with
``PlatformState.lock`` held.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from .oauth import oauth_error
from .platform_state import PlatformState
from .state import CHANNEL_TOKEN_TTL, Channel, EmulatorError, new_access_token
from .webio import Request, Response

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_AUDIENCE = "https://api.line.me/"
ASSERTION_MAX_LIFETIME = 30 * 60
ASSERTION_KEY_BITS = 2048
INVALID_CLIENT_CREDENTIALS = ("invalid_request", "Invalid 'client_credentials'.")
UNKNOWN_KEY_MESSAGE = "Cannot find channel key that satisfies the conditions"


def channel_token(req: Request, platform: PlatformState) -> Response:
    """A 15-minute token for the channel; a body with an assertion is judged by it alone."""
    form = req.form
    if form.get("grant_type") != "client_credentials":
        return oauth_error("unsupported_grant_type", "grant_type must be client_credentials")
    if "client_assertion" in form or "client_assertion_type" in form:
        channel = _asserted_channel(form, platform)
    else:
        channel = _credentials_channel(form, platform)
    if isinstance(channel, Response):
        return channel
    token = new_access_token()
    platform.channel_tokens[token] = (channel.channel_id, platform.now() + CHANNEL_TOKEN_TTL)
    return Response.json(
        200, {"token_type": "Bearer", "access_token": token, "expires_in": CHANNEL_TOKEN_TTL}
    )


def public_assertion_key(jwk: dict[str, Any]) -> RSAPublicKey:
    """The key a JWK describes, if the Developers Console would accept it for assertions."""
    usable = jwk.get("use") == "sig" or jwk.get("key_ops") == ["verify"]
    if jwk.get("kty") != "RSA" or jwk.get("alg") != "RS256" or not usable:
        raise EmulatorError(
            'an Assertion Signing Key is an RSA JWK with "alg": "RS256" and '
            '"use": "sig" (or "key_ops": ["verify"])'
        )
    key = RSAAlgorithm.from_jwk(jwk)
    if not isinstance(key, RSAPublicKey) or key.key_size != ASSERTION_KEY_BITS:
        raise EmulatorError(f"an Assertion Signing Key is a {ASSERTION_KEY_BITS}-bit public key")
    return key


def new_key_id() -> str:
    return str(uuid.uuid4())


def _credentials_channel(form: dict[str, str], platform: PlatformState) -> Channel | Response:
    channel = platform.channel(form.get("client_id"))
    secret = form.get("client_secret")
    if (
        channel is None
        or secret is None
        or not hmac.compare_digest(secret.encode(), channel.secret.encode())
    ):
        return oauth_error(*INVALID_CLIENT_CREDENTIALS)
    return channel


def _asserted_channel(form: dict[str, str], platform: PlatformState) -> Channel | Response:
    assertion = form.get("client_assertion", "")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        return oauth_error(*INVALID_CLIENT_CREDENTIALS)
    try:
        kid = jwt.get_unverified_header(assertion).get("kid")
        issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return oauth_error(*INVALID_CLIENT_CREDENTIALS)
    channel = platform.channel(issuer if isinstance(issuer, str) else None)
    if channel is None:
        return oauth_error(*INVALID_CLIENT_CREDENTIALS)
    key = channel.assertion_keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        return Response.json(404, {"message": UNKNOWN_KEY_MESSAGE})
    try:
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            audience=ASSERTION_AUDIENCE,
            # Expiry is judged below, on the emulated clock.
            options={"verify_exp": False, "require": ["iss", "sub", "aud", "exp"]},
        )
    except jwt.PyJWTError:
        return oauth_error(*INVALID_CLIENT_CREDENTIALS)
    now = platform.now()
    exp = claims["exp"]
    if (
        claims["sub"] != channel.channel_id
        or not isinstance(exp, int)
        or not now < exp <= now + ASSERTION_MAX_LIFETIME
    ):
        return oauth_error(*INVALID_CLIENT_CREDENTIALS)
    return channel
