"""The one way a friendship status is written, whatever told us about it.

Login, the friendship API, the webhook and the sync all go through
:func:`apply_status`. A status older than the one we hold is ignored, because
webhooks can arrive late and out of order; ``friendship_checked_at`` is the
moment the held status was true. A real change leaves a
:class:`~line_auth.models.FriendshipChange` row and sends ``friendship_changed``
once the transaction has committed, so a rollback announces nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction

from line_auth import signals
from line_auth.internal.set_sql import update_rows, upsert_newer
from line_auth.models import FriendshipChange, FriendshipSource, LineAccount, PendingFriendship

STATUS_FIELDS = ("friendship", "friendship_source", "friendship_checked_at")


def is_newer(account: LineAccount, at: datetime) -> bool:
    """Whether a status seen at ``at`` may replace the account's (ties go to the newcomer)."""
    known = account.friendship_checked_at
    return known is None or at >= known


def apply_status(
    account: LineAccount, current: str, source: str, at: datetime
) -> FriendshipChange | None:
    """Set the status in memory unless it is older; return the change to record, if any."""
    if not is_newer(account, at):
        return None
    previous = account.friendship
    account.friendship = current
    account.friendship_source = source
    account.friendship_checked_at = at
    if previous == current:
        return None
    return FriendshipChange(
        account=account, previous=previous, current=current, source=source, event_at=at
    )


def save_changes(changes: Iterable[FriendshipChange | None]) -> list[FriendshipChange]:
    """Insert the history rows of changes whose accounts are already saved."""
    rows = [change for change in changes if change is not None]
    if rows:
        FriendshipChange.objects.bulk_create(rows)
    return rows


def announce(changes: Iterable[FriendshipChange]) -> None:
    """Send ``friendship_changed`` for each change; call it only after commit."""
    for change in changes:
        signals.friendship_changed.send(
            sender=LineAccount,
            line_account=change.account,
            previous=change.previous,
            current=change.current,
            source=change.source,
        )


def record(changes: Iterable[FriendshipChange | None]) -> list[FriendshipChange]:
    """Save the changes and announce them when the surrounding transaction commits."""
    rows = save_changes(changes)
    if rows:
        transaction.on_commit(lambda: announce(rows))
    return rows


def store_status(
    account_id: int, current: str, source: str, at: datetime
) -> FriendshipChange | None:
    """Write one account's status under a row lock (the sync and the admin use this)."""
    with transaction.atomic():
        account = (
            LineAccount.objects.select_for_update()
            .only("line_user_id", *STATUS_FIELDS)
            .filter(pk=account_id)
            .first()
        )
        if account is None or not is_newer(account, at):
            return None
        change = apply_status(account, current, source, at)
        account.save(update_fields=STATUS_FIELDS)
        record([change])
    return change


def store_statuses(
    statuses: Mapping[str, tuple[str, datetime]], source: str
) -> list[FriendshipChange]:
    """Write statuses keyed by LINE user ID in a bounded number of queries.

    Every linked account of the user is updated (the ID is the same on every
    channel of the provider); users who have not logged in yet are remembered
    in :class:`~line_auth.models.PendingFriendship` until they do. Call it
    inside a transaction. Rows are locked in primary-key order so two
    concurrent batches cannot deadlock.
    """
    accounts = list(
        LineAccount.objects.select_for_update()
        .only("line_user_id", *STATUS_FIELDS)
        .filter(line_user_id__in=list(statuses))
        .order_by("pk")
    )
    touched: list[LineAccount] = []
    changes: list[FriendshipChange | None] = []
    for account in accounts:
        current, at = statuses[account.line_user_id]
        if is_newer(account, at):
            changes.append(apply_status(account, current, source, at))
            touched.append(account)
    update_rows(touched, STATUS_FIELDS)
    linked = {account.line_user_id for account in accounts}
    remember({user_id: status for user_id, status in statuses.items() if user_id not in linked})
    return record(changes)


def remember(statuses: Mapping[str, tuple[str, datetime]]) -> None:
    """Keep the newest status of users without a linked account, for their first login.

    One upsert in which a stored status is replaced only by a newer one, so two
    deliveries for the same user racing each other still leave the newest.
    """
    upsert_newer(
        PendingFriendship,
        {
            "line_user_id": list(statuses),
            "friendship": [current for current, _ in statuses.values()],
            "event_at": [at for _, at in statuses.values()],
        },
        key="line_user_id",
        newer="event_at",
    )


def take_pending(account: LineAccount) -> FriendshipChange | None:
    """Apply (and forget) what the webhook told us while the user had no linked account."""
    pending = PendingFriendship.objects.filter(line_user_id=account.line_user_id).first()
    if pending is None:
        return None
    pending.delete()
    return apply_status(account, pending.friendship, FriendshipSource.WEBHOOK, pending.event_at)
