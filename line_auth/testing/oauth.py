"""The OAuth endpoints of api.line.me (spec §4–§6): token, verify, revoke.

They answer errors as ``{"error", "error_description"}``. Strings quoted in the spec are
verbatim; where LINE's text is unknown (spec §15) only the status and error code matter.
Handlers run with ``PlatformState.lock`` held.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import jwt

from .keys import id_token_claims
from .platform_state import PlatformState
from .state import ACCESS_TOKEN_TTL, ISSUER, AccessToken, Channel, EmulatedUser
from .webio import Request, Response


def oauth_error(error: str, description: str) -> Response:
    return Response.json(400, {"error": error, "error_description": description})


def token_response(
    platform: PlatformState,
    access: AccessToken,
    user: EmulatedUser,
    *,
    nonce: str | None,
    email_granted: bool,
    amr: list[str] | None,
    auth_time: int | None,
    alg: str,
) -> dict[str, Any]:
    """The body of a successful authorization_code exchange (spec §4.1)."""
    grant = access.grant
    body: dict[str, Any] = {
        "access_token": access.token,
        "expires_in": ACCESS_TOKEN_TTL,
        "refresh_token": grant.refresh_token,
        "scope": _scope_echo(grant.scopes),
        "token_type": "Bearer",
    }
    if "openid" in grant.scopes:
        channel = platform.channels[grant.channel_id]
        claims = id_token_claims(
            user,
            channel.channel_id,
            now=platform.now(),
            scopes=grant.scopes,
            nonce=nonce,
            email=user.email if email_granted else None,
            amr=amr,
            auth_time=auth_time,
            subject=user.id_for(channel.provider),
        )
        body["id_token"] = platform.key_ring.sign(claims, alg, channel.secret)
    return body


def _scope_echo(scopes: tuple[str, ...]) -> str:
    # The token and verify endpoints never echo email, even when granted (spec §3.3).
    return " ".join(s for s in scopes if s != "email")


UNKNOWN_CLIENT = ("invalid_client", "invalid client_id")


def _secret_error(channel: Channel, secret: str | None, *, optional: bool) -> Response | None:
    """Check client_secret; ``optional`` lets it be absent, but never wrong."""
    if secret is None and optional:
        return None
    if secret is None or not hmac.compare_digest(secret.encode(), channel.secret.encode()):
        return oauth_error("invalid_client", "invalid client_secret")
    return None


def _client_channel(platform: PlatformState, form: dict[str, str]) -> Channel | Response:
    """The channel named by client_id, or the error to answer.

    Channels with a mobile app type ignore client_secret on refresh and revoke (spec §4.3);
    web-only channels must send the right one.
    """
    channel = platform.channel(form["client_id"])
    if channel is None:
        return oauth_error(*UNKNOWN_CLIENT)
    secret = form.get("client_secret")
    if channel.secret_required and (error := _secret_error(channel, secret, optional=False)):
        return error
    return channel


def token(req: Request, platform: PlatformState) -> Response:
    grant_type = req.form.get("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(req, platform)
    if grant_type == "refresh_token":
        return _refresh(req, platform)
    if not grant_type:
        return oauth_error("invalid_request", "grant_type is required")
    return oauth_error("unsupported_grant_type", f"unsupported grant_type {grant_type}")


def _exchange_code(req: Request, platform: PlatformState) -> Response:
    form = req.form
    missing = [name for name in ("code", "redirect_uri", "client_id") if not form.get(name)]
    if missing:
        return oauth_error("invalid_request", f"{', '.join(missing)} required")
    channel = platform.channel(form["client_id"])
    if channel is None:
        return oauth_error(*UNKNOWN_CLIENT)
    verifier = form.get("code_verifier")
    # Web channels must authenticate; mobile ones may rely on PKCE alone (spec §4.1, SDK variant).
    optional = not channel.secret_required and verifier is not None
    if error := _secret_error(channel, form.get("client_secret"), optional=optional):
        return error
    code = platform.codes.get(form["code"])
    if code is None or code.channel_id != channel.channel_id:
        return oauth_error("invalid_grant", "invalid authorization code")
    if code.used or code.expires_at <= platform.now():
        code.used = True
        return oauth_error("invalid_grant", "authorization code has expired or was already used")
    code.used = True
    if form["redirect_uri"] != code.redirect_uri:
        return oauth_error("invalid_grant", "redirect_uri does not match")
    if code.code_challenge is not None:
        if verifier is None or not hmac.compare_digest(_s256(verifier), code.code_challenge):
            return oauth_error("invalid_grant", "invalid code_verifier")
    elif verifier is not None:
        return oauth_error("invalid_grant", "code_verifier sent but no code_challenge was used")
    user = platform.users[code.user_id]
    access = platform.issue_grant(channel.channel_id, user.user_id, code.scopes)
    alg = "ES256" if form.get("id_token_key_type") == "JWK" else "HS256"
    body = token_response(
        platform,
        access,
        user,
        nonce=code.nonce,
        email_granted=code.email_granted,
        amr=code.amr,
        auth_time=code.auth_time,
        alg=alg,
    )
    return Response.json(200, body)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _refresh(req: Request, platform: PlatformState) -> Response:
    form = req.form
    if not form.get("refresh_token") or not form.get("client_id"):
        return oauth_error("invalid_request", "refresh_token and client_id required")
    channel = _client_channel(platform, form)
    if isinstance(channel, Response):
        return channel
    grant = platform.grants.get(form["refresh_token"])
    if (
        grant is None
        or grant.revoked
        or grant.channel_id != channel.channel_id
        or grant.refresh_expires_at <= platform.now()
    ):
        return oauth_error("invalid_grant", "invalid refresh token")
    access = platform.issue_access_token(grant)
    # Same refresh token back, deadline unchanged (spec §4.2).
    return Response.json(
        200,
        {
            "token_type": "Bearer",
            "scope": _scope_echo(grant.scopes),
            "access_token": access.token,
            "expires_in": ACCESS_TOKEN_TTL,
            "refresh_token": grant.refresh_token,
        },
    )


def verify_access_token(req: Request, platform: PlatformState) -> Response:
    access = platform.access_tokens.get(req.query.get("access_token", ""))
    if access is None:
        return oauth_error("invalid_request", "The access token not JWS")
    if access.is_revoked():
        return oauth_error("invalid_request", "The access token revoked")
    remaining = int(access.expires_at - platform.now())
    if remaining <= 0:
        return oauth_error("invalid_request", "The access token expired")
    grant = access.grant
    return Response.json(
        200,
        {
            "scope": _scope_echo(grant.scopes),
            "client_id": grant.channel_id,
            "expires_in": remaining,
        },
    )


def verify_id_token(req: Request, platform: PlatformState) -> Response:
    form = req.form
    raw, client_id = form.get("id_token"), form.get("client_id")
    if not raw or not client_id:
        return oauth_error("invalid_request", "id_token and client_id required")
    claims = _decode_id_token(raw, client_id, platform)
    if claims is None:
        return oauth_error("invalid_request", "Invalid IdToken.")
    if claims.get("iss") != ISSUER:
        return oauth_error("invalid_request", "Invalid IdToken Issuer.")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= platform.now():
        return oauth_error("invalid_request", "IdToken expired.")
    if claims.get("aud") != client_id:
        return oauth_error("invalid_request", "Invalid IdToken Audience.")
    if form.get("nonce") is not None and claims.get("nonce") != form["nonce"]:
        return oauth_error("invalid_request", "Invalid IdToken Nonce.")
    if form.get("user_id") is not None and claims.get("sub") != form["user_id"]:
        return oauth_error("invalid_request", "Invalid IdToken Subject Identifier.")
    return Response.json(200, claims)


def _decode_id_token(raw: str, client_id: str, platform: PlatformState) -> dict[str, Any] | None:
    """Check only the signature; the claim checks follow, on the emulated clock.

    HS256 keys: the asking channel's secret, then that of the channel the token names,
    so a token minted for another channel reports the audience mismatch.
    """
    try:
        header = jwt.get_unverified_header(raw)
        aud = jwt.decode(raw, options={"verify_signature": False}).get("aud")
    except jwt.PyJWTError:
        return None
    keys: list[Any] = []
    if header.get("alg") == "HS256":
        channels = [
            platform.channel(client_id),
            platform.channel(aud if isinstance(aud, str) else None),
        ]
        keys = [channel.secret for channel in channels if channel]
    elif header.get("alg") == "ES256" and header.get("kid") == platform.key_ring.kid:
        keys = [platform.key_ring.public_key]
    options = {
        "verify_exp": False,
        "verify_iat": False,
        "verify_nbf": False,
        "verify_aud": False,
        "verify_iss": False,
    }
    for key in keys:
        try:
            return jwt.decode(raw, key, algorithms=[header["alg"]], options=options)  # type: ignore[arg-type]
        except jwt.PyJWTError:
            continue
    return None


def revoke(req: Request, platform: PlatformState) -> Response:
    form = req.form
    if not form.get("client_id") or not (form.get("access_token") or form.get("refresh_token")):
        return oauth_error("invalid_request", "client_id and access_token required")
    channel = _client_channel(platform, form)
    if isinstance(channel, Response):
        return channel
    access = platform.access_tokens.get(form.get("access_token", ""))
    # Revoking ends the whole login, refresh token included (refresh_token= is the SDK variant).
    grant = access.grant if access else platform.grants.get(form.get("refresh_token", ""))
    if grant is not None and grant.channel_id == channel.channel_id:
        grant.revoked = True
    return Response(200)
