"""The friendship sync as a Celery task, for sites that already run Celery.

Celery is optional: without it this module still imports and
``sync_friendships`` is a plain function (the management command is the
usual way to run the sync then). Schedule it with Celery beat, e.g. daily.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from line_auth.conf import line_settings
from line_auth.friendship_sync import stale_accounts
from line_auth.friendship_sync import sync_friendships as run_sync
from line_auth.models import FriendshipSource

try:
    from celery import shared_task
except ImportError:  # Celery is not installed: leave the function undecorated.

    def shared_task(
        *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return lambda function: function


@shared_task(name="line_auth.sync_friendships")
def sync_friendships(
    older_than_seconds: float | None = None, workers: int | None = None
) -> dict[str, int]:
    """Re-check stale statuses; arguments are plain numbers so any serializer carries them."""
    older_than = (
        timedelta(seconds=older_than_seconds)
        if older_than_seconds is not None
        else line_settings.friendship_stale_after
    )
    report = run_sync(
        stale_accounts(older_than),
        source=FriendshipSource.SYNC,
        workers=workers or line_settings.friendship_sync_workers,
    )
    return report.as_dict()
