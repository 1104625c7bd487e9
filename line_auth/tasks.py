"""Every line_auth Celery task, in the one module Celery's autodiscovery imports.

``pip install line-auth[celery]`` and a project Celery app that calls
``app.autodiscover_tasks()`` register them all; schedule them with celery beat:

- ``line_auth.refresh_due_line_tokens``: queues one ``line_auth.refresh_line_account``
  per account due, so any number of workers share the work and each refresh holds
  its account's row lock; retried with backoff while LINE is unavailable.
- ``line_auth.sync_friendships``: re-checks stale friendship statuses with LINE.
- ``line_auth.prune_webhook_records``: deletes webhook records past their retention.
- ``line_auth.prune_audit``: deletes audit records past ``LINE_AUTH_AUDIT_RETENTION``.
- ``line_auth.retry_deauthorizations``: retries the deauthorizations LINE could not
  take when a link ended; schedule it every few minutes.
- ``line_auth.roll_up_figures``: counts the admin overview's daily figures again.

Without Celery this module still imports and each task is a plain function (the
refreshes then run in the calling process), so nothing else depends on Celery.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from line_auth import audit, channels, deauthorization, figures, tokens
from line_auth.conf import line_settings
from line_auth.exceptions import ErrorCode, LineUnavailable
from line_auth.friendship import retention
from line_auth.friendship.sync import stale_accounts
from line_auth.friendship.sync import sync_friendships as run_sync
from line_auth.internal import batch
from line_auth.models import FriendshipSource, LineAccount

try:
    from celery import shared_task
except ImportError:  # Celery is an optional extra
    shared_task = None

Function = TypeVar("Function", bound=Callable[..., Any])

# The name of every task, as beat schedules and system checks refer to them.
REFRESH_ACCOUNT = "line_auth.refresh_line_account"
REFRESH_DUE = "line_auth.refresh_due_line_tokens"
SYNC_FRIENDSHIPS = "line_auth.sync_friendships"
PRUNE_WEBHOOK_RECORDS = "line_auth.prune_webhook_records"
PRUNE_AUDIT = "line_auth.prune_audit"
RETRY_DEAUTHORIZATIONS = "line_auth.retry_deauthorizations"
ROLL_UP_FIGURES = "line_auth.roll_up_figures"
TASK_NAMES = frozenset({
    REFRESH_ACCOUNT, REFRESH_DUE, SYNC_FRIENDSHIPS, PRUNE_WEBHOOK_RECORDS, PRUNE_AUDIT, RETRY_DEAUTHORIZATIONS,
    ROLL_UP_FIGURES,
})

# Accounts read per query while queueing refreshes, in the batch engine's keyset pages.
QUEUE_PAGE = 2000
# Seconds before retrying a refresh LINE could not answer, doubled on each retry.
RETRY_DELAY = 60


def task(name: str, **options: Any) -> Callable[[Function], Function]:
    """Register the function as the Celery task ``name``; without Celery, leave it as is."""
    if shared_task is None:
        return lambda function: function
    return shared_task(name=name, **options)


class RefreshPostponed(LineUnavailable):
    """LINE could not answer a refresh; Celery retries the task later."""

    code = ErrorCode.REFRESH_POSTPONED


def refresh_account(account_id: int) -> str:
    """Refresh one account's access token; returns the outcome's value."""
    account = LineAccount.objects.filter(pk=account_id).first()
    if account is None:
        return tokens.Outcome.SKIPPED.value
    return tokens.refresh(account).value


@task(
    REFRESH_ACCOUNT,
    autoretry_for=(RefreshPostponed,),
    retry_backoff=RETRY_DELAY,
    retry_jitter=False,
    max_retries=3,
    ignore_result=True,
)
def refresh_line_account(account_id: int) -> str:
    """Refresh one account; raises ``RefreshPostponed`` while LINE is unavailable."""
    outcome = refresh_account(account_id)
    if outcome == tokens.Outcome.FAILED.value:
        raise RefreshPostponed(f"LINE could not refresh account {account_id}; retrying later")
    return outcome


@task(REFRESH_DUE, ignore_result=True)
def refresh_due_line_tokens(window: int | None = None, channel: str | None = None) -> int:
    """Queue a refresh for every account whose token expires within the window.

    ``channel`` limits it to that channel's accounts; each account is refreshed
    with its own channel's credentials either way.
    """
    # With Celery each refresh is its own task; without, it runs here.
    start: Callable[[int], Any] = getattr(refresh_line_account, "delay", refresh_account)
    queued = 0
    due = channels.limit_to(tokens.due_for_refresh(window=window), channel)
    for page in batch.pages(due.only("pk"), QUEUE_PAGE):
        for account in page:
            start(account.pk)
        queued += len(page)
    return queued


@task(SYNC_FRIENDSHIPS)
def sync_friendships(
    older_than_seconds: float | None = None, workers: int | None = None, channel: str | None = None
) -> dict[str, int]:
    """Re-check stale statuses (of one channel's accounts with ``channel``); arguments are
    plain numbers and names so any serializer carries them."""
    older_than = (
        timedelta(seconds=older_than_seconds)
        if older_than_seconds is not None
        else line_settings.friendship_stale_after
    )
    report = run_sync(
        channels.limit_to(stale_accounts(older_than), channel),
        source=FriendshipSource.SYNC,
        workers=workers or line_settings.friendship_sync_workers,
    )
    return report.as_dict()


@task(PRUNE_WEBHOOK_RECORDS)
def prune_webhook_records() -> dict[str, int]:
    """Delete processed webhook event IDs and pending friendships past their retention."""
    return retention.prune()


@task(PRUNE_AUDIT)
def prune_audit() -> int:
    """Delete audit records older than their retention; returns how many went."""
    return audit.prune()


@task(RETRY_DEAUTHORIZATIONS, ignore_result=True)
def retry_deauthorizations(limit: int | None = None) -> dict[str, int]:
    """Retry the queued deauthorizations that are due; each has its own back-off."""
    return {outcome.value: count for outcome, count in deauthorization.retry_due(limit=limit).items()}


@task(ROLL_UP_FIGURES, ignore_result=True)
def roll_up_figures(full: bool = False) -> int:
    """Count the overview's daily figures again (recent days only unless ``full``)."""
    return figures.roll_up(full=full)
