"""The audit trail in the admin: read-only, as a trail must be; nothing in it is secret.

Records are written only by line_auth and deleted only by pruning
(``manage.py line_auth_prune_audit``) or erased per user (``line_auth.audit.scrub``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

FIELDS = (
    "created",
    "kind",
    "outcome",
    "channel_id",
    "user",
    "line_account",
    "client_address",
    "details",
    "method",
    "endpoint",
    "status",
    "request_id",
    "duration_ms",
)


class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ("created", "kind", "outcome", "channel_id", "user", "endpoint", "status", "request_id")
    list_filter = ("kind", "outcome", "channel_id")
    list_select_related = ("user",)
    date_hierarchy = "created"
    search_fields = ("request_id", "endpoint")
    fields = FIELDS
    readonly_fields = FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
