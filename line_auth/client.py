"""The only code that talks HTTP to LINE.

One pooled ``requests.Session`` per process, a timeout on every call, bounded
retries with jitter for idempotent calls, and LINE's two error body shapes
(``{"error", "error_description"}`` and ``{"message"}``) mapped to
:class:`~line_auth.exceptions.LineAPIError`. Every failure is logged with LINE's
``x-line-request-id`` (LINE's development guidelines ask for it) and never with
a token. Endpoint paths follow https://developers.line.biz/en/reference/line-login/.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

from line_auth import audit
from line_auth.conf import line_settings
from line_auth.exceptions import LineAPIError, LineUnavailable
from line_auth.internal import budget, http_environment

logger = logging.getLogger("line_auth.client")

TOKEN_PATH = "/oauth2/v2.1/token"
VERIFY_PATH = "/oauth2/v2.1/verify"
REVOKE_PATH = "/oauth2/v2.1/revoke"
USERINFO_PATH = "/oauth2/v2.1/userinfo"
CERTS_PATH = "/oauth2/v2.1/certs"
PROFILE_PATH = "/v2/profile"
FRIENDSHIP_PATH = "/friendship/v1/status"
CHANNEL_TOKEN_PATH = "/oauth2/v3/token"
DEAUTHORIZE_PATH = "/user/v1/deauthorize"
AUTHORIZE_PATH = "/oauth2/v2.1/authorize"

_RETRY_BASE_DELAY = 0.2
TOO_MANY_REQUESTS = 429
POOL_SIZE = 32


class Credentials(Protocol):
    """A channel's ID and secret (``line_auth.channels.Channel`` is one)."""

    @property
    def channel_id(self) -> str: ...

    @property
    def secret(self) -> str: ...


class LineClient:
    """Calls LINE's APIs; views, services and the backend never use ``requests`` directly."""

    # Waits between attempts; a seam so tests run retries without really waiting.
    pause: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self) -> None:
        self.session = requests.Session()
        # The environment's proxies and CA bundle are read once per origin, not per call.
        self.session.trust_env = False
        self._environment: dict[str, dict[str, Any]] = {}
        # Enough pooled connections for line_auth_refresh_tokens --concurrency up to this many.
        self.session.mount("https://", HTTPAdapter(pool_maxsize=POOL_SIZE))
        self.session.headers["User-Agent"] = "line_auth (+https://pypi.org/project/line-auth/)"

    def api_url(self, path: str) -> str:
        """The full URL of an API path on the configured API host."""
        return f"{line_settings.api_base_url}{path}"

    def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request, retrying transient failures only when it is safe.

        A POST is retried only when the caller says it is idempotent: a token
        exchange must not be, because an authorization code is single use.
        """
        if idempotent is None:
            idempotent = method.upper() == "GET"
        attempts = 1 + (line_settings.requests_retries if idempotent else 0)
        kwargs.setdefault("timeout", line_settings.requests_timeout)
        kwargs = {**self._from_environment(url), **kwargs}
        for attempt in range(1, attempts + 1):
            try:
                response = audit.api_call(self.session.request, method, url, **kwargs)
            except requests.RequestException as error:
                failure: LineAPIError = LineUnavailable(
                    f"LINE could not be reached ({type(error).__name__})"
                )
            else:
                if response.status_code < 400:
                    return response
                failure = _api_error(response)
            delay = retry_delay(attempt)
            if failure.status_code == TOO_MANY_REQUESTS:
                # LINE's limit is shared by every process: all of them back off, not only this one.
                delay = max(delay, _retry_after(response))
                budget.hold_off(delay)
            if attempt == attempts or not failure.is_transient:
                _log_failure(method, url, failure)
                raise failure
            self.pause(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _from_environment(self, url: str) -> dict[str, Any]:
        key = http_environment.origin(url)
        found = self._environment.get(key)
        if found is None:
            found = self._environment[key] = http_environment.request_settings(key)
        return found

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Call an API path and return its JSON object body."""
        response = self.send(method, self.api_url(path), **kwargs)
        return _json_object(response)

    def get_profile(self, access_token: str) -> dict[str, Any]:
        """``GET /v2/profile``: userId, displayName, pictureUrl, statusMessage."""
        return self.json("GET", PROFILE_PATH, headers=_bearer(access_token))

    def get_userinfo(self, access_token: str) -> dict[str, Any]:
        """``GET /oauth2/v2.1/userinfo``: sub, and name and picture when ``profile`` was granted.

        Needs only ``openid``, so it answers for channels whose users consented to
        nothing more (new LINE MINI App channels since 2026-01-08).
        """
        return self.json("GET", USERINFO_PATH, headers=_bearer(access_token))

    def get_friendship(self, access_token: str) -> bool:
        """``GET /friendship/v1/status``: is the user a friend of the linked OA."""
        data = self.json("GET", FRIENDSHIP_PATH, headers=_bearer(access_token))
        flag = data.get("friendFlag")
        if not isinstance(flag, bool):
            raise LineUnavailable("LINE's friendship answer had no friendFlag")
        return flag

    def refresh(self, channel: Credentials, refresh_token: str) -> dict[str, Any]:
        """Exchange a refresh token for a new access token (the refresh token stays).

        ``channel`` is the one that issued the token: LINE refuses any other's credentials.
        """
        data = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": channel.channel_id,
            "client_secret": channel.secret,
        }
        return self.json("POST", TOKEN_PATH, data=data, idempotent=True)

    def verify_access_token(self, access_token: str) -> dict[str, Any]:
        """``GET /oauth2/v2.1/verify``: scope, client_id and expires_in of a token."""
        return self.json("GET", VERIFY_PATH, params={"access_token": access_token})

    def revoke(self, channel: Credentials, access_token: str) -> None:
        """Revoke an access token of ``channel``; LINE answers 200 with an empty body."""
        data = {
            "access_token": access_token,
            "client_id": channel.channel_id,
            "client_secret": channel.secret,
        }
        self.send("POST", self.api_url(REVOKE_PATH), data=data, idempotent=True)

    def verify_id_token_remote(
        self, id_token: str, client_id: str, nonce: str = ""
    ) -> dict[str, Any]:
        """``POST /oauth2/v2.1/verify``: LINE checks signature, iss, aud, exp and nonce."""
        data = {"id_token": id_token, "client_id": client_id}
        if nonce:
            data["nonce"] = nonce
        return self.json("POST", VERIFY_PATH, data=data, idempotent=True)

    def get_jwks(self) -> dict[str, Any]:
        """``GET /oauth2/v2.1/certs``: the public keys of ES256 ID tokens (native apps, LIFF)."""
        return self.json("GET", CERTS_PATH)

    def issue_channel_token(self, channel: Credentials) -> str:
        """A stateless channel access token (15 minutes) of ``channel`` from ``POST /oauth2/v3/token``.

        LINE issues these without limit and they cannot be revoked, so one is
        asked for when needed rather than stored.
        """
        data = {
            "grant_type": "client_credentials",
            "client_id": channel.channel_id,
            "client_secret": channel.secret,
        }
        body = self.json("POST", CHANNEL_TOKEN_PATH, data=data, idempotent=True)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise LineUnavailable("LINE's channel token answer had no access_token")
        return token

    def deauthorize(self, channel_token: str, user_access_token: str) -> None:
        """``POST /user/v1/deauthorize``: unlink the app for the user; LINE answers 204."""
        self.send(
            "POST",
            self.api_url(DEAUTHORIZE_PATH),
            headers=_bearer(channel_token),
            json={"userAccessToken": user_access_token},
            idempotent=True,
        )


