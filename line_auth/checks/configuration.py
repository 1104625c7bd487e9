"""Checks on line_auth's basics: credentials, the installed apps and backends, and the
authorization options sent to LINE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidOption
from line_auth.internal.option_values import OPTION_NAMES
from line_auth.internal.options import validate_options
from line_auth.internal.sessions import BACKEND_PATH

STOCK_BACKEND_PATH = "social_core.backends.line.LineOAuth2"


def missing_credentials() -> CheckMessage:
    return Error(
        "The LINE channel ID or channel secret is not set.",
        hint="Set SOCIAL_AUTH_LINE_KEY (channel ID) and SOCIAL_AUTH_LINE_SECRET (channel secret) "
        "from the LINE Developers Console.",
        id=Codes.MISSING_CREDENTIALS,
    )


def backend_missing() -> CheckMessage:
    return Error(
        f"{BACKEND_PATH} is not in AUTHENTICATION_BACKENDS.",
        hint=f'Add "{BACKEND_PATH}" to AUTHENTICATION_BACKENDS, before ModelBackend.',
        id=Codes.BACKEND_MISSING,
    )


def stock_backend_conflict() -> CheckMessage:
    return Error(
        f"{STOCK_BACKEND_PATH} is also named 'line' and would shadow line_auth's backend.",
        hint=f"Remove {STOCK_BACKEND_PATH} from AUTHENTICATION_BACKENDS; existing links keep working.",
        id=Codes.STOCK_BACKEND_CONFLICT,
    )


def social_django_missing() -> CheckMessage:
    return Error(
        "social_django is not in INSTALLED_APPS.",
        hint='Add "social_django" to INSTALLED_APPS and run migrate.',
        id=Codes.SOCIAL_DJANGO_MISSING,
    )


def invalid_scope(problem: str) -> CheckMessage:
    return Error(
        f"Invalid SOCIAL_AUTH_LINE_SCOPE: {problem}",
        hint="Ask for profile and/or openid, and openid with email (docs/settings.md).",
        id=Codes.INVALID_SCOPE,
    )


def invalid_option(problem: str) -> CheckMessage:
    return Error(
        f"Invalid LINE authorization option: {problem}",
        hint="Fix LINE_AUTH_AUTHORIZATION_OPTIONS (docs/settings.md).",
        id=Codes.INVALID_OPTION,
    )


def unknown_request_option(unknown: Iterable[str]) -> CheckMessage:
    return Error(
        f"LINE_AUTH_REQUEST_OPTIONS names unknown options: {', '.join(unknown)}.",
        hint=f"Use only: {', '.join(OPTION_NAMES)}.",
        id=Codes.UNKNOWN_REQUEST_OPTION,
    )


@register(TAG)
def check_credentials(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Without a channel's ID and secret no login can start.

    A site that declares its channels in ``LINE_AUTH_CHANNELS`` (or loads them)
    needs no social-auth key; the channel checks look at each of those.
    """
    if line_settings.channel_id and line_settings.channel_secret:
        return []
    if not line_settings.channel_id and (line_settings.channels or line_settings.channel_loader):
        return []
    return [missing_credentials()]


@register(TAG, Tags.compatibility)
def check_installation(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """line_auth's backend is installed, alone under the name ``line``, with social_django."""
    backends = settings.AUTHENTICATION_BACKENDS
    return collect(
        None if BACKEND_PATH in backends else backend_missing(),
        stock_backend_conflict() if STOCK_BACKEND_PATH in backends else None,
        None if "social_django" in settings.INSTALLED_APPS else social_django_missing(),
    )


@register(TAG)
def check_authorization_options(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The scope and options every login sends, and the options a visitor may choose."""
    unknown = sorted(set(line_settings.request_options) - set(OPTION_NAMES))
    return collect(
        _invalid(invalid_scope, {"scope": " ".join(line_settings.scope)}),
        _invalid(invalid_option, line_settings.authorization_options),
        unknown_request_option(unknown) if unknown else None,
    )


def _invalid(message: Callable[[str], CheckMessage], options: Mapping[str, Any]) -> CheckMessage | None:
    try:
        validate_options(options)
    except InvalidOption as error:
        return message(str(error))
    return None
