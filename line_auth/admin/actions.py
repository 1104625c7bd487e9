"""Admin actions on LINE accounts: refresh tokens, verify them, disconnect.

Each action reports every selected row: one message per outcome, naming the
accounts it applies to, so an operator sees which ones need attention. An
account whose tokens no configured key opens is never sent to LINE: it is
skipped, and the message says why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from line_auth import deauthorization, tokens
from line_auth.deauthorization import Outcome as Deauth
from line_auth.fields import is_unreadable
from line_auth.models import DeauthorizationReason, LineAccount
from line_auth.tokens import Outcome

# How many accounts a message names before it says "and N more".
MAX_NAMED = 20

# The message and its level per outcome; "count" picks the plural form.
REFRESH_MESSAGES: dict[Outcome, tuple[Any, int]] = {
    Outcome.REFRESHED: (
        ngettext_lazy(
            "Refreshed the access token of %(count)d account: %(accounts)s.",
            "Refreshed the access tokens of %(count)d accounts: %(accounts)s.",
            "count",
        ),
        messages.SUCCESS,
    ),
    Outcome.RELOGIN: (
        ngettext_lazy(
            "%(count)d account needs a new LINE login: %(accounts)s.",
            "%(count)d accounts need a new LINE login: %(accounts)s.",
            "count",
        ),
        messages.WARNING,
    ),
    Outcome.FAILED: (
        ngettext_lazy(
            "LINE could not refresh %(count)d account, try again later: %(accounts)s.",
            "LINE could not refresh %(count)d accounts, try again later: %(accounts)s.",
            "count",
        ),
        messages.ERROR,
    ),
    Outcome.SKIPPED: (
        ngettext_lazy(
            "Skipped %(count)d account without a usable refresh token: %(accounts)s.",
            "Skipped %(count)d accounts without a usable refresh token: %(accounts)s.",
            "count",
        ),
        messages.INFO,
    ),
    Outcome.UNREADABLE: (
        ngettext_lazy(
            "Skipped %(count)d account whose tokens no key in LINE_AUTH_ENCRYPTION_KEYS "
            "opens; it needs a new LINE login: %(accounts)s.",
            "Skipped %(count)d accounts whose tokens no key in LINE_AUTH_ENCRYPTION_KEYS "
            "opens; they need a new LINE login: %(accounts)s.",
            "count",
        ),
        messages.WARNING,
    ),
    Outcome.NO_CHANNEL: (
        ngettext_lazy(
            "Skipped %(count)d account whose LINE channel is no longer configured: %(accounts)s.",
            "Skipped %(count)d accounts whose LINE channel is no longer configured: %(accounts)s.",
            "count",
        ),
        messages.WARNING,
    ),
}

# The message and its level per disconnect result (see _disconnect).
DISCONNECT_MESSAGES: dict[str, tuple[Any, int]] = {
    Deauth.DONE: (
        ngettext_lazy(
            "Disconnected %(count)d account and deauthorized the app at LINE: %(accounts)s.",
            "Disconnected %(count)d accounts and deauthorized the app at LINE: %(accounts)s.",
            "count",
        ),
        messages.SUCCESS,
    ),
    Deauth.GONE: (
        ngettext_lazy(
            "Disconnected %(count)d account; LINE had already ended its authorization: %(accounts)s.",
            "Disconnected %(count)d accounts; LINE had already ended their authorizations: %(accounts)s.",
            "count",
        ),
        messages.SUCCESS,
    ),
    Deauth.QUEUED: (
        ngettext_lazy(
            "Disconnected %(count)d account; LINE could not take the deauthorization, which is "
            "queued and will be retried: %(accounts)s.",
            "Disconnected %(count)d accounts; LINE could not take the deauthorizations, which are "
            "queued and will be retried: %(accounts)s.",
            "count",
        ),
        messages.WARNING,
    ),
    Deauth.NO_TOKEN: (
        ngettext_lazy(
            "Disconnected %(count)d account without deauthorizing at LINE, as it holds no usable "
            "token: %(accounts)s.",
            "Disconnected %(count)d accounts without deauthorizing at LINE, as they hold no usable "
            "token: %(accounts)s.",
            "count",
        ),
        messages.WARNING,
    ),
    "unreadable": (
        ngettext_lazy(
            "Disconnected %(count)d account without deauthorizing at LINE, as no key in "
            "LINE_AUTH_ENCRYPTION_KEYS opens its tokens: %(accounts)s.",
            "Disconnected %(count)d accounts without deauthorizing at LINE, as no key "
            "in LINE_AUTH_ENCRYPTION_KEYS opens their tokens: %(accounts)s.",
            "count",
        ),
        messages.WARNING,
    ),
}


@admin.action(description=_("Refresh LINE access tokens"), permissions=["change"])
def refresh_tokens(modeladmin: Any, request: HttpRequest, queryset: QuerySet[LineAccount]) -> None:
    results: dict[Outcome, list[LineAccount]] = defaultdict(list)
    tokens.refresh_many(queryset, on_outcome=lambda account, outcome: results[outcome].append(account))
    # The engine answers in its own order; name the accounts in the changelist's.
    position = {pk: index for index, pk in enumerate(queryset.values_list("pk", flat=True))}
    for outcome, (message, level) in REFRESH_MESSAGES.items():
        ordered = sorted(results.get(outcome, []), key=lambda account: position[account.pk])
        _report(modeladmin, request, ordered, message, level)


@admin.action(description=_("Verify LINE access tokens"), permissions=["view"])
def verify_tokens(modeladmin: Any, request: HttpRequest, queryset: QuerySet[LineAccount]) -> None:
    valid: list[str] = []
    invalid: list[str] = []
    for account in queryset:
        verification = tokens.verify(account)
        if verification.valid:
            valid.append(str(account))
        else:
            invalid.append(f"{account} ({verification.reason})")
    _report_names(
        modeladmin,
        request,
        valid,
        ngettext_lazy(
            "%(count)d account has a valid access token: %(accounts)s.",
            "%(count)d accounts have a valid access token: %(accounts)s.",
            "count",
        ),
        messages.SUCCESS,
    )
    _report_names(
        modeladmin,
        request,
        invalid,
        ngettext_lazy(
            "%(count)d account has no usable access token: %(accounts)s.",
            "%(count)d accounts have no usable access token: %(accounts)s.",
            "count",
        ),
        messages.WARNING,
    )


@admin.action(description=_("Disconnect (deauthorize at LINE and unlink)"), permissions=["delete"])
def disconnect_accounts(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[LineAccount]
) -> HttpResponse | None:
    """Ask first, on a page saying what LINE is told; unlink once the operator confirms."""
    if request.POST.get("post") != "yes":
        return confirmation_page(modeladmin, request, queryset, "disconnect_accounts", _("Disconnect"))
    disconnect_and_report(modeladmin, request, queryset)
    return None


def confirmation_page(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[LineAccount], action: str, title: Any
) -> TemplateResponse:
    """An action's "are you sure" page, with the notice of what ending a link does at LINE."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "action": action,
        "queryset": queryset,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/line_auth/confirm_action.html", context)


