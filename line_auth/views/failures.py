"""Turning any login failure into a page a visitor understands and a log line a
developer can act on, without tokens, codes or LINE's free text in either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthConfigurationError,
    AuthCredentialError,
    AuthInputError,
    AuthPolicyError,
    AuthProviderError,
    AuthSessionError,
    SocialAuthBaseException,
)

from line_auth.exceptions import SOCIAL_CORE_CODES, ErrorCode, InvalidOption, LineAuthError

if TYPE_CHECKING:
    # str or a lazy translation; the alias exists only in django-stubs.
    from django.utils.functional import _StrOrPromise as StrOrPromise

logger = logging.getLogger("line_auth.login")

# "same-origin": LINE's code in the callback URL never leaves the site, while our own
# form POSTs keep their Origin header ("no-referrer" makes browsers send "Origin: null",
# which Django's CSRF check refuses).
REFERRER_POLICY = "same-origin"
# social-core's codes of an ``AuthProviderError`` that mean LINE could not be reached.
_UNAVAILABLE_CODES = {"unavailable", "timeout", "connection_failed", "rate_limited", "tls_error"}
# social-core's exception classes, most specific first, and the failure each is shown as.
_CLASS_FAILURES: tuple[tuple[type[SocialAuthBaseException], ErrorCode], ...] = (
    (AuthAssociationError, ErrorCode.ALREADY_LINKED),
    (AuthPolicyError, ErrorCode.NOT_ALLOWED),
    (AuthConfigurationError, ErrorCode.CONFIGURATION),
    (AuthProviderError, ErrorCode.LINE_ERROR),
    (AuthCredentialError, ErrorCode.SESSION),
)


@dataclass(frozen=True)
class Failure:
    """One kind of failure: what the visitor reads and whether a retry can help."""

    kind: ErrorCode
    title: StrOrPromise
    message: StrOrPromise
    status: int = 400
    retry: bool = True
    disable_auto_login: bool = False


FAILURES = {
    failure.kind: failure
    for failure in (
        Failure(
            ErrorCode.CANCELLED, _("Login cancelled"), _("You cancelled the LINE login. Nothing was changed."), 403
        ),
        Failure(
            ErrorCode.AUTO_LOGIN_FAILED,
            _("We could not confirm this login"),
            _(
                "LINE's automatic login did not complete, which can happen in a private browsing "
                "window or when LINE opens another browser. Try again and log in on LINE's page."
            ),
            disable_auto_login=True,
        ),
        Failure(
            ErrorCode.SESSION,
            _("This login has expired"),
            _("The login took too long, or it was started in another browser or tab. Please start again."),
        ),
        Failure(
            ErrorCode.LINE_ERROR,
            _("LINE reported a problem"),
            _("LINE could not complete the login. Please try again."),
        ),
        Failure(
            ErrorCode.UNAVAILABLE,
            _("LINE is not responding"),
            _("We could not get an answer from LINE just now. Please try again in a moment."),
        ),
        Failure(
            ErrorCode.VERIFICATION,
            _("We could not verify the login"),
            _("LINE's answer could not be verified, so you were not logged in. Please try again."),
        ),
        Failure(
            ErrorCode.ALREADY_LINKED,
            _("This LINE account is linked to another user"),
            _("Log out and log in with LINE to use that account, or link a different LINE account."),
            retry=False,
        ),
        Failure(
            ErrorCode.EMAIL_REQUIRED,
            _("LINE did not share your email address"),
            _(
                "This site needs your email address to create your account. Log in again and "
                "allow LINE to share your email address."
            ),
        ),
        Failure(
            ErrorCode.EMAIL_IN_USE,
            _("An account already uses this email address"),
            _(
                "Log in to that account another way, then link your LINE account from your "
                "account page."
            ),
            retry=False,
        ),
        Failure(
            ErrorCode.NOT_ALLOWED,
            _("Login not allowed"),
            _("This account cannot log in to this site."),
            403,
            retry=False,
        ),
        Failure(
            ErrorCode.INVALID_OPTION,
            _("This login link is not valid"),
            _("The link you followed asks LINE for an option it does not support."),
        ),
        Failure(
            ErrorCode.RATE_LIMITED,
            _("Too many login attempts"),
            _("Too many logins were started just now. Please wait a minute and try again."),
            429,
        ),
        Failure(
            ErrorCode.UNKNOWN_CHANNEL,
            _("This LINE login is not available here"),
            _("The LINE login you followed does not exist on this site. Use a LINE button on our pages."),
            404,
            retry=False,
        ),
        Failure(
            ErrorCode.CONFIGURATION,
            _("LINE Login is not available"),
            _("LINE Login is not set up correctly on this site. The site's administrators have been told."),
            retry=False,
        ),
    )
}


def classify(error: Exception, *, has_code: bool = False) -> Failure:
    """Choose the failure a visitor sees for an exception from the login flow.

    Only classes and codes decide, never an error's message.
    """
    return FAILURES[_kind(error, has_code=has_code)]


def _kind(error: Exception, *, has_code: bool) -> ErrorCode:
    if isinstance(error, LineAuthError):
        # Raised before social-core runs: an invalid option or a rate limit.
        return error.code if error.code in FAILURES else ErrorCode.VERIFICATION
    if not isinstance(error, SocialAuthBaseException):
        return ErrorCode.VERIFICATION
    if isinstance(error, AuthCanceled):
        return ErrorCode.CANCELLED
    if isinstance(error, AuthSessionError) or (isinstance(error, AuthInputError) and error.parameter == "state"):
        # LINE's auto login failure returns a code with a state that does not match.
        return ErrorCode.AUTO_LOGIN_FAILED if has_code else ErrorCode.SESSION
    if error.code in SOCIAL_CORE_CODES:
        return SOCIAL_CORE_CODES[error.code]
    if isinstance(error, AuthProviderError) and error.code in _UNAVAILABLE_CODES:
        return ErrorCode.UNAVAILABLE
    for error_class, kind in _CLASS_FAILURES:
        if isinstance(error, error_class):
            return kind
    if error.code == "malformed_response":
        return ErrorCode.UNAVAILABLE  # LINE answered, but not with usable JSON
    return ErrorCode.VERIFICATION


def failure_response(
    request: HttpRequest,
    error: Exception,
    *,
    has_code: bool = False,
    template: str = "line_auth/error.html",
    channel: str = "",
) -> HttpResponse:
    """Log the failure for the developer and render the friendly page for the visitor.

    ``channel`` is the short name of the channel the login used, so "Try again" uses it too.
    """
    failure = classify(error, has_code=has_code)
    code = getattr(error, "code", type(error).__name__)
    stage = getattr(error, "stage", "-")
    level = logging.ERROR if failure.kind == "configuration" else logging.WARNING
    # What was missing or wrong, where the error names it: a callback parameter or a claim of LINE's answer.
    parameter = (
        getattr(error, "parameter", None) or getattr(error, "claim", None) or getattr(error, "name", None) or "-"
    )
    logger.log(level, "LINE login failed: kind=%s code=%s stage=%s parameter=%s",
               failure.kind, code, stage, parameter)
    context = {
        "failure": failure,
        "invalid_option": error if isinstance(error, InvalidOption) else None,
        # The retry keeps where the visitor was going (validated again when used).
        "next": request.session.get(REDIRECT_FIELD_NAME, ""),
        "channel": channel,
    }
    response = render(request, template, context, status=failure.status)
    response["Referrer-Policy"] = REFERRER_POLICY
    return response

