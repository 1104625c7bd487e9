"""The Messaging API webhook: ``follow`` and ``unfollow`` keep the friendship current.

Off (404) until ``LINE_AUTH_WEBHOOK_SECRET`` holds the secret of the Messaging
API channel of the Official Account linked to the LINE Login channel (not the
LINE Login channel's secret). LINE signs the raw body; the signature is checked
before anything is parsed, because LINE's addresses are not published and the
signature is the only proof a request came from LINE. LINE may deliver an event
again and in any order, so events are deduplicated on ``webhookEventId`` and an
older event never replaces a newer status (see ``friendship_status``).
https://developers.line.biz/en/reference/messaging-api/#webhooks
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeGuard

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone as django_timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from line_auth.conf import line_settings
from line_auth.friendship import retention
from line_auth.friendship.status import store_statuses
from line_auth.models import Friendship, FriendshipSource, WebhookEvent

logger = logging.getLogger("line_auth.webhook")

SIGNATURE_HEADER = "X-Line-Signature"
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


def signature(body: bytes, secret: str) -> str:
    """LINE's ``X-Line-Signature``: base64 of HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_signed(body: bytes, claimed: str, secret: str) -> bool:
    """Compare in constant time, so the signature cannot be guessed byte by byte."""
    return hmac.compare_digest(signature(body, secret).encode(), claimed.encode("utf-8", "replace"))


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


def process(events: Iterable[FriendshipEvent]) -> int:
    """Apply the first delivery of each event; return how many were new.

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
            )
        retention.prune(now)
    return len(fresh)


def _first_deliveries(events: list[FriendshipEvent], now: datetime) -> list[FriendshipEvent]:
    """Drop events already processed (LINE redelivers) and note the others as processed."""
    ids = {event.event_id for event in events}
    seen = set(WebhookEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    fresh: dict[str, FriendshipEvent] = {}
    for event in events:
        if event.event_id not in seen:
            fresh.setdefault(event.event_id, event)
    # A concurrent redelivery may insert the same ID; applying an event twice is
    # harmless because an equal or older status never changes the history.
    WebhookEvent.objects.bulk_create(
        [WebhookEvent(event_id=event_id, received_at=now) for event_id in fresh],
        ignore_conflicts=True,
    )
    return list(fresh.values())


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    """``POST``: LINE's webhook deliveries. 404 while the webhook is off."""

    http_method_names = ["post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not line_settings.webhook_secret:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest) -> HttpResponse:
        claimed = request.headers.get(SIGNATURE_HEADER)
        if not claimed:
            return HttpResponse(status=400)
        body = request.body
        if not is_signed(body, claimed, line_settings.webhook_secret):
            logger.warning("Refused a webhook request with a wrong signature")
            return HttpResponse(status=403)
        try:
            events = friendship_events(json.loads(body))
        except (ValueError, RecursionError):
            # RecursionError: a body nested too deeply for the JSON parser.
            logger.warning("Refused a signed webhook request whose body is not a LINE webhook")
            return HttpResponse(status=400)
        applied = process(events)
        logger.debug("Webhook: %d friendship events, %d new", len(events), applied)
        return HttpResponse(status=200)
