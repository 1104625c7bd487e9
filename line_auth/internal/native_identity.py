"""What a native app, LIFF or LINE MINI App login proves: a verified token, turned into
the login's identity, filed under the channel the token was issued for.

LINE's secure login process (https://developers.line.biz/en/docs/line-login/secure-login-process/):
an ID token is verified here (HS256 with its channel's secret, ES256 with LINE's
published keys) or by LINE (``LINE_AUTH_NATIVE_VERIFY = "remote"``); its nonce
must be one this server issued, or, in the opt-in LIFF mode, it must be fresh
and unused (:mod:`line_auth.internal.liff_tokens`). An access token is verified
with LINE, which must say it belongs to one of the site's channels and has not
expired; the profile is then read from LINE: ``/v2/profile`` when ``profile``
was granted, ``/oauth2/v2.1/userinfo`` when only ``openid`` was (LINE MINI App
channels with simplified consent).

The channel is the one whose ID is the token's ``aud`` (LINE's ``client_id`` for
an access token), among the channels offered to the request; the identity
carries it as ``channel_id`` for the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jwt

from line_auth.channels import Channel, ChannelKind
from line_auth.client import LineClient, get_client
from line_auth.conf import line_settings
from line_auth.exceptions import (
    InvalidAccessToken,
    InvalidIdToken,
    InvalidNonce,
    LineAPIError,
    LineUnavailable,
    NotLiffChannel,
)
from line_auth.internal import identity, jwks, liff_tokens, nonces
from line_auth.internal.id_token import (
    check_nonce,
    read_header,
    verify_es256_id_token,
    verify_hs256_id_token,
)
from line_auth.internal.verification import check_verification
from line_auth.models import AccessTokenKind

# Channels whose apps hold LIFF tokens: ID tokens from liff.getIDToken(), 12-hour access tokens.
LIFF_KINDS = frozenset({ChannelKind.LIFF, ChannelKind.MINI_APP})


def channel_for(channel_id: object, accepted: Iterable[Channel]) -> Channel | None:
    """The accepted channel with this ID (a token's ``aud`` or ``client_id``), if any."""
    return next((channel for channel in accepted if channel.channel_id == channel_id), None)


def identity_from_id_token(token: str, nonce: str | None, accepted: Iterable[Channel]) -> dict[str, Any]:
    """Verify the ID token for its channel; spend its nonce, or with ``nonce=None`` (LIFF
    mode) require a fresh token of a LIFF or MINI App channel and spend the token itself."""
    channel = _audience(token, accepted)
    if nonce is None and channel.kind not in LIFF_KINDS:
        raise NotLiffChannel(f"channel {channel.channel_id} is not a LIFF or LINE MINI App channel")
    if line_settings.native_verify == "remote":
        claims = _verify_remotely(token, channel, nonce)
    else:
        claims = _verify_locally(token, channel)
    if nonce is None:
        liff_tokens.accept_once(claims)
    else:
        check_nonce(claims, nonce)
        if not nonces.consume(nonce):
            raise InvalidNonce("the nonce was not issued here, was already used, or has expired")
    return {**identity.from_claims(claims), "channel_id": channel.channel_id}


def _audience(token: str, accepted: Iterable[Channel]) -> Channel:
    """The channel the token says it is for; checked again once the signature is."""
    read_header(token)
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise InvalidIdToken("malformed") from error
    channel = channel_for(unverified.get("aud"), accepted)
    if channel is None:
        raise InvalidIdToken("wrong audience")
    return channel


def _verify_locally(token: str, channel: Channel) -> dict[str, Any]:
    # Each algorithm has its own key source: the channel secret only ever
    # verifies HS256, LINE's EC keys only ES256, so no key is used with the
    # other algorithm (no HS256 token "signed" with the public key).
    issuer, leeway = line_settings.id_token_issuer, line_settings.id_token_leeway
    if read_header(token).get("alg") == "HS256":
        return verify_hs256_id_token(
            token, channel_id=channel.channel_id, channel_secret=channel.secret, issuer=issuer, leeway=leeway
        )
    return verify_es256_id_token(
        token, key_for=jwks.key_for, audience=channel.channel_id, issuer=issuer, leeway=leeway
    )


def _verify_remotely(token: str, channel: Channel, nonce: str | None) -> dict[str, Any]:
    # LINE checks aud against client_id, so it is asked with the token's own channel.
    try:
        claims = get_client().verify_id_token_remote(token, channel.channel_id, nonce or "")
    except LineUnavailable:
        raise
    except LineAPIError as error:
        raise InvalidIdToken(error.error_description or "refused by LINE") from error
    if claims.get("aud") != channel.channel_id or claims.get("iss") != line_settings.id_token_issuer:
        raise InvalidIdToken("LINE's answer names another audience or issuer")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidIdToken("missing claim sub")
    return claims


def identity_from_access_token(token: str, accepted: Iterable[Channel]) -> dict[str, Any]:
    """Verify the access token with LINE, then read the profile from LINE itself."""
    accepted = tuple(accepted)
    client = get_client()
    try:
        verification = check_verification(
            client.verify_access_token(token), tuple(channel.channel_id for channel in accepted)
        )
        if not verification.valid:
            raise InvalidAccessToken(verification.reason)
        found = _profile(client, token, verification.scope.split())
    except LineUnavailable:
        raise
    except LineAPIError as error:
        raise InvalidAccessToken(error.error_description or "refused by LINE") from error
    channel = channel_for(verification.client_id, accepted)
    assert channel is not None  # check_verification accepted only these channels' IDs
    return {
        **found,
        "channel_id": channel.channel_id,
        "access_token": token,
        "scope": verification.scope,
        "expires_in": verification.expires_in,
        # LIFF tokens come without a refresh token; an SDK app keeps its own.
        "token_kind": AccessTokenKind.LIFF if channel.kind in LIFF_KINDS else AccessTokenKind.APP,
    }


def _profile(client: LineClient, token: str, scopes: list[str]) -> dict[str, Any]:
    """The user as LINE describes them to this token; ``/v2/profile`` needs ``profile``."""
    if "profile" in scopes:
        found = identity.from_profile(client.get_profile(token))
    elif "openid" in scopes:
        found = identity.from_userinfo(client.get_userinfo(token))
    else:
        raise InvalidAccessToken("the token grants neither profile nor openid, so it names no user")
    if found is None:
        raise LineUnavailable("LINE's profile answer had no user ID")
    return found