def retry_delay(attempt: int) -> float:
    """Seconds before retrying after failed ``attempt`` (1, 2, ...): doubling, with jitter
    so that many processes failing together do not retry in step."""
    return _RETRY_BASE_DELAY * 2 ** (attempt - 1) * (0.5 + random.random())  # noqa: S311


def _retry_after(response: requests.Response) -> float:
    """``Retry-After`` in seconds (LINE documents none, HTTP allows it); 0 when absent or a date."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 0.0


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def _json_body(response: requests.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or ``None`` when it is anything else."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _json_object(response: requests.Response) -> dict[str, Any]:
    data = _json_body(response)
    if data is None:
        raise LineUnavailable(
            "LINE answered with a body that is not a JSON object",
            status_code=response.status_code,
            request_id=response.headers.get("x-line-request-id", ""),
        )
    return data


def _api_error(response: requests.Response) -> LineAPIError:
    request_id = response.headers.get("x-line-request-id", "")
    body = _json_body(response)
    if body is None:
        return LineUnavailable(
            f"LINE answered HTTP {response.status_code} without a JSON body",
            status_code=response.status_code,
            request_id=request_id,
        )
    error = str(body.get("error", "") or "")
    description = str(body.get("error_description") or body.get("message") or "")
    return LineAPIError(
        f"LINE answered HTTP {response.status_code}: {error or description or 'no detail'}",
        status_code=response.status_code,
        error=error,
        error_description=description,
        request_id=request_id,
    )


def _log_failure(method: str, url: str, failure: LineAPIError) -> None:
    # The URL is logged without its query: GET verify carries a token there.
    logger.warning(
        "LINE call failed: %s %s status=%s error=%s x-line-request-id=%s",
        method.upper(),
        url.split("?", 1)[0],
        failure.status_code,
        failure.error or type(failure).__name__,
        failure.request_id or "-",
    )


_client: LineClient | None = None
_client_lock = threading.Lock()


def get_client() -> LineClient:
    """The process-wide client, so connections to LINE are pooled and reused."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = LineClient()
    return _client
