"""Which Messaging API channel a webhook delivery is for, and whose friendship it may change.

Each LINE Official Account has its own Messaging API channel and signs its
webhook with that channel's secret. A site with several gives each its own URL,
``webhook/<channel name>/``, named after a LINE Login channel linked to that
Official Account (its ``MESSAGING_CHANNEL_SECRET``); ``webhook/`` is the default
channel's, whose secret may still come from ``LINE_AUTH_WEBHOOK_SECRET``.

A follow or unfollow says a LINE user befriended *this* Official Account, so it
may change only the accounts of the Login channels linked to it: those that name
the same Messaging API channel secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from line_auth import channels
from line_auth.conf import line_settings


@dataclass(frozen=True)
class MessagingChannel:
    """The secret that signs a webhook, and the Login channels its events speak for."""

    secret: str = field(repr=False)
    login_channel_ids: frozenset[str]


def for_webhook(name: str | None) -> MessagingChannel | None:
    """The Messaging API channel of ``webhook/<name>/`` (``None``: ``webhook/``), if it has a secret."""
    try:
        channel = channels.default_channel() if name is None else channels.get(name)
    except channels.UnknownChannel:
        return None
    secret = channel.messaging_secret or (line_settings.webhook_secret if name is None else "")
    if not secret:
        return None
    linked = {other.channel_id for other in channels.all_channels() if other.messaging_secret == secret}
    linked.add(channel.channel_id)
    if name is None:
        # IDs listed only in the deprecated LINE_AUTH_ALLOWED_AUDIENCES were LIFF apps of this
        # site's one Official Account; their events reached those accounts before, and still do.
        linked.update(line_settings.allowed_audiences)
    return MessagingChannel(secret=secret, login_channel_ids=frozenset(linked))
