"""The audit trail's rows: what happened at each login step and each call to LINE.

LINE's development guidelines recommend keeping logs of authorization requests,
of the responses and errors received, and of API calls. A row never holds a
token, a code, a secret or a nonce: only names, outcomes and LINE's request ID.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    AUTHORIZATION = "authorization", _("Authorization request")
    CALLBACK = "callback", _("LINE's callback")
    NATIVE_LOGIN = "native_login", _("Native or LIFF login")
    API_CALL = "api_call", _("Call to LINE")


class AuditRecord(models.Model):
    """One audited event. Its user link and client address are personal data; the rest is not."""

    created = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=16, choices=AuditKind.choices)
    outcome = models.CharField(
        _("outcome"),
        max_length=32,
        help_text=_('"started", "success", or the error code of a failure.'),
    )
    channel_id = models.CharField(_("channel ID"), max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    line_account = models.ForeignKey(
        "line_auth.LineAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("LINE account"),
    )
    client_address = models.CharField(
        _("client address"),
        max_length=49,
        blank=True,
        help_text=_("Kept as LINE_AUTH_AUDIT_CLIENT_ADDRESS says: not at all, its network, or whole."),
    )
    details = models.JSONField(
        _("details"),
        default=dict,
        blank=True,
        help_text=_("Authorization parameters, LINE's error and description, or the kind of token sent."),
    )
    method = models.CharField(_("HTTP method"), max_length=8, blank=True)
    endpoint = models.CharField(_("endpoint"), max_length=100, blank=True)
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    request_id = models.CharField(_("x-line-request-id"), max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ("-created", "-id")
        indexes = [
            # Pruning and the admin's date hierarchy read by time.
            models.Index(fields=("created",), name="line_auth_audit_created_idx"),
            models.Index(fields=("user", "-created"), name="line_auth_audit_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.outcome}"
