"""The checks ``manage.py check`` runs on line_auth's configuration, and their basics:
credentials, the authentication backend, social-auth, authorization options.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from line_auth.checks import caching, security, tokens, webhook_and_tasks
from line_auth.checks.messages import Codes, collect
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidOption
from line_auth.internal.option_values import OPTION_NAMES
from line_auth.internal.options import validate_options
from line_auth.internal.sessions import BACKEND_PATH

STOCK_BACKEND_PATH = "social_core.backends.line.LineOAuth2"


@register(Tags.security)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every line_auth check; each helper returns one message or None."""
    return collect(
        _credentials(),
        _backend(),
        _stock_backend(),
        _social_django(),
        _options(),
        _request_options(),
        *tokens.encryption(),
        security.pipeline(),
        security.associate_by_email(),
        *security.user_model(),
        security.form_post(),
        security.request_form_post(),
        security.samesite_none_insecure(),
        security.base_urls(),
        security.pkce(),
        *tokens.token_settings(),
        caching.cache(),
        tokens.refresh_window(),
        webhook_and_tasks.webhook_secret(),
        *webhook_and_tasks.scheduled_tasks(),
        *webhook_and_tasks.retentions(),
    )


def _credentials() -> CheckMessage | None:
    if line_settings.channel_id and line_settings.channel_secret:
        return None
    return Error(
        "The LINE channel ID or channel secret is not set.",
        hint="Set SOCIAL_AUTH_LINE_KEY (channel ID) and SOCIAL_AUTH_LINE_SECRET (channel secret) "
        "from the LINE Developers Console.",
        id=Codes.MISSING_CREDENTIALS,
    )


def _backend() -> CheckMessage | None:
    if BACKEND_PATH in settings.AUTHENTICATION_BACKENDS:
        return None
    return Error(
        f"{BACKEND_PATH} is not in AUTHENTICATION_BACKENDS.",
        hint=f'Add "{BACKEND_PATH}" to AUTHENTICATION_BACKENDS, before ModelBackend.',
        id=Codes.BACKEND_MISSING,
    )


def _stock_backend() -> CheckMessage | None:
    if STOCK_BACKEND_PATH not in settings.AUTHENTICATION_BACKENDS:
        return None
    return Error(
        f"{STOCK_BACKEND_PATH} is also named 'line' and would shadow line_auth's backend.",
        hint=f"Remove {STOCK_BACKEND_PATH} from AUTHENTICATION_BACKENDS; existing links keep working.",
        id=Codes.STOCK_BACKEND_CONFLICT,
    )


def _social_django() -> CheckMessage | None:
    if "social_django" in settings.INSTALLED_APPS:
        return None
    return Error(
        "social_django is not in INSTALLED_APPS.",
        hint='Add "social_django" to INSTALLED_APPS and run migrate.',
        id=Codes.SOCIAL_DJANGO_MISSING,
    )


def _options() -> CheckMessage | None:
    try:
        validate_options({"scope": " ".join(line_settings.scope), **line_settings.authorization_options})
    except InvalidOption as error:
        return Error(
            f"Invalid LINE authorization option: {error}",
            hint="Fix SOCIAL_AUTH_LINE_SCOPE or LINE_AUTH_AUTHORIZATION_OPTIONS.",
            id=Codes.INVALID_OPTION,
        )
    return None


def _request_options() -> CheckMessage | None:
    unknown = sorted(set(line_settings.request_options) - set(OPTION_NAMES))
    if not unknown:
        return None
    return Error(
        f"LINE_AUTH_REQUEST_OPTIONS names unknown options: {', '.join(unknown)}.",
        hint=f"Use only: {', '.join(OPTION_NAMES)}.",
        id=Codes.UNKNOWN_REQUEST_OPTION,
    )
