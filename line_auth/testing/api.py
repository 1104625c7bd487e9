"""The other api.line.me endpoints (spec §6.3, §7, §9) and the route table of both hosts.

These APIs answer errors as ``{"message": ...}`` (spec §2.3); LINE's texts for them are
unverified except deauthorize's "invalid token". Handlers run with ``PlatformState.lock`` held.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import oauth
from .channel_tokens import channel_token
from .platform_state import PlatformState
from .state import ISSUER, AccessToken, EmulatedUser
from .webio import Request, Response

Handler = Callable[[Request, PlatformState], Response]

INVALID_CHANNEL_TOKEN = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)


def message_error(status: int, message: str) -> Response:
    return Response.json(status, {"message": message})


def deauthorize(req: Request, platform: PlatformState) -> Response:
    channel_id, expires_at = platform.channel_tokens.get(req.bearer() or "", ("", 0.0))
    if expires_at <= platform.now():
        return message_error(401, INVALID_CHANNEL_TOKEN)
    try:
        user_token = json.loads(req.body)["userAccessToken"]
    except (ValueError, KeyError, TypeError):
        return message_error(400, "The request body has 1 error(s)")
    access = platform.access_tokens.get(user_token) if isinstance(user_token, str) else None
    if (
        access is None
        or access.is_revoked()
        or access.expires_at <= platform.now()
        or access.grant.channel_id != channel_id
    ):
        return message_error(400, "invalid token")
    platform.deauthorize(access.grant.user_id, channel_id)
    return Response(204)


def _bearer_user(
    req: Request, platform: PlatformState, scope: str
) -> tuple[AccessToken, EmulatedUser] | Response:
    access = platform.access_tokens.get(req.bearer() or "")
    if access is None or access.is_revoked() or access.expires_at <= platform.now():
        return message_error(401, "invalid token")
    if scope not in access.grant.scopes:
        return message_error(401, f"the access token does not have the {scope} scope")
    return access, platform.users[access.grant.user_id]


def userinfo(req: Request, platform: PlatformState) -> Response:
    found = _bearer_user(req, platform, "openid")
    if isinstance(found, Response):
        return found
    access, user = found
    body: dict[str, Any] = {"sub": platform.subject(user, access.grant.channel_id)}
    if "profile" in access.grant.scopes:
        body["name"] = user.name
        if user.picture_url:
            body["picture"] = user.picture_url
    return Response.json(200, body)


def profile(req: Request, platform: PlatformState) -> Response:
    found = _bearer_user(req, platform, "profile")
    if isinstance(found, Response):
        return found
    access, user = found
    body = {"userId": platform.subject(user, access.grant.channel_id), "displayName": user.name}
    if user.picture_url:
        body["pictureUrl"] = user.picture_url
    return Response.json(200, body)


def friendship(req: Request, platform: PlatformState) -> Response:
    found = _bearer_user(req, platform, "profile")
    if isinstance(found, Response):
        return found
    access, user = found
    key = (user.user_id, access.grant.channel_id)
    return Response.json(
        200, {"friendFlag": key in platform.friends and platform.channels[key[1]].has_bot}
    )


def certs(req: Request, platform: PlatformState) -> Response:
    return Response.json(200, platform.key_ring.jwks())


def discovery(req: Request, platform: PlatformState) -> Response:
    """Spec §9.1, pointing at this emulator; the issuer stays LINE's since ID tokens carry it."""
    access, api = platform.access_base_url, platform.api_base_url
    return Response.json(
        200,
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{access}/oauth2/v2.1/authorize",
            "token_endpoint": f"{api}/oauth2/v2.1/token",
            "revocation_endpoint": f"{api}/oauth2/v2.1/revoke",
            "userinfo_endpoint": f"{api}/oauth2/v2.1/userinfo",
            "scopes_supported": ["openid", "profile", "email"],
            "jwks_uri": f"{api}/oauth2/v2.1/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
        },
    )


ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", "/oauth2/v2.1/token"): oauth.token,
    ("GET", "/oauth2/v2.1/verify"): oauth.verify_access_token,
    ("POST", "/oauth2/v2.1/verify"): oauth.verify_id_token,
    ("POST", "/oauth2/v2.1/revoke"): oauth.revoke,
    ("POST", "/oauth2/v3/token"): channel_token,
    ("POST", "/user/v1/deauthorize"): deauthorize,
    ("GET", "/oauth2/v2.1/userinfo"): userinfo,
    ("POST", "/oauth2/v2.1/userinfo"): userinfo,
    ("GET", "/v2/profile"): profile,
    ("GET", "/friendship/v1/status"): friendship,
    ("GET", "/oauth2/v2.1/certs"): certs,
    ("GET", "/.well-known/openid-configuration"): discovery,
}
