"""The link between a Django user and a LINE account, with its tokens and friendship."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Self

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from line_auth.fields import EncryptedTextField, is_unreadable

# Further models live in their own modules of this package, imported here so
# ``from line_auth.models import X`` works wherever X is defined.
from line_auth.models.audit import AuditKind, AuditRecord
from line_auth.models.deauthorization import Deauthorization, DeauthorizationReason, DeauthorizationStatus
from line_auth.models.figures import DailyFigure, Metric

# LINE: a refresh token is valid up to 90 days after the access token was first
# issued, and refreshing does not extend it (reference, "Refresh access token").
REFRESH_TOKEN_LIFETIME = timedelta(days=90)


class Friendship(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    FRIEND = "friend", _("Friend")
    NOT_FRIEND = "not_friend", _("Not a friend")


class FriendshipSource(models.TextChoices):
    LOGIN = "login", _("Login")
    API = "api", _("Friendship API")
    WEBHOOK = "webhook", _("Webhook")
    SYNC = "sync", _("Scheduled sync")


class AccessTokenKind(models.TextChoices):
    """Where the stored access token came from, which decides whether the server can renew it."""

    LOGIN = "login", _("LINE Login token, refreshable")
    APP = "app", _("App token, the app refreshes it")
    LIFF = "liff", _("LIFF token, no refresh")


class LineAccount(models.Model):
    """One LINE user on one LINE Login channel, linked to one Django user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="line_accounts",
        verbose_name=_("user"),
    )
    # Channels of one provider see one LINE user ID, so their accounts share the
    # one social-auth association (provider "line", that ID).
    social = models.ForeignKey(
        "social_django.UserSocialAuth",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_accounts",
        verbose_name=_("social-auth association"),
        help_text=_("Read together with the account, so a returning login needs one query."),
    )
    channel_id = models.CharField(_("channel ID"), max_length=32)
    provider = models.CharField(
        _("provider"),
        max_length=64,
        default="default",
        db_index=True,
        help_text=_("The LINE provider of the channel: its channels share one LINE user ID per person."),
    )
    line_user_id = models.CharField(
        _("LINE user ID"),
        max_length=64,
        help_text=_("Stable for this provider; the only identifier to trust."),
    )
    display_name = models.CharField(_("display name"), max_length=255, blank=True)
    picture_url = models.URLField(_("picture URL"), max_length=1000, blank=True)
    email = models.EmailField(
        _("email (unverified)"),
        blank=True,
        help_text=_("As LINE returned it; LINE does not say whether it was verified."),
    )
    scopes = models.CharField(_("granted scopes"), max_length=100, blank=True)
    amr = models.JSONField(
        _("authentication methods"),
        default=list,
        blank=True,
        help_text=_("The ID token's amr claim at the last login, e.g. pwd, lineqr, linesso."),
    )
    access_token = EncryptedTextField(_("access token"), blank=True, editable=False)
    refresh_token = EncryptedTextField(_("refresh token"), blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(_("access token expires"), null=True, blank=True)
    access_token_kind = models.CharField(
        _("access token kind"),
        max_length=8,
        choices=AccessTokenKind.choices,
        blank=True,
        help_text=_("LIFF tokens live 12 hours and come without a refresh token."),
    )
    refresh_token_expires_at = models.DateTimeField(
        _("refresh deadline"),
        null=True,
        blank=True,
        help_text=_("90 days after the last login; refreshing does not extend it."),
    )
    needs_relogin = models.BooleanField(
        _("needs a new login"),
        default=False,
        help_text=_("The refresh token is dead (90 days passed, revoked or deauthorized)."),
    )
    friendship = models.CharField(
        _("friendship"), max_length=16, choices=Friendship.choices, default=Friendship.UNKNOWN
    )
    friendship_checked_at = models.DateTimeField(_("friendship known at"), null=True, blank=True)
    friendship_source = models.CharField(
        _("friendship learned from"), max_length=16, choices=FriendshipSource.choices, blank=True
    )
    created = models.DateTimeField(_("linked"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("last LINE login"), null=True, blank=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        verbose_name = _("LINE account")
        verbose_name_plural = _("LINE accounts")
        ordering = ("-created",)
        constraints = [
            models.UniqueConstraint(
                fields=("channel_id", "line_user_id"), name="line_auth_unique_line_user_per_channel"
            ),
        ]
        indexes = [
            models.Index(fields=("access_token_expires_at",), name="line_auth_access_expiry_idx"),
            # Webhook events name a LINE user on any channel of the provider; the
            # admin's search matches the start of an ID. The pattern operator class
            # serves both "=" and LIKE 'U1a2b%' on PostgreSQL whatever the database's
            # collation (other databases ignore it).
            models.Index(
                fields=("line_user_id",),
                name="line_auth_line_user_prefix_idx",
                opclasses=("varchar_pattern_ops",),
            ),
            # The friendship sync looks for stale statuses.
            models.Index(fields=("friendship_checked_at",), name="line_auth_friendship_known_idx"),
            # The admin lists the newest links first, a page at a time, and filters by date.
            models.Index(fields=("created", "id"), name="line_auth_created_idx"),
            # The admin's "needs a new login" filter: deadlines passed, or flagged (few rows).
            models.Index(fields=("refresh_token_expires_at",), name="line_auth_refresh_deadline_idx"),
            models.Index(
                fields=("needs_relogin",),
                name="line_auth_needs_relogin_idx",
                condition=models.Q(needs_relogin=True),
            ),
            # The name search's index is PostgreSQL-only (an expression with an
            # operator class) and made by migration 0004 outside the model state.
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.line_user_id} ({self.line_user_id})"

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        """Read a refresh token no configured key opens as "needs a new login".

        LINE cannot be asked without a readable refresh token, so every reader
        (token functions, logins, the admin) sees the account as a new login
        would fix it. Only set in memory: the next save (a login) records it.
        """
        account = super().from_db(db, field_names, values, **kwargs)
        if is_unreadable(account.__dict__.get("refresh_token")):
            account.needs_relogin = True
        return account

    @property
    def is_friend(self) -> bool | None:
        """True, False, or None while the status is unknown."""
        if self.friendship == Friendship.UNKNOWN:
            return None
        return self.friendship == Friendship.FRIEND

    def refresh_deadline_passed(self, now: datetime | None = None) -> bool:
        """Whether LINE will refuse this refresh token anyway (90 days are over)."""
        deadline = self.refresh_token_expires_at
        return deadline is not None and deadline <= (now or timezone.now())


class FriendshipChange(models.Model):
    """One change of an account's friendship, so operators can tell since when it holds."""

    account = models.ForeignKey(
        LineAccount,
        on_delete=models.CASCADE,
        related_name="friendship_changes",
        verbose_name=_("LINE account"),
    )
    previous = models.CharField(_("before"), max_length=16, choices=Friendship.choices)
    current = models.CharField(_("after"), max_length=16, choices=Friendship.choices)
    source = models.CharField(_("learned from"), max_length=16, choices=FriendshipSource.choices)
    event_at = models.DateTimeField(
        _("happened at"),
        help_text=_("LINE's event time for a webhook; the time of the check otherwise."),
    )
    changed_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("friendship change")
        verbose_name_plural = _("friendship changes")
        ordering = ("-event_at", "-id")
        indexes = [
            models.Index(fields=("account", "-event_at"), name="line_auth_change_account_idx"),
            models.Index(fields=("event_at",), name="line_auth_change_event_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.previous} -> {self.current} ({self.source})"


class PendingFriendship(models.Model):
    """A webhook status for a LINE user who has not logged in yet, applied at first login."""

    channel_id = models.CharField(
        _("channel ID"),
        max_length=32,
        blank=True,
        help_text=_("The Login channel whose first login takes it; empty: any channel."),
    )
    line_user_id = models.CharField(_("LINE user ID"), max_length=64)
    friendship = models.CharField(_("friendship"), max_length=16, choices=Friendship.choices)
    # Indexed for the prune each webhook delivery runs (friendship.retention).
    event_at = models.DateTimeField(_("happened at"), db_index=True)

    class Meta:
        verbose_name = _("friendship awaiting a login")
        verbose_name_plural = _("friendships awaiting a login")
        ordering = ("-event_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("channel_id", "line_user_id"), name="line_auth_unique_pending_user_per_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_user_id}: {self.friendship}"


class WebhookEvent(models.Model):
    """The ``webhookEventId`` of a processed event: LINE may deliver an event again."""

    event_id = models.CharField(_("webhook event ID"), max_length=64)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("processed webhook event")
        verbose_name_plural = _("processed webhook events")
        ordering = ("-received_at",)
        constraints = [
            models.UniqueConstraint(fields=("event_id",), name="line_auth_unique_webhook_event"),
        ]

    def __str__(self) -> str:
        return self.event_id

__all__ = [
    "REFRESH_TOKEN_LIFETIME",
    "AuditKind",
    "AuditRecord",
    "DailyFigure",
    "Deauthorization",
    "DeauthorizationReason",
    "DeauthorizationStatus",
    "Friendship",
    "FriendshipChange",
    "FriendshipSource",
    "LineAccount",
    "Metric",
    "PendingFriendship",
    "WebhookEvent",
]
