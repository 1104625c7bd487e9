"""Checks on the audit trail's settings and on the options recent-login guards need."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLResolver, get_resolver

from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings
from line_auth.decorators import required_options


def invalid_audit_setting(code: Codes, reason: str) -> CheckMessage:
    return Error(reason, hint="See docs/settings.md, \"Audit trail\".", id=code)


def recent_login_option_refused(name: str, code: Codes) -> CheckMessage:
    return Warning(
        f"A view requires a recent LINE login, but LINE_AUTH_REQUEST_OPTIONS does not let a "
        f"login ask for {name}, so LINE is never asked for it and the view is never reached.",
        hint=f"Add {name!r} to LINE_AUTH_REQUEST_OPTIONS (docs/recent-login.md).",
        id=code,
    )


@register(TAG)
def check_audit_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E040, E041: settings the audit trail cannot work with."""
    found = []
    for attribute, code in (
        ("audit_client_address", Codes.INVALID_AUDIT_CLIENT_ADDRESS),
        ("audit_retention", Codes.INVALID_AUDIT_RETENTION),
    ):
        try:
            getattr(line_settings, attribute)
        except (ImproperlyConfigured, TypeError, ValueError) as error:
            found.append(invalid_audit_setting(code, str(error)))
    return found


@register(TAG, Tags.urls)
def check_recent_login_options(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W033, W034: a routed view needs a recent login, but a login may not ask LINE for it."""
    needed = set().union(*(required_options(view) for view in _views(get_resolver().url_patterns)))
    allowed = set(line_settings.request_options)
    return collect(
        recent_login_option_refused("max_age", Codes.RECENT_LOGIN_MAX_AGE_REFUSED)
        if "max_age" in needed - allowed else None,
        recent_login_option_refused("prompt", Codes.RECENT_LOGIN_PROMPT_REFUSED)
        if "prompt" in needed - allowed else None,
    )


def _views(patterns: Iterable[Any]) -> Iterator[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        else:
            yield pattern.callback
