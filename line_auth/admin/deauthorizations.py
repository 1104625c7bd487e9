"""The deauthorizations LINE has not taken yet, for operators; read-only, tokens never shown.

A link ends locally at once; when LINE could not be told, the row waits here
(pending) until a retry succeeds, or stays as failed for good after the last
attempt, for an operator to follow up (for example by asking the user to remove
the app in LINE's settings).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from line_auth.admin.read_only import ReadOnlyAdmin
from line_auth.models import Deauthorization, DeauthorizationStatus

LIST_FIELDS = (
    "line_user_id",
    "user",
    "channel_id",
    "reason",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "created",
    "finished_at",
)


def outstanding_counts() -> dict[str, int]:
    """How many deauthorizations are still pending and how many failed for good, in one query."""
    return Deauthorization.objects.aggregate(
        pending=Count("pk", filter=Q(status=DeauthorizationStatus.PENDING)),
        failed=Count("pk", filter=Q(status=DeauthorizationStatus.FAILED)),
    )


class DeauthorizationAdmin(ReadOnlyAdmin):
    list_display = LIST_FIELDS
    list_filter = ("status", "reason", "channel_id", "created")
    list_select_related = ("user",)
    search_fields = ("line_user_id",)
    date_hierarchy = "created"
    fields = LIST_FIELDS
    readonly_fields = LIST_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deauthorization]:
        # Nothing here shows a token: never read, never decrypt them.
        return super().get_queryset(request).defer("access_token", "refresh_token")
