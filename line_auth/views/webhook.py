"""The Messaging API webhook endpoints: the signature first, then the friendship.

``webhook/`` serves the default channel, ``webhook/<channel name>/`` any other;
each is off (404) until its channel names the secret of the Messaging API
channel of the Official Account linked to it (``MESSAGING_CHANNEL_SECRET``, or
``LINE_AUTH_WEBHOOK_SECRET`` for the default channel; never the LINE Login
channel's secret). LINE signs the raw body; the signature is checked before
anything is parsed, because LINE's addresses are not published and the
signature is the only proof a request came from LINE.
https://developers.line.biz/en/reference/messaging-api/#webhooks
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from line_auth.friendship.messaging import MessagingChannel, for_webhook
from line_auth.friendship.webhook import friendship_events, process

logger = logging.getLogger("line_auth.webhook")

SIGNATURE_HEADER = "X-Line-Signature"


def signature(body: bytes, secret: str) -> str:
    """LINE's ``X-Line-Signature``: base64 of HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_signed(body: bytes, claimed: str, secret: str) -> bool:
    """Compare in constant time, so the signature cannot be guessed byte by byte."""
    return hmac.compare_digest(signature(body, secret).encode(), claimed.encode("utf-8", "replace"))


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    """``POST``: LINE's webhook deliveries. 404 while the webhook is off."""

    http_method_names = ["post"]
    messaging: MessagingChannel

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        messaging = for_webhook(kwargs.get("channel"))
        if messaging is None:
            raise Http404
        self.messaging = messaging
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, channel: str | None = None) -> HttpResponse:
        claimed = request.headers.get(SIGNATURE_HEADER)
        if not claimed:
            return HttpResponse(status=400)
        body = request.body
        if not is_signed(body, claimed, self.messaging.secret):
            logger.warning("Refused a webhook request with a wrong signature")
            return HttpResponse(status=403)
        try:
            events = friendship_events(json.loads(body))
        except (ValueError, RecursionError):
            # RecursionError: a body nested too deeply for the JSON parser.
            logger.warning("Refused a signed webhook request whose body is not a LINE webhook")
            return HttpResponse(status=400)
        applied = process(events, self.messaging.login_channel_ids)
        logger.debug("Webhook: %d friendship events, %d new", len(events), applied)
        return HttpResponse(status=200)
