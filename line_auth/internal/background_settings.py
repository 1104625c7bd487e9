"""Background work's settings, mixed into :class:`line_auth.conf.LineAuthSettings`.

They live here so ``conf.py`` stays one screenful per concern; they are still read
only through ``line_auth.conf.line_settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from line_auth.internal.setting_values import optional_rate, task_engine, whole_number


class BackgroundSettings:
    """Accessors for the task engine, the chunks and the budget of calls to LINE."""

    # The settings reader, which LineAuthSettings (conf.py) supplies.
    _get: Callable[[str, Any], Any]

    @property
    def line_requests_per_second(self) -> float | None:
        """Calls to LINE per second all batch work shares, every process and machine together
        (through ``LINE_AUTH_CACHE``); ``None`` lifts it. LINE forbids mass requests."""
        return optional_rate("LINE_AUTH_LINE_REQUESTS_PER_SECOND", self._get("LINE_AUTH_LINE_REQUESTS_PER_SECOND", 50))

    @property
    def task_engine(self) -> str | None:
        """Where background work is queued: ``"django"`` (the task framework), ``"celery"``, or
        ``None`` to do it in the calling process."""
        return task_engine(self._get("LINE_AUTH_TASK_ENGINE", None))

    @property
    def batch_chunk_size(self) -> int:
        """Accounts per chunk task: one chunk is one task a worker takes, and one retry's worth."""
        return whole_number("LINE_AUTH_BATCH_CHUNK_SIZE", self._get("LINE_AUTH_BATCH_CHUNK_SIZE", 500), 1)

    @property
    def batch_concurrency(self) -> int:
        """Calls to LINE at once in one worker's refresh chunk; workers multiply it."""
        return whole_number("LINE_AUTH_BATCH_CONCURRENCY", self._get("LINE_AUTH_BATCH_CONCURRENCY", 4), 1)

