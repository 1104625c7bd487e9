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
)

from line_auth.exceptions import InvalidOption, RateLimited

if TYPE_CHECKING:
    # str or a lazy translation; the alias exists only in django-stubs.
    from django.utils.functional import _StrOrPromise as StrOrPromise

logger = logging.getLogger("line_auth.login")

# "same-origin": LINE's code in the callback URL never leaves the site, while our own
# form POSTs keep their Origin header ("no-referrer" makes browsers send "Origin: null",
# which Django's CSRF check refuses).
REFERRER_POLICY = "same-origin"
_UNAVAILABLE_CODES = {"unavailable", "timeout", "connection_failed", "rate_limited", "tls_error"}
# social-core's codes for a user a login could not create because of its email, and the
# failure each is shown as (native logins answer with the same name as their error code).
EMAIL_FAILURES = {"profile_email_missing": "email_required", "email_in_use": "email_in_use"}


@dataclass(frozen=True)
class Failure:
    """One kind of failure: what the visitor reads and whether a retry can help."""

    kind: str
    title: StrOrPromise
    message: StrOrPromise
    status: int = 400
    retry: bool = True
    disable_auto_login: bool = False


FAILURES = {
    failure.kind: failure
    for failure in (
        Failure("cancelled", _("Login cancelled"), _("You cancelled the LINE login. Nothing was changed."), 403),
        Failure(
            "auto_login_failed",
            _("We could not confirm this login"),
            _(
                "LINE's automatic login did not complete, which can happen in a private browsing "
                "window or when LINE opens another browser. Try again and log in on LINE's page."
            ),
            disable_auto_login=True,
        ),
        Failure(
            "session",
            _("This login has expired"),
            _("The login took too long, or it was started in another browser or tab. Please start again."),
        ),
        Failure("line_error", _("LINE reported a problem"), _("LINE could not complete the login. Please try again.")),
        Failure(
            "unavailable",
            _("LINE is not responding"),
            _("We could not get an answer from LINE just now. Please try again in a moment."),
        ),
        Failure(
            "verification",
            _("We could not verify the login"),
            _("LINE's answer could not be verified, so you were not logged in. Please try again."),
        ),
        Failure(
            "already_linked",
            _("This LINE account is linked to another user"),
            _("Log out and log in with LINE to use that account, or link a different LINE account."),
            retry=False,
        ),
        Failure(
            "email_required",
            _("LINE did not share your email address"),
            _(
                "This site needs your email address to create your account. Log in again and "
                "allow LINE to share your email address."
            ),
        ),
        Failure(
            "email_in_use",
            _("An account already uses this email address"),
            _(
                "Log in to that account another way, then link your LINE account from your "
                "account page."
            ),
            retry=False,
        ),
        Failure(
            "not_allowed", _("Login not allowed"), _("This account cannot log in to this site."), 403, retry=False
        ),
        Failure(
            "invalid_option",
            _("This login link is not valid"),
            _("The link you followed asks LINE for an option it does not support."),
        ),
        Failure(
            "rate_limited",
            _("Too many login attempts"),
            _("Too many logins were started just now. Please wait a minute and try again."),
            429,
        ),
        Failure(
            "configuration",
            _("LINE Login is not available"),
            _("LINE Login is not set up correctly on this site. The site's administrators have been told."),
            retry=False,
        ),
    )
}


def classify(error: Exception, *, has_code: bool = False) -> Failure:
    """Choose the failure a visitor sees for an exception from the login flow."""
    if isinstance(error, InvalidOption):
        return FAILURES["invalid_option"]
    if isinstance(error, RateLimited):
        return FAILURES["rate_limited"]
    if isinstance(error, AuthCanceled):
        return FAILURES["cancelled"]
    state_problem = isinstance(error, AuthSessionError) or (
        isinstance(error, AuthInputError) and error.parameter == "state"
    )
    if state_problem:
        # LINE's auto login failure returns a code with a state that does not match.
        return FAILURES["auto_login_failed" if has_code else "session"]
    code = str(getattr(error, "code", ""))
    if code in EMAIL_FAILURES:
        return FAILURES[EMAIL_FAILURES[code]]
    if isinstance(error, AuthAssociationError):
        return FAILURES["already_linked"]
    if isinstance(error, AuthPolicyError):
        return FAILURES["not_allowed"]
    if isinstance(error, AuthConfigurationError):
        return FAILURES["configuration"]
    if isinstance(error, AuthProviderError):
        return FAILURES["unavailable" if error.code in _UNAVAILABLE_CODES else "line_error"]
    if isinstance(error, AuthCredentialError):
        return FAILURES["session"]
    if getattr(error, "code", None) == "malformed_response":
        return FAILURES["unavailable"]  # LINE answered, but not with usable JSON
    return FAILURES["verification"]


def failure_response(
    request: HttpRequest, error: Exception, *, has_code: bool = False, template: str = "line_auth/error.html"
) -> HttpResponse:
    """Log the failure for the developer and render the friendly page for the visitor."""
    failure = classify(error, has_code=has_code)
    code = getattr(error, "code", type(error).__name__)
    stage = getattr(error, "stage", "-")
    level = logging.ERROR if failure.kind == "configuration" else logging.WARNING
    parameter = getattr(error, "parameter", None) or getattr(error, "name", None) or "-"
    logger.log(level, "LINE login failed: kind=%s code=%s stage=%s parameter=%s",
               failure.kind, code, stage, parameter)
    context = {
        "failure": failure,
        "invalid_option": error if isinstance(error, InvalidOption) else None,
        # The retry keeps where the visitor was going (validated again when used).
        "next": request.session.get(REDIRECT_FIELD_NAME, ""),
    }
    response = render(request, template, context, status=failure.status)
    response["Referrer-Policy"] = REFERRER_POLICY
    return response

