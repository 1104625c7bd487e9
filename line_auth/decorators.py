"""Requiring a recent LINE login before a sensitive action (changing an email, paying, unlinking).

A session remembers the ID token's ``auth_time`` of its LINE login, which LINE
sends only when the authorization request carried ``max_age``. A guarded view
runs only if that time is at most ``max_age`` seconds old (plus
``LINE_AUTH_ID_TOKEN_LEEWAY``, the skew the backend tolerates on the same claim,
so a login the backend accepted is never sent round again). Otherwise the
visitor goes to the LINE login page with ``max_age`` (and ``prompt=login`` when
asked) and ``next`` back to the action; on return the backend refuses an
``auth_time`` older than ``max_age``, and only a fresh one reaches the view.
See docs/recent-login.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from line_auth.conf import line_settings
from line_auth.internal import auth_time

DEFAULT_MAX_AGE = 300

View = Callable[..., HttpResponseBase]


def is_recent(request: HttpRequest, max_age: int, now: float | None = None) -> bool:
    """Whether the signed-in user's last LINE authentication is at most ``max_age`` seconds old."""
    authenticated = auth_time.authenticated_at(request)
    if authenticated is None or not request.user.is_authenticated:
        return False
    now = time.time() if now is None else now
    return now - authenticated <= max_age + line_settings.id_token_leeway


def reauthentication_url(request: HttpRequest, max_age: int, prompt_login: bool = False) -> str:
    """The LINE login page asking for an authentication at most ``max_age`` old, then back here."""
    params = {"max_age": str(max_age)}
    if prompt_login:
        params["prompt"] = "login"
    params[REDIRECT_FIELD_NAME] = request.get_full_path()
    return f"{reverse('line_auth:login')}?{urlencode(params)}"


def _options(prompt_login: bool) -> frozenset[str]:
    return frozenset({"max_age", "prompt"} if prompt_login else {"max_age"})


def required_options(view: Callable[..., Any]) -> frozenset[str]:
    """The per-login options a URL's view sends visitors to LINE with (checks W033, W034)."""
    view_class = getattr(view, "view_class", None)
    if isinstance(view_class, type) and issubclass(view_class, RecentLineLoginRequiredMixin):
        return _options(view_class.line_login_prompt_login)
    return frozenset(getattr(view, "line_auth_required_options", ()))


def recent_line_login(max_age: int = DEFAULT_MAX_AGE, prompt_login: bool = False) -> Callable[[View], View]:
    """Decorate a view: without a LINE authentication in the last ``max_age`` seconds, go
    through LINE first. ``prompt_login=True`` makes LINE ask for the credentials again
    instead of accepting its own session or auto login."""
    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if is_recent(request, max_age):
                return view(request, *args, **kwargs)
            return HttpResponseRedirect(reauthentication_url(request, max_age, prompt_login))

        guarded.line_auth_required_options = _options(prompt_login)  # type: ignore[attr-defined]
        return guarded

    return decorator


class RecentLineLoginRequiredMixin:
    """The class-based-view form of :func:`recent_line_login`; put it first among the bases."""

    line_login_max_age: int = DEFAULT_MAX_AGE
    line_login_prompt_login: bool = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_recent(request, self.line_login_max_age):
            return HttpResponseRedirect(
                reauthentication_url(request, self.line_login_max_age, self.line_login_prompt_login)
            )
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
