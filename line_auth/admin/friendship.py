"""Friendship in the admin: the status history inline and the "re-check now" action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from line_auth.conf import line_settings
from line_auth.friendship.sync import sync_friendships
from line_auth.models import FriendshipChange, FriendshipSource, LineAccount


class FriendshipChangeInline(admin.TabularInline):
    """Answers "since when is this user a friend?" on the account's change page."""

    model = FriendshipChange
    verbose_name_plural = _("friendship history")
    fields = ("event_at", "previous", "current", "source", "changed_at")
    readonly_fields = fields
    ordering = ("-event_at", "-id")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is written by line_auth only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may see the account may see its history: no extra permission to grant.
        opts = LineAccount._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("view", "change")
        )


@admin.action(description=_("Re-check friendship now"), permissions=["change"])
def recheck_friendship(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[LineAccount]
) -> None:
    """Ask LINE for each selected account whose access token LINE would still accept."""
    report = sync_friendships(
        queryset, source=FriendshipSource.API, workers=line_settings.friendship_sync_workers
    )
    modeladmin.message_user(
        request,
        ngettext(
            "Checked %(checked)d account: %(changed)d changed.",
            "Checked %(checked)d accounts: %(changed)d changed.",
            report.checked,
        )
        % report.as_dict(),
        messages.SUCCESS,
    )
    if report.skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "Skipped %(skipped)d account without a usable access token "
                "(a new login is needed).",
                "Skipped %(skipped)d accounts without a usable access token "
                "(a new login is needed).",
                report.skipped,
            )
            % report.as_dict(),
            messages.WARNING,
        )
    if report.failed:
        modeladmin.message_user(
            request,
            ngettext(
                "LINE did not answer for %(failed)d account; try again later.",
                "LINE did not answer for %(failed)d accounts; try again later.",
                report.failed,
            )
            % report.as_dict(),
            messages.ERROR,
        )
