"""Every line_auth background task, each written once for Django's task framework and Celery.

Each function here is a task of Django's task framework (run by its workers,
``manage.py db_worker`` with ``django-tasks-db`` for one) and, when Celery is
installed, a Celery task of the same name for ``app.autodiscover_tasks()`` and
beat (:mod:`line_auth.internal.background`). ``LINE_AUTH_TASK_ENGINE`` says
where line_auth queues work; without one, work runs in the calling process.

- ``line_auth.refresh_due_line_tokens``: cuts the accounts due into chunks and
  queues one ``line_auth.run_batch_chunk`` per chunk, so any number of workers
  share the run under one budget of requests to LINE.
- ``line_auth.sync_friendships``: the same for stale friendship statuses.
- ``line_auth.run_batch_chunk``: one chunk of any batch job (``batch.Job``);
  safe to run twice or to lose midway (see ``batch``).
- ``line_auth.refresh_line_account``: refreshes one account.
- ``line_auth.check_friendship``: asks LINE about one account's friendship,
  queued right after a login that needs it.
- ``line_auth.prune_webhook_records``: deletes webhook records past their retention.
- ``line_auth.prune_audit``: deletes audit records past ``LINE_AUTH_AUDIT_RETENTION``.
- ``line_auth.retry_deauthorizations``: retries the deauthorizations LINE could not
  take when a link ended; schedule it every few minutes.
- ``line_auth.roll_up_figures``: counts the admin overview's daily figures again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet

from line_auth import audit, channels, deauthorization, figures, tokens
from line_auth.conf import line_settings
from line_auth.exceptions import ErrorCode, LineUnavailable
from line_auth.friendship import retention
from line_auth.friendship.sync import check_account, stale_accounts
from line_auth.friendship.sync import sync_friendships as run_sync
from line_auth.internal import batch
from line_auth.internal.background import background, enqueue
from line_auth.models import FriendshipSource, LineAccount

# The name of every task, as beat schedules and system checks refer to them.
REFRESH_ACCOUNT = "line_auth.refresh_line_account"
REFRESH_DUE = "line_auth.refresh_due_line_tokens"
SYNC_FRIENDSHIPS = "line_auth.sync_friendships"
RUN_CHUNK = "line_auth.run_batch_chunk"
CHECK_FRIENDSHIP = "line_auth.check_friendship"
PRUNE_WEBHOOK_RECORDS = "line_auth.prune_webhook_records"
PRUNE_AUDIT = "line_auth.prune_audit"
RETRY_DEAUTHORIZATIONS = "line_auth.retry_deauthorizations"
ROLL_UP_FIGURES = "line_auth.roll_up_figures"
TASK_NAMES = frozenset(
    {
        REFRESH_ACCOUNT, REFRESH_DUE, SYNC_FRIENDSHIPS, RUN_CHUNK, CHECK_FRIENDSHIP, PRUNE_WEBHOOK_RECORDS,
        PRUNE_AUDIT, RETRY_DEAUTHORIZATIONS, ROLL_UP_FIGURES,
    }
)

# The batch jobs' names, as chunk tasks carry them.
REFRESH_JOB = "refresh_tokens"
SYNC_JOB = "sync_friendships"
# Seconds before Celery retries work LINE could not answer, doubled on each retry.
RETRY_DELAY = 60
# Celery options of tasks that must survive their worker: acknowledged only once done, and
# handed to another worker if this one dies (Redis: after the transport's visibility timeout).
SURVIVES_WORKER = {"acks_late": True, "reject_on_worker_lost": True}


class RefreshPostponed(LineUnavailable):
    """LINE could not answer; Celery retries the task later, the task framework's next run does."""

    code = ErrorCode.REFRESH_POSTPONED


# Celery options of the tasks LINE may postpone: retried with doubling delays, three times.
RETRIED_WHEN_POSTPONED: dict[str, Any] = {
    "autoretry_for": (RefreshPostponed,), "retry_backoff": RETRY_DELAY, "retry_jitter": False,
    "max_retries": 3, "ignore_result": True, **SURVIVES_WORKER,
}


def _refresh_counts(accounts: QuerySet[LineAccount]) -> dict[str, int]:
    counts = tokens.refresh_many(accounts, concurrency=line_settings.batch_concurrency)
    return {outcome.value: count for outcome, count in counts.items()}


def _sync_counts(accounts: QuerySet[LineAccount]) -> dict[str, int]:
    workers = line_settings.friendship_sync_workers
    return run_sync(accounts, source=FriendshipSource.SYNC, workers=workers).as_dict()


