"""Login start, LINE's callback, and the visitor's linked-account page.

The login starts only from a CSRF-protected POST (a GET shows a button), so a
hostile page cannot log a visitor in to an attacker's LINE account. Every
failure ends on :func:`line_auth.views.failures.failure_response`, never a 500.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from social_core.actions import do_auth, do_complete
from social_core.exceptions import SocialAuthBaseException

from line_auth import audit, channels, deauthorization, tokens
from line_auth.backends import LineBackend, get_backend
from line_auth.channels import Channel, UnknownChannel
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidOption
from line_auth.internal import sessions
from line_auth.internal.option_values import OPTION_NAMES
from line_auth.internal.ratelimit import rate_limit
from line_auth.models import LineAccount
from line_auth.views.failures import REFERRER_POLICY, classify, failure_response
from line_auth.views.forms import DisconnectForm

logger = logging.getLogger("line_auth.views")


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """A same-site redirect target, or the configured default (no open redirects)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return line_settings.login_redirect_url


@method_decorator([never_cache, xframe_options_deny], name="dispatch")
class LoginView(View):
    """GET: a page with the LINE button. POST: validate the options and go to LINE.

    ``login/<channel>/`` logs in through that channel; ``login/`` through the
    first channel this request may use. A channel that is unknown here, or a
    LINE MINI App channel (no browser login), gets the friendly page with 404.
    """

    template_name = "line_auth/login.html"

    def get(self, request: HttpRequest, channel: str | None = None) -> HttpResponse:
        try:
            chosen = self.channel(request, channel)
        except UnknownChannel as error:
            return failure_response(request, error)
        options = {name: request.GET[name] for name in OPTION_NAMES if name in request.GET}
        context = {
            "options": options,
            "next": safe_next(request, request.GET.get(REDIRECT_FIELD_NAME)),
            # The button names a channel only when the URL did.
            "channel": chosen.name if channel else "",
            "line_channel": chosen if channel else None,
        }
        return render(request, self.template_name, context)

    @method_decorator([rate_limit("login", refuse=failure_response), csrf_protect])
    def post(self, request: HttpRequest, channel: str | None = None) -> HttpResponse:
        try:
            chosen = self.channel(request, channel)
        except UnknownChannel as error:
            return failure_response(request, error)
        # Resolve the user before the login's state is stored: a stale session is
        # flushed on first access, and the state must not be flushed with it.
        user = request.user if request.user.is_authenticated else None
        backend = get_backend(request, chosen)
        try:
            backend.login_options()
            response = do_auth(backend, redirect_name=REDIRECT_FIELD_NAME, user=user)
        except (InvalidOption, SocialAuthBaseException) as error:
            return failure_response(request, error, channel=channel or "")
        audit.authorization_requested(request, backend.login_options(), backend.channel.channel_id)
        if user is None:
            sessions.expire_with_login_state(request, backend.setting("STATE_LIFETIME", backend.STATE_LIFETIME))
        return response

    def channel(self, request: HttpRequest, name: str | None) -> Channel:
        """The web channel this login uses; ``UnknownChannel`` when there is none."""
        return channels.for_web_login(request, name)


@method_decorator([never_cache, xframe_options_deny, csrf_exempt], name="dispatch")
class CallbackView(View):
    """Where LINE sends the visitor back (GET for ``query``, POST for ``form_post``).

    CSRF is not checked here because LINE's form_post comes from LINE's site;
    the single-use ``state`` bound to this browser's session is the defence.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.complete(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.complete(request)

    def complete(self, request: HttpRequest) -> HttpResponse:
        backend = get_backend(request)
        data = backend.strategy.request_data()
        # social-core treats an anonymous user as no user; say so in the types.
        user = request.user if request.user.is_authenticated else None
        try:
            response = do_complete(
                backend, partial(_login, request), user=user, redirect_name=REDIRECT_FIELD_NAME
            )
        except SocialAuthBaseException as error:
            kind = classify(error, has_code=bool(data.get("code"))).kind
            audit.callback_failed(request, kind, data, error, _channel_id(backend))
            return failure_response(request, error, has_code=bool(data.get("code")), channel=_retry_channel(backend))
        response["Referrer-Policy"] = REFERRER_POLICY
        if isinstance(response, HttpResponseRedirect):
            # Validate the target where it is used, not only where it was stored.
            response["Location"] = safe_next(request, _without_next(response["Location"]))
        return response


def _channel_id(backend: LineBackend) -> str:
    """The ID of the channel a failed callback was for, if one is known."""
    try:
        return backend.channel.channel_id
    except UnknownChannel:
        return ""


def _retry_channel(backend: LineBackend) -> str:
    """The channel "Try again" logs in with: the login's own, named unless it is the default."""
    try:
        chosen, default = backend.channel, channels.default_channel()
    except UnknownChannel:
        return ""
    return "" if chosen == default else chosen.name


def _without_next(url: str) -> str:
    """Drop the ``next`` social-core appends when it could not use it: it was refused."""
    parts = urlsplit(url)
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name != REDIRECT_FIELD_NAME]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _login(request: HttpRequest, backend: LineBackend, user: Any, social_user: Any) -> None:
    """social-core's login hook: the visitor becomes the user LINE authenticated."""
    sessions.log_in(request, user)


def _linked_accounts(request: HttpRequest) -> QuerySet[LineAccount]:
    """The signed-in visitor's LINE accounts (every view calling this requires login)."""
    user = request.user
    assert user.is_authenticated, "login_required lets only signed-in visitors through"
    return user.line_accounts.all()


def _with_channels(accounts: QuerySet[LineAccount]) -> list[LineAccount]:
    """The accounts, each with ``line_channel``: its configured channel, or ``None`` if gone."""
    known = {channel.channel_id: channel for channel in channels.all_channels()}
    listed = list(accounts)
    for account in listed:
        account.line_channel = known.get(account.channel_id)  # type: ignore[attr-defined]
    return listed


@method_decorator([never_cache, xframe_options_deny, login_required], name="dispatch")
class AccountView(View):
    """The visitor's linked LINE accounts, with a button to unlink each."""

    template_name = "line_auth/account.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"line_accounts": _with_channels(_linked_accounts(request))})


@method_decorator([never_cache, xframe_options_deny, login_required, csrf_protect], name="dispatch")
class DisconnectView(View):
    """POST: unlink a LINE account (deauthorizing the app at LINE) if the user keeps a way to log in."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DisconnectForm(_linked_accounts(request), request.POST)
        if not form.is_valid():
            # Malformed, or not this visitor's: refused, and nothing is touched.
            logger.warning("Refused to unlink a LINE account: code=%s", form.errors.as_data()["account"][0].code)
            messages.error(request, _("That LINE account is not linked to you."))
            return render(request, AccountView.template_name,
                          {"line_accounts": _with_channels(_linked_accounts(request))}, status=400)
        account = form.cleaned_data["account"]
        if not tokens.can_unlink(account):
            messages.error(
                request, _("Set a password first: without LINE you would have no way to log in.")
            )
        else:
            deauthorization.unlink(account)
            messages.success(request, _("Your LINE account was unlinked."))
        next_url = request.POST.get(REDIRECT_FIELD_NAME)
        # A URL, never a view name: redirect() would try to reverse "abc" and fail.
        return HttpResponseRedirect(safe_next(request, next_url) if next_url else reverse("line_auth:account"))
