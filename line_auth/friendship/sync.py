"""Ask LINE's friendship API again, for the sync command, the Celery task and the admin.

The accounts go through the batch engine (:mod:`line_auth.internal.batch`):
primary-key pages, calls to LINE in a small thread pool, every database read
and write on the calling thread. Only accounts whose access token is usable
(:func:`~line_auth.internal.token_state.is_usable`) are asked about.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from line_auth.client import get_client
from line_auth.exceptions import LineAPIError
from line_auth.friendship.status import store_status
from line_auth.internal import batch
from line_auth.internal.token_state import is_usable, usable_in_database
from line_auth.models import Friendship, LineAccount

logger = logging.getLogger("line_auth.friendship_sync")

PAGE_SIZE = 200
PAGE_FIELDS = ("pk", "line_user_id", "access_token", "access_token_expires_at", "needs_relogin")
SKIPPED, UNCHANGED, CHANGED, FAILED = "skipped", "unchanged", "changed", "failed"
# LINE's answer (friend or not) and when it was asked, or why it could not be had.
Asked = tuple[bool, datetime] | LineAPIError


@dataclass
class SyncReport:
    """What a run did; ``skipped`` accounts had no access token LINE would accept."""

    total: int = 0
    checked: int = 0
    changed: int = 0
    skipped: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def count(self, account: LineAccount, result: str) -> None:
        if result == SKIPPED:
            # Stored but empty once read: no configured key opens it, so it is absent.
            self.skipped += 1
            self.total -= 1
        elif result == FAILED:
            self.failed += 1
        else:
            self.checked += 1
            if result == CHANGED:
                self.changed += 1


Progress = Callable[[SyncReport], None]


def stale_accounts(older_than: timedelta, now: datetime | None = None) -> QuerySet[LineAccount]:
    """Accounts whose friendship is unknown or was last known before ``older_than`` ago."""
    cutoff = (now or timezone.now()) - older_than
    return LineAccount.objects.filter(
        Q(friendship_checked_at__isnull=True) | Q(friendship_checked_at__lt=cutoff)
    )


def sync_friendships(
    accounts: QuerySet[LineAccount],
    *,
    source: str,
    workers: int,
    progress: Progress | None = None,
) -> SyncReport:
    """Re-check every account of ``accounts`` that has a usable token; never raises for LINE."""
    now = timezone.now()
    usable = accounts.filter(usable_in_database(now)).select_related(None).only(*PAGE_FIELDS)
    report = SyncReport(skipped=accounts.exclude(usable_in_database(now)).count(), total=usable.count())
    steps: batch.Steps[LineAccount, Asked, str] = batch.Steps(
        settle=lambda account: None if is_usable(account, now) else SKIPPED,
        ask=lambda account: _ask(account.access_token),
        record=lambda account, asked: _store(account, asked, source),
        lease="line_auth.friendship",
    )
    batch.run(
        usable,
        steps,
        concurrency=workers,
        page_size=PAGE_SIZE,
        on_result=report.count,
        progress=None if progress is None else lambda: progress(report),
    )
    return report


def check_account(account_id: int, source: str) -> str:
    """Ask LINE about one account now (a login's check, run as a task); returns what happened."""
    account = LineAccount.objects.filter(pk=account_id).only(*PAGE_FIELDS).first()
    if account is None or not is_usable(account, timezone.now()):
        return SKIPPED
    return _store(account, _ask(account.access_token), source)


def _ask(access_token: str) -> Asked:
    """The answer and when it was asked: a later webhook event must still win."""
    asked_at = timezone.now()
    try:
        return get_client().get_friendship(access_token), asked_at
    except LineAPIError as error:
        return error


def _store(account: LineAccount, asked: Asked, source: str) -> str:
    if isinstance(asked, LineAPIError):
        logger.warning("Friendship re-check failed for %s: %s", account.line_user_id, asked.code)
        return FAILED
    is_friend, asked_at = asked
    current = Friendship.FRIEND if is_friend else Friendship.NOT_FRIEND
    return UNCHANGED if store_status(account.pk, current, source, asked_at) is None else CHANGED