def _due(window: int | None = None, channel: str | None = None) -> QuerySet[LineAccount]:
    return channels.limit_to(tokens.due_for_refresh(window=window), channel)


def _stale(older_than_seconds: float | None = None, channel: str | None = None) -> QuerySet[LineAccount]:
    older_than = (
        line_settings.friendship_stale_after
        if older_than_seconds is None
        else timedelta(seconds=older_than_seconds)
    )
    return channels.limit_to(stale_accounts(older_than), channel)


batch.register(batch.Job(REFRESH_JOB, _due, _refresh_counts, tokens.Outcome.FAILED.value))
batch.register(batch.Job(SYNC_JOB, _stale, _sync_counts, "failed"))


@background(RUN_CHUNK, **RETRIED_WHEN_POSTPONED)
def run_batch_chunk(job: str, first_pk: int, last_pk: int, params: dict[str, Any]) -> dict[str, int]:
    """Run one chunk of a batch job; raises ``RefreshPostponed`` when LINE failed some rows."""
    counts = batch.run_chunk(job, first_pk, last_pk, params)
    retry_when = batch.JOBS[job].retry_when
    if retry_when and counts.get(retry_when):
        raise RefreshPostponed(f"LINE could not answer {counts[retry_when]} of chunk {first_pk}-{last_pk}")
    return counts


def start_job(job: str, **params: Any) -> dict[str, int]:
    """Queue every chunk of ``job``; without a task engine, run them here and add up the counts."""
    chunks = batch.chunks(batch.JOBS[job].rows(**params), line_settings.batch_chunk_size)
    totals: dict[str, int] = {"chunks": 0}
    for first_pk, last_pk in chunks:
        totals["chunks"] += 1
        if line_settings.task_engine is None:
            for name, count in batch.run_chunk(job, first_pk, last_pk, params).items():
                totals[name] = totals.get(name, 0) + count
        else:
            enqueue(run_batch_chunk, job, first_pk, last_pk, params)
    return totals


@background(REFRESH_DUE, ignore_result=True)
def refresh_due_line_tokens(window: int | None = None, channel: str | None = None) -> dict[str, int]:
    """Refresh every account whose token expires within the window, chunk by chunk.

    ``channel`` limits it to that channel's accounts; each account is refreshed
    with its own channel's credentials either way.
    """
    return start_job(REFRESH_JOB, window=window, channel=channel)


@background(SYNC_FRIENDSHIPS)
def sync_friendships(older_than_seconds: float | None = None, channel: str | None = None) -> dict[str, int]:
    """Re-check stale statuses (of one channel's accounts with ``channel``); arguments are
    plain numbers and names so any serializer carries them."""
    return start_job(SYNC_JOB, older_than_seconds=older_than_seconds, channel=channel)


@background(REFRESH_ACCOUNT, **RETRIED_WHEN_POSTPONED)
def refresh_line_account(account_id: int) -> str:
    """Refresh one account; raises ``RefreshPostponed`` while LINE is unavailable."""
    account = LineAccount.objects.filter(pk=account_id).first()
    outcome = tokens.Outcome.SKIPPED if account is None else tokens.refresh(account)
    if outcome == tokens.Outcome.FAILED:
        raise RefreshPostponed(f"LINE could not refresh account {account_id}; retrying later")
    return outcome.value


@background(CHECK_FRIENDSHIP, ignore_result=True, **SURVIVES_WORKER)
def check_friendship(account_id: int) -> str:
    """Ask LINE about one account's friendship, with the access token the account holds now."""
    return check_account(account_id, FriendshipSource.LOGIN)


def enqueue_friendship_check(account_id: int) -> None:
    """Queue the friendship check of a login that needs one, on the site's task engine."""
    enqueue(check_friendship, account_id)


@background(PRUNE_WEBHOOK_RECORDS)
def prune_webhook_records() -> dict[str, int]:
    """Delete processed webhook event IDs and pending friendships past their retention."""
    return retention.prune()


@background(PRUNE_AUDIT)
def prune_audit() -> int:
    """Delete audit records older than their retention; returns how many went."""
    return audit.prune()


@background(RETRY_DEAUTHORIZATIONS, ignore_result=True)
def retry_deauthorizations(limit: int | None = None) -> dict[str, int]:
    """Retry the queued deauthorizations that are due; each has its own back-off."""
    return {outcome.value: count for outcome, count in deauthorization.retry_due(limit=limit).items()}


@background(ROLL_UP_FIGURES, ignore_result=True)
def roll_up_figures(full: bool = False) -> int:
    """Count the overview's daily figures again (recent days only unless ``full``)."""
    return figures.roll_up(full=full)
