"""Deauthorizations LINE could not take when a link ended, queued for retry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from line_auth.fields import EncryptedTextField


class DeauthorizationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed for good")


class DeauthorizationReason(models.TextChoices):
    UNLINK = "unlink", _("Unlinked by the user")
    ADMIN = "admin", _("Unlinked in the admin")
    USER_DELETED = "user_deleted", _("User deleted")
    ERASURE = "erasure", _("Data erasure")


class Deauthorization(models.Model):
    """A deauthorization LINE could not take when the link ended, kept until a retry succeeds.

    LINE's guidelines require the app to deauthorize itself whenever a user leaves;
    the link is removed locally at once, so this row holds what a later attempt
    needs: the channel and the user's tokens (encrypted, and blanked once the row
    is settled). An erasure also blanks ``user`` and ``line_user_id``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_deauthorizations",
        verbose_name=_("user"),
    )
    line_user_id = models.CharField(_("LINE user ID"), max_length=64, blank=True)
    channel_id = models.CharField(_("channel ID"), max_length=32)
    reason = models.CharField(_("reason"), max_length=16, choices=DeauthorizationReason.choices)
    access_token = EncryptedTextField(_("access token"), blank=True, editable=False)
    refresh_token = EncryptedTextField(_("refresh token"), blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(_("access token expires"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeauthorizationStatus.choices,
        default=DeauthorizationStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(
        _("last error"),
        max_length=64,
        blank=True,
        help_text=_("A code, never LINE's message: e.g. line_unavailable, http_500, invalid_token."),
    )
    created = models.DateTimeField(_("queued"), auto_now_add=True)
    finished_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("LINE deauthorization")
        verbose_name_plural = _("LINE deauthorizations")
        ordering = ("-created",)
        indexes = [
            # The retry run reads the pending rows that are due.
            models.Index(fields=("status", "next_attempt_at"), name="line_auth_deauth_due_idx"),
            models.Index(fields=("line_user_id",), name="line_auth_deauth_line_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.line_user_id or _('(erased)')} on {self.channel_id}: {self.status}"
