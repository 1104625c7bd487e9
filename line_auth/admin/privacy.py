"""Admin actions answering a user's privacy request: export their LINE data, or erase it.

Offered on the LINE accounts changelist (for the accounts' users) and on the
site's user admin. Both call :mod:`line_auth.privacy`, as the commands do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from line_auth import privacy
from line_auth.admin.actions import confirmation_page
from line_auth.models import LineAccount


def _users_of(queryset: QuerySet[Any]) -> Iterable[Any]:
    """The users behind the selected rows: the rows themselves on the user admin."""
    if queryset.model is LineAccount:
        return get_user_model().objects.filter(line_accounts__in=queryset).distinct().order_by("pk")
    return queryset.order_by("pk")


def _export(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
    """Download, as one JSON file, what line_auth holds about each selected user; no token in it."""
    data = {"users": [privacy.export_user_data(user) for user in _users_of(queryset)]}
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="line-auth-export-{stamp}.json"'
    return response


def _erase(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any], action: str) -> HttpResponse | None:
    """Ask first (the page carries the notice of what LINE is told), then erase each user's LINE data."""
    if request.POST.get("post") != "yes":
        return confirmation_page(modeladmin, request, queryset, action, _("Erase LINE data"))
    users = list(_users_of(queryset))
    queued = 0
    for user in users:
        queued += privacy.erase_user_data(user).deauthorizations.get("queued", 0)
    modeladmin.message_user(
        request,
        ngettext(
            "Erased the LINE data of %(count)d user.", "Erased the LINE data of %(count)d users.", len(users)
        ) % {"count": len(users)},
        messages.SUCCESS,
    )
    if queued:
        modeladmin.message_user(
            request,
            ngettext(
                "LINE could not take %(count)d deauthorization; it is queued and will be retried.",
                "LINE could not take %(count)d deauthorizations; they are queued and will be retried.",
                queued,
            ) % {"count": queued},
            messages.WARNING,
        )
    return None


@admin.action(description=_("Export the users' LINE data (JSON)"), permissions=["view"])
def export_user_data(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
    return _export(modeladmin, request, queryset)


@admin.action(description=_("Erase the users' LINE data (deauthorize at LINE)"), permissions=["delete"])
def erase_user_data(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
    return _erase(modeladmin, request, queryset, "erase_user_data")


@admin.action(description=_("Export their LINE data (JSON)"), permissions=["view"])
def export_line_data(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
    return _export(modeladmin, request, queryset)


@admin.action(description=_("Erase their LINE data (deauthorize at LINE)"), permissions=["delete"])
def erase_line_data(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
    return _erase(modeladmin, request, queryset, "erase_line_data")


# The actions added to the site's user admin (their names differ from any the site may have).
USER_ACTIONS: tuple[Callable[..., Any], ...] = (export_line_data, erase_line_data)
