"""Checks that every way out of a LINE link can still deauthorize the app at LINE.

LINE's development guidelines require the deauthorization when a user unregisters
or unlinks; what LINE cannot take at once is queued and retried (docs/compliance.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings
from line_auth.tasks import RETRY_DEAUTHORIZATIONS, TASK_NAMES


def retry_delay_not_positive() -> CheckMessage:
    return Error(
        "LINE_AUTH_DEAUTHORIZE_RETRY_DELAY is not a positive duration.",
        hint="Give a timedelta or a number of seconds greater than zero (docs/settings.md).",
        id=Codes.DEAUTHORIZE_RETRY_DELAY_NOT_POSITIVE,
    )


def invalid_max_attempts() -> CheckMessage:
    return Error(
        "LINE_AUTH_DEAUTHORIZE_MAX_ATTEMPTS is not a whole number of at least 1.",
        hint="Give how many attempts a queued deauthorization gets before it is failed for good.",
        id=Codes.INVALID_DEAUTHORIZE_MAX_ATTEMPTS,
    )


def deauthorize_on_delete_off() -> CheckMessage:
    return Warning(
        "LINE_AUTH_DEAUTHORIZE_ON_DELETE is False: deleting a user does not deauthorize the app at LINE.",
        hint="LINE's development guidelines require it when a user unregisters; keep the setting "
        "True unless the site deauthorizes some other way (docs/compliance.md).",
        id=Codes.DEAUTHORIZE_ON_DELETE_OFF,
    )


def retry_not_scheduled() -> CheckMessage:
    return Warning(
        f"CELERY_BEAT_SCHEDULE runs line_auth tasks but not {RETRY_DEAUTHORIZATIONS!r}.",
        hint="Without it, a deauthorization LINE could not take stays queued; schedule it every "
        "few minutes, or run manage.py line_auth_retry_deauthorizations from cron.",
        id=Codes.DEAUTHORIZATION_RETRY_NOT_SCHEDULED,
    )


@register(TAG)
def check_deauthorization(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The retry settings can be read, and users leaving are deauthorized at LINE."""
    return collect(
        None if _positive_delay() else retry_delay_not_positive(),
        None if _valid_attempts() else invalid_max_attempts(),
        None if line_settings.deauthorize_on_delete else deauthorize_on_delete_off(),
        retry_not_scheduled() if _schedule_misses_retry() else None,
    )


def _positive_delay() -> bool:
    try:
        return bool(line_settings.deauthorize_retry_delay > timedelta(0))
    except (TypeError, ValueError, OverflowError):
        return False


def _valid_attempts() -> bool:
    try:
        return line_settings.deauthorize_max_attempts >= 1
    except ImproperlyConfigured:
        return False


def _schedule_misses_retry() -> bool:
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
    if not isinstance(schedule, dict):
        return False
    names = {str(entry.get("task")) for entry in schedule.values() if isinstance(entry, dict)}
    # Only a site that schedules line_auth's tasks is told: others may run the command from cron.
    return bool(names & TASK_NAMES) and RETRY_DEAUTHORIZATIONS not in names
