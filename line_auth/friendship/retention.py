"""Forget webhook records once they can no longer matter, so their tables stay bounded.

Processed ``webhookEventId``s are only needed while LINE may redeliver an event;
a friendship status waiting for a first login is only worth keeping for a while,
because the first login asks LINE anyway when no status is known. Both are pruned
on each webhook delivery, by ``manage.py line_auth_prune_webhook_records`` and by the
Celery task ``line_auth.prune_webhook_records``.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from line_auth.conf import line_settings
from line_auth.internal.set_sql import delete_older
from line_auth.models import PendingFriendship, WebhookEvent


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete records older than their retention; returns how many of each went."""
    now = now or timezone.now()
    events = delete_older(WebhookEvent, "received_at", now - line_settings.webhook_event_retention)
    pending = delete_older(PendingFriendship, "event_at", now - line_settings.pending_friendship_retention)
    return {"webhook_events": events, "pending_friendships": pending}
