"""Server login for native apps (LINE SDK), LIFF and LINE MINI Apps: the app sends a token,
never a profile.

The server trusts only what it verifies itself
(:mod:`line_auth.internal.native_identity`). The user and ``LineAccount`` are
written by the same social-auth pipeline as a web login. Every refusal is a
JSON error with a stable code, and writes nothing.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from social_core.exceptions import SocialAuthBaseException

from line_auth import audit, channels
from line_auth.backends import get_backend
from line_auth.conf import line_settings
from line_auth.exceptions import (
    SOCIAL_CORE_CODES,
    ErrorCode,
    InvalidRequest,
    LineAPIError,
    LineAuthError,
    LineUnavailable,
    RateLimited,
)
from line_auth.internal import nonces, sessions
from line_auth.internal.id_token import MAX_TOKEN_LENGTH
from line_auth.internal.native_identity import (
    identity_from_access_token,
    identity_from_id_token,
)
from line_auth.internal.ratelimit import rate_limit

logger = logging.getLogger("line_auth.native")

# HTTP status per error code; each code is documented in docs/native-login.md.
STATUS = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.INVALID_ID_TOKEN: 401,
    ErrorCode.INVALID_NONCE: 401,
    ErrorCode.INVALID_ACCESS_TOKEN: 401,
    ErrorCode.ID_TOKEN_TOO_OLD: 401,
    ErrorCode.ID_TOKEN_REPLAYED: 401,
    ErrorCode.NOT_A_LIFF_CHANNEL: 401,
    ErrorCode.LOGIN_NOT_ALLOWED: 403,
    ErrorCode.EMAIL_REQUIRED: 403,
    ErrorCode.EMAIL_IN_USE: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.LINE_UNAVAILABLE: 503,
}
# Tokens and nonces are base64url and dots; anything else is refused before it reaches
# PyJWT, the nonce signer or a header sent to LINE, none of which accept every string.
TOKEN_TEXT = re.compile(r"[\x21-\x7e]+")
# What an app may send, as the audit trail names the login's kind.
TOKEN_KINDS = ("id_token", "access_token")


def error_response(code: ErrorCode, description: str) -> JsonResponse:
    """The JSON error every refusal answers with."""
    logger.warning("Native LINE login refused: %s (%s)", code, description)
    return JsonResponse(
        {"error": code, "error_description": description}, status=STATUS.get(code, 400)
    )


def rate_limited_response(request: HttpRequest, error: RateLimited) -> JsonResponse:
    """The 429 an app gets over a rate limit (``Retry-After`` is set by the limiter)."""
    return error_response(error.code, f"too many requests; retry after {error.retry_after} seconds")


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class NonceView(View):
    """``POST`` → ``{"nonce", "expires_in"}``: a nonce for the app's next LINE login."""

    http_method_names = ["post"]

    @method_decorator(rate_limit("native_nonce", refuse=rate_limited_response))
    def post(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse({"nonce": nonces.issue(), "expires_in": line_settings.nonce_ttl})


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class NativeLoginView(View):
    """``POST`` a JSON ``{"id_token", "nonce"}``, ``{"access_token"}`` or, in LIFF mode,
    ``{"id_token"}`` alone; log the LINE user in.

    CSRF is not checked, as apps have no CSRF cookie; requiring the JSON content
    type instead keeps a cross-site form from logging a visitor in (browsers
    cannot send it cross-site without a CORS preflight).
    """

    http_method_names = ["post"]

    @method_decorator(rate_limit("native_login", refuse=rate_limited_response))
    def post(self, request: HttpRequest) -> JsonResponse:
        token_kind = ""

        def refuse(code: ErrorCode, description: str) -> JsonResponse:
            # After the pipeline's rollback, so the refusal stays on the audit trail.
            audit.native_login_failed(request, token_kind, code)
            return error_response(code, description)

        try:
            payload = read_payload(request)
            token_kind = next((name for name in TOKEN_KINDS if payload.get(name)), "")
            identity = self.verify(payload)
            backend = get_backend(request)
            user = backend.do_auth(
                identity.get("access_token", ""), response=identity, **{audit.NATIVE_TOKEN_KWARG: token_kind}
            )
        except LineUnavailable as error:
            return refuse(ErrorCode.LINE_UNAVAILABLE, str(error))
        except LineAPIError as error:
            return refuse(ErrorCode.LINE_UNAVAILABLE, error.error_description or str(error))
        except LineAuthError as error:
            return refuse(error.code, getattr(error, "reason", str(error)))
        except SocialAuthBaseException as error:
            code = SOCIAL_CORE_CODES.get(error.code, ErrorCode.LOGIN_NOT_ALLOWED)
            return refuse(code, str(error) or type(error).__name__)
        if not isinstance(user, get_user_model()) or not user.is_active:
            return refuse(ErrorCode.LOGIN_NOT_ALLOWED, "this account cannot log in")
        if line_settings.native_login_session:
            sessions.log_in(request, user)
        return JsonResponse(self.answer(user, identity))

    def verify(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The ``response`` dict a web login would hand the pipeline, from a verified token.

        The token's own channel (its ``aud``, or ``client_id`` per LINE) must be one
        this request may use; the identity names it as ``channel_id``.
        """
        id_token, access_token = payload.get("id_token"), payload.get("access_token")
        if bool(id_token) == bool(access_token):
            raise InvalidRequest("send either id_token (with nonce) or access_token")
        accepted = channels.for_request(self.request)
        if access_token:
            return identity_from_access_token(_text(access_token, "access_token"), accepted)
        nonce = payload.get("nonce")
        if nonce is None and line_settings.liff_id_tokens:
            # LIFF mode: liff.getIDToken() carries no nonce of ours (docs/liff.md).
            return identity_from_id_token(_text(id_token, "id_token"), None, accepted)
        return identity_from_id_token(_text(id_token, "id_token"), _text(nonce, "nonce"), accepted)

    def answer(self, user: Any, identity: dict[str, Any]) -> dict[str, Any]:
        """The JSON body of a successful login; override to add your own API token."""
        return {
            "user": {"id": user.pk, "username": user.get_username()},
            "line_user_id": identity["sub"],
            "is_new": bool(user.is_new),  # social-core marks every user its pipeline returns
        }


def read_payload(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body."""
    if request.content_type != "application/json":
        raise InvalidRequest("Content-Type must be application/json")
    try:
        payload = json.loads(request.body)
    # UnicodeDecodeError is a ValueError; RecursionError is a deeply nested body.
    except (RequestDataTooBig, ValueError, RecursionError) as error:
        raise InvalidRequest("the body is not valid JSON") from error
    if not isinstance(payload, dict):
        raise InvalidRequest("the body must be a JSON object")
    return payload


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name} is required and must be a string")
    if len(value) > MAX_TOKEN_LENGTH or not TOKEN_TEXT.fullmatch(value):
        raise InvalidRequest(f"{name} must be at most {MAX_TOKEN_LENGTH} printable ASCII characters")
    return value
