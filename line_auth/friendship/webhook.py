"""Webhook events that keep the friendship current: ``follow`` and ``unfollow``.

Reached only with a body whose signature :mod:`line_auth.views.webhook` checked.
LINE may deliver an event again and in any order, so events are deduplicated on
``webhookEventId`` and an older event never replaces a newer status (see
:mod:`line_auth.friendship.status`).
https://developers.line.biz/en/reference/messaging-api/#webhooks
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeGuard

from django.db import transaction
from django.utils import timezone as django_timezone

from line_auth.friendship import retention
from line_auth.friendship.status import store_statuses
from line_auth.internal.set_sql import insert_new
from line_auth.models import Friendship, FriendshipSource, WebhookEvent

# follow: added as a friend or unblocked (follow.isUnblocked); unfollow: blocked.
FRIENDSHIP_BY_EVENT = {"follow": Friendship.FRIEND, "unfollow": Friendship.NOT_FRIEND}
# LINE's user IDs ("U" and 32 hex digits) and webhookEventIds (ULIDs) are short,
# visible ASCII; anything else (NUL, lone surrogates) is not LINE's and no database
# column would take it.
LINE_ID = re.compile(r"[\x21-\x7e]{1,64}")
# Milliseconds since the epoch; later than this is no real event and no datetime.
LATEST_TIMESTAMP = int(datetime(9999, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)


@dataclass(frozen=True)
class FriendshipEvent:
    """A follow or unfollow event, reduced to what the friendship needs."""

    event_id: str
    user_id: str
    friendship: str
    at: datetime


def friendship_events(payload: Any) -> list[FriendshipEvent]:
    """The friendship events of a webhook body; other events are not ours and are skipped.

    Raises ``ValueError`` when the body is not a webhook envelope at all.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ValueError("not a LINE webhook body")
    return [event for event in map(_friendship_event, payload["events"]) if event is not None]


def _friendship_event(event: Any) -> FriendshipEvent | None:
    if not isinstance(event, dict):
        return None
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in FRIENDSHIP_BY_EVENT:
        return None
    source = event.get("source")
    user_id = source.get("userId") if isinstance(source, dict) else None
    timestamp = event.get("timestamp")
    event_id = event.get("webhookEventId")
    if not (_is_line_id(user_id) and _is_line_id(event_id)):
        return None
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp < LATEST_TIMESTAMP:
        return None
    return FriendshipEvent(
        event_id=event_id,
        user_id=user_id,
        friendship=FRIENDSHIP_BY_EVENT[kind],
        at=datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc),
    )


def _is_line_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and LINE_ID.fullmatch(value) is not None


def process(events: Iterable[FriendshipEvent], channel_ids: Collection[str] | None = None) -> int:
    """Apply the first delivery of each event; return how many were new.

    ``channel_ids`` are the Login channels linked to the Official Account whose
    webhook this is: only their accounts change (``None``: every channel's).

    The number of queries does not grow with the number of events: a few bulk
    reads and writes, whatever the batch size.
    """
    events = list(events)
    if not events:
        return 0
    now = django_timezone.now()
    with transaction.atomic():
        fresh = _first_deliveries(events, now)
        latest: dict[str, FriendshipEvent] = {}
        for event in sorted(fresh, key=lambda event: event.at):
            latest[event.user_id] = event
        if latest:
            store_statuses(
                {user_id: (event.friendship, event.at) for user_id, event in latest.items()},
                FriendshipSource.WEBHOOK,
                channel_ids=channel_ids,
            )
        retention.prune(now)
    return len(fresh)


def _first_deliveries(events: list[FriendshipEvent], now: datetime) -> list[FriendshipEvent]:
    """Drop events already processed (LINE redelivers) and note the others as processed.

    Of two concurrent deliveries of one event, only the one whose insert of the
    ``webhookEventId`` wins applies it.
    """
    first: dict[str, FriendshipEvent] = {}
    for event in events:
        first.setdefault(event.event_id, event)
    new = insert_new(WebhookEvent, {"event_id": list(first)}, key="event_id", shared={"received_at": now})
    return [event for event_id, event in first.items() if event_id in new]