def disconnect_and_report(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[LineAccount]
) -> None:
    """Unlink each account as its owner would on the account page, and report by outcome.

    The admin's delete action and delete button come here too, so deleting a
    link from the admin also deauthorizes the app at LINE and removes its
    social-auth row.
    """
    # The changelist defers the tokens; revoking needs them, so read them with the rows.
    results = _group(queryset.select_related("user").defer(None), _disconnect)
    for result, (message, level) in DISCONNECT_MESSAGES.items():
        _report(modeladmin, request, results.get(result), message, level)


def _disconnect(account: LineAccount) -> str:
    unreadable = is_unreadable(account.access_token) or is_unreadable(account.refresh_token)
    outcome = deauthorization.unlink(account, DeauthorizationReason.ADMIN)
    return "unreadable" if unreadable and outcome is Deauth.NO_TOKEN else outcome


def _group(
    queryset: Iterable[LineAccount], action: Callable[[LineAccount], Any]
) -> dict[Any, list[LineAccount]]:
    results: dict[Any, list[LineAccount]] = defaultdict(list)
    for account in queryset:
        results[action(account)].append(account)
    return results


def _report(
    modeladmin: Any,
    request: HttpRequest,
    accounts: list[LineAccount] | None,
    message: Any,
    level: int,
) -> None:
    _report_names(modeladmin, request, [str(account) for account in accounts or []], message, level)


def _report_names(
    modeladmin: Any, request: HttpRequest, names: list[str], message: Any, level: int
) -> None:
    if not names:
        return
    shown = ", ".join(names[:MAX_NAMED])
    if len(names) > MAX_NAMED:
        shown += ngettext(" and %(more)d more", " and %(more)d more", len(names) - MAX_NAMED) % {
            "more": len(names) - MAX_NAMED
        }
    modeladmin.message_user(request, message % {"count": len(names), "accounts": shown}, level)
