"""Checks on the webhook secret, scheduled tasks and webhook record retention."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from line_auth.checks.messages import TAG, Codes
from line_auth.conf import line_settings
from line_auth.tasks import TASK_NAMES

# Each retention setting, as line_settings names it, and the ID of a value that is not positive.
RETENTION_SETTINGS = {
    "LINE_AUTH_WEBHOOK_EVENT_RETENTION": ("webhook_event_retention", Codes.WEBHOOK_EVENT_RETENTION_NOT_POSITIVE),
    "LINE_AUTH_PENDING_FRIENDSHIP_RETENTION": (
        "pending_friendship_retention",
        Codes.PENDING_FRIENDSHIP_RETENTION_NOT_POSITIVE,
    ),
}


def webhook_secret_empty() -> CheckMessage:
    return Warning(
        "LINE_AUTH_WEBHOOK_SECRET is set but empty, so the webhook answers 404.",
        hint="Set it to the channel secret of the Messaging API channel of your "
        "Official Account, or remove the setting.",
        id=Codes.WEBHOOK_SECRET_EMPTY,
    )


def webhook_secret_is_login_secret() -> CheckMessage:
    return Error(
        "LINE_AUTH_WEBHOOK_SECRET is the LINE Login channel's secret.",
        hint="LINE signs webhooks with the secret of the Messaging API channel "
        "(Basic settings of that channel), so every delivery would be refused.",
        id=Codes.WEBHOOK_SECRET_IS_LOGIN_SECRET,
    )


def webhook_secret_malformed() -> CheckMessage:
    return Warning(
        "LINE_AUTH_WEBHOOK_SECRET does not look like a channel secret (32 hex digits).",
        hint="Copy the Channel secret from the Messaging API channel's Basic settings; "
        "a wrong secret makes the webhook refuse every delivery with 403.",
        id=Codes.WEBHOOK_SECRET_MALFORMED,
    )


def unknown_scheduled_task(name: str) -> CheckMessage:
    return Warning(
        f"CELERY_BEAT_SCHEDULE sends the task {name!r}, which line_auth does not define.",
        hint="line_auth's tasks are " + ", ".join(sorted(TASK_NAMES)) + " (docs/tokens.md).",
        id=Codes.UNKNOWN_SCHEDULED_TASK,
    )


def retention_not_positive(name: str) -> CheckMessage:
    return Warning(
        f"{name} is not a positive duration.",
        hint="Give a timedelta or a number of seconds greater than zero "
        "(docs/settings.md); webhook deliveries fail or forget at once otherwise.",
        id=RETENTION_SETTINGS[name][1],
    )


@register(TAG, Tags.security)
def check_webhook_secret(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The secret that verifies LINE's webhook signatures is the Messaging API channel's."""
    if not hasattr(settings, "LINE_AUTH_WEBHOOK_SECRET"):
        return []  # the webhook is simply not used
    secret = line_settings.webhook_secret
    if not secret:
        return [webhook_secret_empty()]
    if secret == line_settings.channel_secret:
        return [webhook_secret_is_login_secret()]
    if not re.fullmatch(r"[0-9a-f]{32}", secret):
        return [webhook_secret_malformed()]
    return []


@register(TAG)
def check_scheduled_tasks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A beat schedule naming a line_auth task that does not exist sends work no worker runs."""
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
    if not isinstance(schedule, dict):
        return []
    names = {str(entry.get("task")) for entry in schedule.values() if isinstance(entry, dict)}
    return [
        unknown_scheduled_task(name)
        for name in sorted(names)
        if name.startswith("line_auth.") and name not in TASK_NAMES
    ]


@register(TAG)
def check_webhook_retention(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A retention of zero or less deletes webhook records as soon as they are written."""
    return [
        retention_not_positive(name)
        for name, (attribute, _) in RETENTION_SETTINGS.items()
        if not _positive(attribute)
    ]


def _positive(attribute: str) -> bool:
    try:
        return bool(getattr(line_settings, attribute) > timedelta(0))
    except (TypeError, ValueError, OverflowError):
        return False
