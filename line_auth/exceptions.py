"""The errors line_auth raises, one small hierarchy translated at the boundaries.

Inside the social-core flow these are converted to ``social_core`` exceptions by
the backend; views turn both kinds into a friendly page or a JSON error.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    """Every code line_auth shows; the values are public and never change.

    Apps read them as the native endpoints' JSON ``error``, pages carry them as the
    ``line-auth-failure-<kind>`` CSS class, and logs name them. Each error class
    carries its code, so nothing is ever chosen by reading an error's message.
    """

    # The native and LIFF login endpoints' JSON ``error`` (docs/native-login.md).
    INVALID_REQUEST = "invalid_request"
    INVALID_ID_TOKEN = "invalid_id_token"
    INVALID_NONCE = "invalid_nonce"
    INVALID_ACCESS_TOKEN = "invalid_access_token"
    LOGIN_NOT_ALLOWED = "login_not_allowed"
    EMAIL_REQUIRED = "email_required"
    EMAIL_IN_USE = "email_in_use"
    RATE_LIMITED = "rate_limited"
    LINE_UNAVAILABLE = "line_unavailable"
    # The friendly error page's kinds (with EMAIL_REQUIRED, EMAIL_IN_USE and RATE_LIMITED).
    CANCELLED = "cancelled"
    AUTO_LOGIN_FAILED = "auto_login_failed"
    SESSION = "session"
    LINE_ERROR = "line_error"
    UNAVAILABLE = "unavailable"
    VERIFICATION = "verification"
    ALREADY_LINKED = "already_linked"
    NOT_ALLOWED = "not_allowed"
    INVALID_OPTION = "invalid_option"
    CONFIGURATION = "configuration"
    UNKNOWN_CHANNEL = "unknown_channel"
    # Codes seen only in logs: the base classes' and a postponed background refresh's.
    LINE_AUTH_ERROR = "line_auth_error"
    LINE_API_ERROR = "line_api_error"
    REFUSED = "refused"
    REFRESH_POSTPONED = "refresh_postponed"


# social-core's codes (``SocialAuthBaseException.code``) for the two email problems of a
# first login: one exception class covers several problems, so its code tells them apart.
SOCIAL_CORE_CODES = {
    "profile_email_missing": ErrorCode.EMAIL_REQUIRED,
    "email_in_use": ErrorCode.EMAIL_IN_USE,
}


class LineAuthError(Exception):
    """Base of every line_auth error. ``code`` is stable and safe to show."""

    code: ClassVar[ErrorCode] = ErrorCode.LINE_AUTH_ERROR


class InvalidOption(LineAuthError):
    """An authorization parameter has a value LINE does not accept."""

    code = ErrorCode.INVALID_OPTION

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"{name}={value!r} is not accepted by LINE; use {allowed}.")


class LineAPIError(LineAuthError):
    """LINE answered with an error status; carries what LINE said, never tokens."""

    code = ErrorCode.LINE_API_ERROR

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

    code = ErrorCode.LINE_UNAVAILABLE


class InvalidIdToken(LineAuthError):
    """The ID token failed verification: signature, algorithm, or a claim."""

    code = ErrorCode.INVALID_ID_TOKEN

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"ID token rejected: {reason}")


class InvalidIdTokenSignature(InvalidIdToken):
    """The ID token's signature does not verify: a forgery or the wrong key, not a bad claim."""


class Refused(LineAuthError):
    """A native login was refused; ``reason`` is safe to show to the app's developer."""

    code = ErrorCode.REFUSED

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class InvalidRequest(Refused):
    """The app's request is not the JSON body the endpoint documents."""

    code = ErrorCode.INVALID_REQUEST


class InvalidAccessToken(Refused):
    """LINE refused the access token, or it belongs to another channel or has expired."""

    code = ErrorCode.INVALID_ACCESS_TOKEN


class InvalidNonce(Refused):
    """The nonce was not issued by this server, was already used, or has expired."""

    code = ErrorCode.INVALID_NONCE


class RateLimited(LineAuthError):
    """Too many requests from one client address, or from everyone, in the current window."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limited; retry after {retry_after} seconds")
