"""Checks on how safely a LINE login travels: the session cookie on LINE's
``form_post``, HTTPS to LINE, and PKCE.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings


def form_post_samesite() -> CheckMessage:
    return Warning(
        "response_mode=form_post needs the session cookie on LINE's cross-site POST.",
        hint='Set SESSION_COOKIE_SAMESITE = "None" with SESSION_COOKIE_SECURE = True, '
        'or keep the default response_mode "query".',
        id=Codes.FORM_POST_SAMESITE,
    )


def request_form_post_refused() -> CheckMessage:
    return Warning(
        "LINE_AUTH_REQUEST_OPTIONS lets a visitor choose response_mode, but a login asking for "
        "form_post is refused: the session cookie would not come back on LINE's cross-site POST.",
        hint='Remove "response_mode" from LINE_AUTH_REQUEST_OPTIONS, or set '
        'SESSION_COOKIE_SAMESITE = "None" with SESSION_COOKIE_SECURE = True.',
        id=Codes.REQUEST_FORM_POST_REFUSED,
    )


def samesite_none_insecure() -> CheckMessage:
    return Error(
        'SESSION_COOKIE_SAMESITE is "None" but SESSION_COOKIE_SECURE is off.',
        hint="Browsers drop a SameSite=None cookie that is not Secure, so no login could find its "
        'state. Set SESSION_COOKIE_SECURE = True (HTTPS), or go back to "Lax" and response_mode query.',
        id=Codes.SAMESITE_NONE_INSECURE,
    )


def insecure_base_url() -> CheckMessage:
    return Warning(
        "LINE base URLs do not use HTTPS while DEBUG is off.",
        hint="LINE_AUTH_ACCESS_BASE_URL and LINE_AUTH_API_BASE_URL should be https:// in production.",
        id=Codes.INSECURE_BASE_URL,
    )


def pkce_off() -> CheckMessage:
    return Warning(
        "PKCE is off; RFC 9700 requires it for a login with an authorization code.",
        hint="Remove SOCIAL_AUTH_LINE_USE_PKCE.",
        id=Codes.PKCE_OFF,
    )


def pkce_not_s256(method: object) -> CheckMessage:
    return Warning(
        f"The PKCE code challenge method is {method!r}; LINE supports only S256.",
        hint="Remove SOCIAL_AUTH_LINE_PKCE_CODE_CHALLENGE_METHOD.",
        id=Codes.PKCE_NOT_S256,
    )


@register(TAG, Tags.security)
def check_session_cookie(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The session cookie must come back on LINE's cross-site POST wherever ``form_post`` is used."""
    return collect(_form_post(), _request_form_post(), _samesite_none_insecure())


def _form_post() -> CheckMessage | None:
    if line_settings.authorization_options.get("response_mode") != "form_post":
        return None
    return None if line_settings.session_cookie_crosses_sites else form_post_samesite()


def _request_form_post() -> CheckMessage | None:
    # Only a list the site wrote itself: the default allows every option, and a
    # warning on every new site would teach people to ignore this one.
    if not hasattr(settings, "LINE_AUTH_REQUEST_OPTIONS"):
        return None
    if "response_mode" not in line_settings.request_options or line_settings.session_cookie_crosses_sites:
        return None
    return request_form_post_refused()


def _samesite_none_insecure() -> CheckMessage | None:
    if not line_settings.session_cookie_samesite_none or line_settings.session_cookie_crosses_sites:
        return None
    return samesite_none_insecure()


@register(TAG, Tags.security)
def check_base_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Tokens travel to these URLs; plain HTTP is for the emulator during development."""
    urls = (line_settings.access_base_url, line_settings.api_base_url)
    if settings.DEBUG or all(url.startswith("https://") for url in urls):
        return []
    return [insecure_base_url()]


@register(TAG, Tags.security)
def check_pkce(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """social-core's PKCE settings: LINE supports S256 only, and RFC 9700 requires PKCE."""
    if not getattr(settings, "SOCIAL_AUTH_LINE_USE_PKCE", True):
        return [pkce_off()]
    method = getattr(settings, "SOCIAL_AUTH_LINE_PKCE_CODE_CHALLENGE_METHOD", "S256")
    return [] if method == "S256" else [pkce_not_s256(method)]
