"""Checks on the webhook secret, scheduled tasks and webhook record retention."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from line_auth.checks.messages import Codes
from line_auth.conf import line_settings
from line_auth.tasks import TASK_NAMES


def webhook_secret() -> CheckMessage | None:
    if not hasattr(settings, "LINE_AUTH_WEBHOOK_SECRET"):
        return None  # the webhook is simply not used
    secret = line_settings.webhook_secret
    if not secret:
        return Warning(
            "LINE_AUTH_WEBHOOK_SECRET is set but empty, so the webhook answers 404.",
            hint="Set it to the channel secret of the Messaging API channel of your "
            "Official Account, or remove the setting.",
            id=Codes.WEBHOOK_SECRET_EMPTY,
        )
    if secret == line_settings.channel_secret:
        return Error(
            "LINE_AUTH_WEBHOOK_SECRET is the LINE Login channel's secret.",
            hint="LINE signs webhooks with the secret of the Messaging API channel "
            "(Basic settings of that channel), so every delivery would be refused.",
            id=Codes.WEBHOOK_SECRET_IS_LOGIN_SECRET,
        )
    if not re.fullmatch(r"[0-9a-f]{32}", secret):
        return Warning(
            "LINE_AUTH_WEBHOOK_SECRET does not look like a channel secret (32 hex digits).",
            hint="Copy the Channel secret from the Messaging API channel's Basic settings; "
            "a wrong secret makes the webhook refuse every delivery with 403.",
            id=Codes.WEBHOOK_SECRET_MALFORMED,
        )
    return None


def scheduled_tasks() -> list[CheckMessage | None]:
    """A beat schedule naming a line_auth task that does not exist sends work no worker runs."""
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
    if not isinstance(schedule, dict):
        return []
    names = {str(entry.get("task")) for entry in schedule.values() if isinstance(entry, dict)}
    return [
        Warning(
            f"CELERY_BEAT_SCHEDULE sends the task {name!r}, which line_auth does not define.",
            hint="line_auth's tasks are " + ", ".join(sorted(TASK_NAMES)) + " (docs/tokens.md).",
            id=Codes.UNKNOWN_SCHEDULED_TASK,
        )
        for name in sorted(names)
        if name.startswith("line_auth.") and name not in TASK_NAMES
    ]


def retentions() -> list[CheckMessage | None]:
    """A retention of zero or less deletes webhook records as soon as they are written."""
    retentions = {
        "LINE_AUTH_WEBHOOK_EVENT_RETENTION": lambda: line_settings.webhook_event_retention,
        "LINE_AUTH_PENDING_FRIENDSHIP_RETENTION": lambda: line_settings.pending_friendship_retention,
    }
    problems: list[CheckMessage | None] = []
    for name, read in retentions.items():
        try:
            positive = read() > timedelta(0)
        except (TypeError, ValueError, OverflowError):
            positive = False
        if not positive:
            problems.append(
                Warning(
                    f"{name} is not a positive duration.",
                    hint="Give a timedelta or a number of seconds greater than zero "
                    "(docs/settings.md); webhook deliveries fail or forget at once otherwise.",
                    id=Codes.RETENTION_NOT_POSITIVE,
                )
            )
    return problems
