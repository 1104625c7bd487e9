"""Ask LINE's friendship API again, for the sync command, the Celery task and the admin.

The calls to LINE wait on the network, so a small thread pool makes them in
parallel; every database read and write stays on the calling thread, so no
connection is shared between threads. Accounts are read in primary-key pages,
which keeps memory flat and lets an interrupted run simply be started again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from line_auth.client import get_client
from line_auth.exceptions import LineAPIError
from line_auth.friendship.status import store_status
from line_auth.models import Friendship, LineAccount

logger = logging.getLogger("line_auth.friendship_sync")

PAGE_SIZE = 200
PAGE_FIELDS = ("pk", "line_user_id", "access_token")


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


Progress = Callable[[SyncReport], None]


def stale_accounts(older_than: timedelta, now: datetime | None = None) -> QuerySet[LineAccount]:
    """Accounts whose friendship is unknown or was last known before ``older_than`` ago."""
    cutoff = (now or timezone.now()) - older_than
    return LineAccount.objects.filter(
        Q(friendship_checked_at__isnull=True) | Q(friendship_checked_at__lt=cutoff)
    )


def without_usable_token(now: datetime) -> Q:
    """No access token, a known-expired one, or one LINE already refused."""
    return Q(access_token="") | Q(access_token_expires_at__lte=now) | Q(needs_relogin=True)


def sync_friendships(
    accounts: QuerySet[LineAccount],
    *,
    source: str,
    workers: int,
    progress: Progress | None = None,
) -> SyncReport:
    """Re-check every account of ``accounts`` that has a usable token; never raises for LINE."""
    now = timezone.now()
    usable = accounts.exclude(without_usable_token(now)).select_related(None).order_by("pk")
    report = SyncReport(skipped=accounts.filter(without_usable_token(now)).count())
    report.total = usable.count()
    last_pk = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while page := list(usable.filter(pk__gt=last_pk).only(*PAGE_FIELDS)[:PAGE_SIZE]):
            last_pk = page[-1].pk
            # Stored but empty once read: no configured key opens it, so it is absent.
            readable = [account for account in page if account.access_token]
            report.skipped += len(page) - len(readable)
            report.total -= len(page) - len(readable)
            asks = {pool.submit(_ask, account.access_token): account for account in readable}
            for future in as_completed(asks):
                _store(asks[future], future, source, report)
            if progress is not None:
                progress(report)
    return report


def _ask(access_token: str) -> tuple[bool, datetime]:
    """The answer and when it was asked: a later webhook event must still win."""
    asked_at = timezone.now()
    return get_client().get_friendship(access_token), asked_at


def _store(
    account: LineAccount, future: Future[tuple[bool, datetime]], source: str, report: SyncReport
) -> None:
    try:
        is_friend, asked_at = future.result()
    except LineAPIError as error:
        report.failed += 1
        logger.warning("Friendship re-check failed for %s: %s", account.line_user_id, error.code)
        return
    current = Friendship.FRIEND if is_friend else Friendship.NOT_FRIEND
    report.checked += 1
    if store_status(account.pk, current, source, asked_at) is not None:
        report.changed += 1
