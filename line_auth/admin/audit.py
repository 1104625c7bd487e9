"""The audit trail in the admin: read-only, as a trail must be; nothing in it is secret.

Records are written only by line_auth and deleted only by pruning
(``manage.py line_auth_prune_audit``) or erased per user (``line_auth.audit.scrub``).
"""

from __future__ import annotations

from line_auth.admin.read_only import ReadOnlyAdmin

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


class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("created", "kind", "outcome", "channel_id", "user", "endpoint", "status", "request_id")
    list_filter = ("kind", "outcome", "channel_id")
    list_select_related = ("user",)
    date_hierarchy = "created"
    search_fields = ("request_id", "endpoint")
    fields = FIELDS
    readonly_fields = FIELDS
