"""The LINE backend's HTTP: every call social-core makes goes through the pooled LINE client.

A mixin of ``line_auth.backends.LineBackend``, kept apart so the backend module
holds the login flow only.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from social_core.exceptions import AuthProviderError, SocialAuthBaseException

from line_auth import client as line_client
from line_auth.exceptions import LineAPIError, LineUnavailable


class LineClientRequests:
    """social-core's ``request`` through the LINE client (timeouts, retries, the emulator)."""

    # Provided by social-core's backend this is mixed into.
    get_provider_error: Any

    def request(self, url: str, *, method: Literal["GET", "POST", "DELETE"] = "GET",
                headers: Any = None, data: Any = None, json: Any = None, auth: Any = None,
                params: Any = None, timeout: float | None = None, stage: Any = "user_info") -> Any:
        """Through the pooled LINE client (timeouts, retries, the emulator), with its errors
        turned into social-core's, so the callback ends on the friendly page."""
        try:
            return line_client.get_client().send(
                method, url, headers=headers, data=data, json=json, auth=auth, params=params,
                idempotent=False, **({"timeout": timeout} if timeout else {}),
            )
        except LineAPIError as error:
            raise self._api_failure(error, stage=stage) from error

    def _api_failure(self, error: LineAPIError, *, stage: Any) -> SocialAuthBaseException:
        if isinstance(error, LineUnavailable):
            return AuthProviderError(cast(Any, self), code="unavailable", status_code=error.status_code, stage=stage)
        data = {"error": error.error.lower(), "error_description": error.error_description}
        found = self.get_provider_error(data, stage=stage, status_code=error.status_code)
        if found is not None:
            return found
        code = "rate_limited" if error.status_code == 429 else "unavailable" if error.is_transient else "http_error"
        return AuthProviderError(cast(Any, self), code=code, status_code=error.status_code, stage=stage)
