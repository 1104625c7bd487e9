"""The link between a Django user and a LINE account, with its tokens and friendship."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from line_auth.fields import EncryptedTextField

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


class LineAccount(models.Model):
    """One LINE user on one LINE Login channel, linked to one Django user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="line_accounts",
        verbose_name=_("user"),
    )
    channel_id = models.CharField(_("channel ID"), max_length=32)
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
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.line_user_id} ({self.line_user_id})"

    @property
    def is_friend(self) -> bool | None:
        """True, False, or None while the status is unknown."""
        if self.friendship == Friendship.UNKNOWN:
            return None
        return self.friendship == Friendship.FRIEND

    @property
    def has_refresh_token(self) -> bool:
        return bool(self.refresh_token)

    def refresh_deadline_passed(self, now: datetime | None = None) -> bool:
        """Whether LINE will refuse this refresh token anyway (90 days are over)."""
        deadline = self.refresh_token_expires_at
        return deadline is not None and deadline <= (now or timezone.now())
