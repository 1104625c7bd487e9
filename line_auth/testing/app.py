"""The emulator as one WSGI application serving both LINE hosts (their paths do not collide).

Injected network failures that have no HTTP answer are raised as ``SimulatedTimeout`` /
``SimulatedDisconnect``; the in-process transport turns them into ``requests`` exceptions,
while the live server keeps a timed-out request silent until released, then drops it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from . import api
from .authorize import OUTCOMES, AuthorizationResult, decide, parse_request, shows_friend_option
from .holds import Hold
from .pages import (
    ACTION,
    CONTROL_FIELDS,
    EMAIL_FIELD,
    FRIEND_FIELD,
    NEW_EMAIL_FIELD,
    NEW_NAME_FIELD,
    USER_FIELD,
    consent_page,
    error_page,
    form_post_page,
)
from .platform_state import PlatformState
from .recording import masked_body, masked_headers, masked_query
from .state import DEFAULT_PICTURE_URL, EmulatorError, Fault, RecordedCall
from .webio import Request, Response, SimulatedDisconnect, SimulatedTimeout

AUTHORIZE_PATH = "/oauth2/v2.1/authorize"
CONSENT_PATH = "/oauth2/v2.1/authorize/consent"
BROWSER_PATHS = frozenset({AUTHORIZE_PATH, CONSENT_PATH})
# Stands in for access.line.me's login cookie, so prompt=none can work in a real browser.
SSO_COOKIE = "line_emulator_sso"


class EmulatorApp:
    """WSGI callable serving one ``PlatformState``.

    ``latency`` (seconds) is added to every API call, for benchmarks; tests order
    requests with ``hold_next`` instead.
    """

    def __init__(self, platform: PlatformState, latency: float = 0.0) -> None:
        self.platform = platform
        self.latency = latency

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response = self.handle(Request.from_environ(environ))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
        start_response(f"{response.status} {reason}", response.header_list())
        return [response.body]

    def handle(self, req: Request) -> Response:
        platform = self.platform
        is_api = req.path not in BROWSER_PATHS
        with platform.lock:
            fault = platform.pop_fault(req.method, req.path)
            hold = platform.take_hold(req.method, req.path)
            # A live client must really time out: it gets nothing until release_holds().
            silence = _silence(platform, req) if fault and fault.kind == "timeout" and req.live else None
        if hold is not None:
            hold.stop_here()
        if is_api and self.latency:
            time.sleep(self.latency)
        if fault and fault.kind in ("timeout", "connection_refused"):
            with platform.lock:
                platform.calls.append(_recorded(req, 0))
            if silence is not None:
                silence.stop_here()
            elif fault.kind == "timeout":
                raise SimulatedTimeout()
            raise SimulatedDisconnect()
        with platform.lock:
            if fault and fault.kind in ("status", "html"):
                response = _fault_response(fault)
            else:
                response = self._dispatch(req)
                if fault:  # truncated: the real answer, cut mid-body
                    response.body = response.body[: len(response.body) // 2]
            if is_api:
                response.headers.append(("x-line-request-id", secrets.token_hex(8)))
                platform.calls.append(_recorded(req, response.status))
        return response

    def _dispatch(self, req: Request) -> Response:
        if req.path == AUTHORIZE_PATH and req.method == "GET":
            return self._authorize(req)
        if req.path == CONSENT_PATH and req.method == "POST":
            return self._consent(req)
        handler = api.ROUTES.get((req.method, req.path))
        if handler is not None:
            return handler(req, self.platform)
        if req.path in BROWSER_PATHS or any(path == req.path for _, path in api.ROUTES):
            return api.message_error(405, "Method Not Allowed")
        return api.message_error(404, "Not Found")

    def _authorize(self, req: Request) -> Response:
        platform = self.platform
        try:
            request = parse_request(req.query_string, platform)
        except EmulatorError as exc:
            return Response.html(400, error_page(str(exc)))
        sso_user = platform.users.get(req.cookie(SSO_COOKIE) or "")
        if request.error or "none" in request.prompt:
            result = decide(
                request,
                platform,
                sso_user,
                outcome="approve",
                add_friend=False,
                grant_email=True,
                amr=None,
            )
            return _to_response(result)
        page = consent_page(
            request,
            action_url=req.script_name + CONSENT_PATH,
            users=list(platform.users.values()),
            selected_user_id=sso_user.user_id if sso_user else None,
            friend_option=shows_friend_option(request, platform, sso_user),
        )
        return Response.html(200, page)

    def _consent(self, req: Request) -> Response:
        platform = self.platform
        pairs = req.form_pairs
        form = dict(pairs)
        try:
            request = parse_request(
                urlencode([(k, v) for k, v in pairs if k not in CONTROL_FIELDS]), platform
            )
        except EmulatorError as exc:
            return Response.html(400, error_page(str(exc)))
        action = form.get(ACTION, "approve")
        if action not in OUTCOMES:
            return Response.html(400, error_page(f"Unknown action {action!r}."))
        user = platform.users.get(form.get(USER_FIELD, ""))
        if user is None:
            name = form.get(NEW_NAME_FIELD, "").strip() or "Taro Line"
            user = platform.create_user(
                name, DEFAULT_PICTURE_URL, form.get(NEW_EMAIL_FIELD) or None, None
            )
        result = decide(
            request,
            platform,
            user,
            outcome=action,
            add_friend=FRIEND_FIELD in form,
            grant_email=EMAIL_FIELD in form,
            amr=None,
        )
        response = _to_response(result)
        response.headers.append(
            ("Set-Cookie", f"{SSO_COOKIE}={user.user_id}; Path=/; HttpOnly; SameSite=Lax")
        )
        return response


def _silence(platform: PlatformState, req: Request) -> Hold:
    """A hold this request has already claimed, released like the others (the server's
    ``stop()`` included); made under the platform lock, so no release can slip in between."""
    silence = Hold(req.path, req.method)
    silence.taken = True
    platform.holds.append(silence)
    return silence


def _recorded(req: Request, status: int) -> RecordedCall:
    return RecordedCall(
        req.method,
        req.path,
        status,
        req.host,
        query=masked_query(req),
        body=masked_body(req),
        headers=masked_headers(req),
    )


def _to_response(result: AuthorizationResult) -> Response:
    if result.method == "POST":
        return Response.html(200, form_post_page(result))
    return Response(302, headers=[("Location", result.url)])


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "html":
        body = (
            fault.body or b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>"
        )
        return Response(fault.status, body, "text/html; charset=utf-8")
    body = fault.body if fault.body is not None else b'{"message":"emulated failure"}'
    return Response(fault.status, body, fault.content_type)
