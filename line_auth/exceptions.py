"""The errors line_auth raises, one small hierarchy translated at the boundaries.

Inside the social-core flow these are converted to ``social_core`` exceptions by
the backend; views turn both kinds into a friendly page or a JSON error.
"""

from __future__ import annotations


class LineAuthError(Exception):
    """Base of every line_auth error. ``code`` is stable and safe to show."""

    code = "line_auth_error"



class InvalidOption(LineAuthError):
    """An authorization parameter has a value LINE does not accept."""

    code = "invalid_option"

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"{name}={value!r} is not accepted by LINE; use {allowed}.")


class LineAPIError(LineAuthError):
    """LINE answered with an error status; carries what LINE said, never tokens."""

    code = "line_api_error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error: str = "",
        error_description: str = "",
        request_id: str = "",
    ) -> None:
        self.status_code = status_code
        self.error = error
        self.error_description = error_description
        self.request_id = request_id
        super().__init__(message)

    @property
    def is_transient(self) -> bool:
        """Whether trying again later may succeed (rate limit or server fault)."""
        return self.status_code is None or self.status_code == 429 or self.status_code >= 500


class LineUnavailable(LineAPIError):
    """LINE could not be reached: timeout, refused connection, or a non-JSON body."""

    code = "line_unavailable"


class InvalidIdToken(LineAuthError):
    """The ID token failed verification: signature, algorithm, or a claim."""

    code = "invalid_id_token"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"ID token rejected: {reason}")



class Refused(LineAuthError):
    """A native login was refused; ``reason`` is safe to show to the app's developer."""

    code = "refused"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class InvalidRequest(Refused):
    """The app's request is not the JSON body the endpoint documents."""

    code = "invalid_request"


class InvalidAccessToken(Refused):
    """LINE refused the access token, or it belongs to another channel or has expired."""

    code = "invalid_access_token"


class InvalidNonce(Refused):
    """The nonce was not issued by this server, was already used, or has expired."""

    code = "invalid_nonce"


class RateLimited(LineAuthError):
    """Too many requests from one client address, or from everyone, in the current window."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limited; retry after {retry_after} seconds")
