"""Linked LINE accounts in the Django admin, for operators; tokens are never shown.

Only whether a token exists and when it expires is displayed. Everything LINE
owns is read-only. ``LINE_AUTH_ENABLE_ADMIN = False`` turns all of this off.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from line_auth import channels
from line_auth.admin import actions as admin_actions
from line_auth.admin import privacy as admin_privacy
from line_auth.admin.audit import AuditRecordAdmin
from line_auth.admin.deauthorizations import DeauthorizationAdmin
from line_auth.admin.friendship import FriendshipChangeInline, recheck_friendship
from line_auth.admin.overview import OverviewAdminMixin
from line_auth.conf import line_settings
from line_auth.internal.token_state import usable_in_database
from line_auth.models import AuditRecord, Deauthorization, LineAccount

# Everything on the change page: LINE owns all of it, so it is all read-only.
DISPLAY_FIELDS = (
    "user",
    "line_user_id",
    "channel",
    "channel_id",
    "provider",
    "display_name",
    "picture",
    "email",
    "scopes",
    "amr",
    "token_status",
    "access_token_expires_at",
    "refresh_token_expires_at",
    "friendship",
    "friendship_checked_at",
    "friendship_source",
    "created",
    "last_login_at",
)


class TokenStateFilter(admin.SimpleListFilter):
    """Which accounts can still call LINE for the user, and which need a new login."""

    title = _("token state")
    parameter_name = "token_state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("valid", _("Access token valid")),
            ("expired", _("Access token expired")),
            ("relogin", _("Needs a new login")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[LineAccount]) -> QuerySet[LineAccount]:
        now = timezone.now()
        if self.value() == "valid":
            return queryset.filter(usable_in_database(now))
        if self.value() == "expired":
            # A token a refresh can renew: present, not usable, no new login needed.
            return queryset.filter(needs_relogin=False).exclude(access_token="").exclude(usable_in_database(now))
        if self.value() == "relogin":
            return queryset.filter(needs_relogin=True) | queryset.filter(refresh_token_expires_at__lte=now)
        return queryset


class ChannelFilter(admin.SimpleListFilter):
    """Accounts of one channel, by the short names operators know them by."""

    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(channel.channel_id, channel.display_name) for channel in channels.all_channels()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[LineAccount]) -> QuerySet[LineAccount]:
        return queryset.filter(channel_id=self.value()) if self.value() else queryset


class ReadOnlyLineFields:
    """Shared display helpers; picture and token state are computed, never raw tokens."""

    @admin.display(description=_("channel"), ordering="channel_id")
    def channel(self, account: LineAccount) -> str:
        """The channel's name (the ID when no configured channel has it any more)."""
        found = channels.by_id(account.channel_id)
        return found.display_name if found else str(_("%(id)s (not configured)") % {"id": account.channel_id})

    @admin.display(description=_("picture"))
    def picture(self, account: LineAccount) -> str:
        if not account.picture_url:
            return "-"
        return format_html(
            '<img src="{}" alt="" width="32" height="32" loading="lazy" referrerpolicy="no-referrer"'
            ' style="border-radius:50%">',
            account.picture_url,
        )

    @admin.display(description=_("tokens"))
    def token_status(self, account: LineAccount) -> str:
        if not account.access_token:
            return str(_("none (a new login is needed)"))
        if account.access_token_expires_at is None:
            return str(_("present"))
        return str(_("present, expires %(date)s")) % {
            "date": timezone.localtime(account.access_token_expires_at).strftime("%Y-%m-%d %H:%M")
        }


class LineAccountAdmin(OverviewAdminMixin, ReadOnlyLineFields, admin.ModelAdmin):
    list_display = (
        "picture",
        "display_name",
        "user",
        "line_user_id",
        "channel",
        "provider",
        "friendship",
        "access_token_expires_at",
        "last_login_at",
    )
    list_display_links = ("display_name",)
    list_filter = (ChannelFilter, "provider", "friendship", "friendship_source", TokenStateFilter, "created")
    list_select_related = ("user",)
    date_hierarchy = "created"
    raw_id_fields = ("user",)
    fields = DISPLAY_FIELDS
    readonly_fields = DISPLAY_FIELDS
    actions = (
        admin_actions.refresh_tokens,
        admin_actions.verify_tokens,
        admin_actions.disconnect_accounts,
        recheck_friendship,
        admin_privacy.export_user_data,
        admin_privacy.erase_user_data,
    )
    inlines = (FriendshipChangeInline,)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        user_model = get_user_model()
        user_fields = {f"user__{user_model.USERNAME_FIELD}"}
        if hasattr(user_model, "EMAIL_FIELD"):
            user_fields.add(f"user__{user_model.get_email_field_name()}")
        return ("line_user_id", "display_name", "=channel_id", "=provider", *sorted(user_fields))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links are made by logging in with LINE, never by hand

    def get_queryset(self, request: HttpRequest) -> QuerySet[LineAccount]:
        # The changelist never needs the ciphertext; deferring it skips decryption.
        return super().get_queryset(request).defer("access_token", "refresh_token")

    def delete_model(self, request: HttpRequest, obj: LineAccount) -> None:
        """The delete button unlinks as the account page does (revoke, social-auth row too)."""
        admin_actions.disconnect_and_report(self, request, LineAccount.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[LineAccount]) -> None:
        """Django's "delete selected" unlinks each account as the account page does."""
        admin_actions.disconnect_and_report(self, request, queryset)


class LineAccountInline(ReadOnlyLineFields, admin.TabularInline):
    model = LineAccount
    extra = 0
    can_delete = False
    fields = ("picture", "display_name", "line_user_id", "channel", "friendship", "token_status", "last_login_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def add_inline_to_user_admin(site: admin.AdminSite) -> None:
    """Show linked LINE accounts, and the export and erasure actions, on the site's user admin.

    Called from ``LineAuthConfig.ready`` once every app's admin module is imported
    (the project's user admin may come from an app listed after line_auth), and
    through public API only: ``get_model_admin``, ``unregister`` and ``register``.
    """
    user_model = get_user_model()
    try:
        user_admin = site.get_model_admin(user_model)
    except NotRegistered:
        return  # no user admin to extend: the project can add LineAccountInline itself
    if LineAccountInline in user_admin.inlines:
        return
    admin_class = type(user_admin)
    site.unregister(user_model)
    extended = type(
        admin_class.__name__,
        (admin_class,),
        {
            "inlines": [*admin_class.inlines, LineAccountInline],
            "actions": [*(admin_class.actions or ()), *admin_privacy.USER_ACTIONS],
        },
    )
    site.register(user_model, extended)


if line_settings.enable_admin:
    admin.site.register(LineAccount, LineAccountAdmin)
    admin.site.register(AuditRecord, AuditRecordAdmin)
    admin.site.register(Deauthorization, DeauthorizationAdmin)
