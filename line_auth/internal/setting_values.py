"""The shapes of setting values that need more than a type conversion, checked in one place.

``line_auth.conf`` reads the settings; these turn what it read into values or
``ImproperlyConfigured`` (which the system checks report).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured


class RateLimit(NamedTuple):
    """Requests allowed per window from one client address, and from all clients together.

    ``None`` lifts that limit.
    """

    per_address: int | None
    overall: int | None


# Generous enough for many visitors behind one carrier-grade NAT; an overall limit a
# busy site only meets under a flood. Keys are the rate-limited endpoints.
DEFAULT_RATE_LIMITS = {
    "login": RateLimit(per_address=60, overall=6000),
    "native_nonce": RateLimit(per_address=120, overall=12000),
    "native_login": RateLimit(per_address=60, overall=6000),
}


def parse_rate_limits(configured: Any) -> dict[str, RateLimit]:
    """The limits per endpoint: the defaults, overridden endpoint by endpoint."""
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("LINE_AUTH_RATE_LIMITS must be a dict.")
    unknown = sorted(map(str, set(configured) - set(DEFAULT_RATE_LIMITS)))
    if unknown:
        raise ImproperlyConfigured(
            f"LINE_AUTH_RATE_LIMITS names unknown endpoints: {', '.join(unknown)}."
        )
    limits = dict(DEFAULT_RATE_LIMITS)
    for endpoint, value in configured.items():
        if value is None:
            limits[endpoint] = RateLimit(None, None)
            continue
        if not isinstance(value, dict) or not set(value) <= set(RateLimit._fields):
            raise ImproperlyConfigured(
                f'LINE_AUTH_RATE_LIMITS["{endpoint}"] must be None or a dict with '
                '"per_address" and/or "overall".'
            )
        merged = {**limits[endpoint]._asdict(), **value}
        for name, number in merged.items():
            if number is not None:
                whole_number(f'LINE_AUTH_RATE_LIMITS["{endpoint}"]["{name}"]', number, least=1)
        limits[endpoint] = RateLimit(**merged)
    return limits


def duration(value: timedelta | float) -> timedelta:
    """A duration setting given as a ``timedelta`` or a number of seconds."""
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def whole_number(name: str, value: Any, least: int) -> int:
    """A whole-number setting of at least ``least``, or ``ImproperlyConfigured``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {least}, not {value!r}.")
    return value


TASK_ENGINES = ("django", "celery", None)


def optional_rate(name: str, value: Any) -> float | None:
    """A positive number of requests per second, or ``None`` for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ImproperlyConfigured(f"{name} must be a positive number or None, not {value!r}.")
    return float(value)


def task_engine(value: Any) -> str | None:
    """One of the task engines line_auth queues on, or ``None``."""
    if value not in TASK_ENGINES:
        raise ImproperlyConfigured(f'LINE_AUTH_TASK_ENGINE must be "django", "celery" or None, not {value!r}.')
    return value
