"""The one way a friendship status is written, whatever told us about it.

Login, the friendship API, the webhook and the sync all go through
:func:`apply_status`. A status older than the one we hold is ignored, because
webhooks can arrive late and out of order; ``friendship_checked_at`` is the
moment the held status was true. A real change leaves a
:class:`~line_auth.models.FriendshipChange` row and sends ``friendship_changed``
once the transaction has committed, so a rollback announces nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from django.db import transaction

from line_auth import signals
from line_auth.internal.set_sql import insert_rows, locked_rows, update_rows, upsert_newer
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
    insert_rows(rows)
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
    statuses: Mapping[str, tuple[str, datetime]],
    source: str,
    *,
    channel_ids: Collection[str] | None = None,
) -> list[FriendshipChange]:
    """Write statuses keyed by LINE user ID in a bounded number of queries.

    Every account of the user on ``channel_ids`` (all channels when ``None``) is
    updated: a Messaging API channel's events concern only the Login channels
    linked to its Official Account. Users who have not logged in yet are remembered
    in :class:`~line_auth.models.PendingFriendship` until they do. Call it
    inside a transaction. Rows are locked in primary-key order so two
    concurrent batches cannot deadlock.
    """
    where: dict[str, Collection[str]] = {"line_user_id": list(statuses)}
    if channel_ids is not None:
        where["channel_id"] = sorted(channel_ids)
    accounts = locked_rows(LineAccount, ("channel_id", "line_user_id", *STATUS_FIELDS), where)
    touched: list[LineAccount] = []
    changes: list[FriendshipChange | None] = []
    for account in accounts:
        current, at = statuses[account.line_user_id]
        if is_newer(account, at):
            changes.append(apply_status(account, current, source, at))
            touched.append(account)
    update_rows(touched, STATUS_FIELDS)
    remember(_awaiting(statuses, accounts, channel_ids))
    return record(changes)


def _awaiting(
    statuses: Mapping[str, tuple[str, datetime]],
    accounts: list[LineAccount],
    channel_ids: Collection[str] | None,
) -> dict[tuple[str, str], tuple[str, datetime]]:
    """The statuses to keep, by (channel ID, LINE user ID), for accounts not made yet.

    Each linked channel on which the user has no account keeps its own; without
    ``channel_ids`` one status waits for the user's first account on any channel.
    """
    have = {(account.channel_id, account.line_user_id) for account in accounts}
    users = {account.line_user_id for account in accounts}
    if channel_ids is None:
        return {("", user_id): status for user_id, status in statuses.items() if user_id not in users}
    return {
        (channel_id, user_id): status
        for user_id, status in statuses.items()
        for channel_id in sorted(channel_ids)
        if (channel_id, user_id) not in have
    }


def remember(statuses: Mapping[tuple[str, str], tuple[str, datetime]]) -> None:
    """Keep the newest status of users without an account, for its first login.

    Keys are (channel ID, LINE user ID), the channel empty for "any". One upsert in
    which a stored status is replaced only by a newer one, so two deliveries for
    the same user racing each other still leave the newest.
    """
    upsert_newer(
        PendingFriendship,
        {
            "channel_id": [channel_id for channel_id, _ in statuses],
            "line_user_id": [user_id for _, user_id in statuses],
            "friendship": [current for current, _ in statuses.values()],
            "event_at": [at for _, at in statuses.values()],
        },
        key=("channel_id", "line_user_id"),
        newer="event_at",
    )


def take_pending(account: LineAccount) -> FriendshipChange | None:
    """Apply (and forget) what the webhook told us for this account before it existed:
    its own channel's status, or one kept for any channel, the newer if both."""
    waiting = PendingFriendship.objects.filter(
        line_user_id=account.line_user_id, channel_id__in=("", account.channel_id)
    )
    pending = waiting.order_by("-event_at").first()
    if pending is None:
        return None
    waiting.delete()
    return apply_status(account, pending.friendship, FriendshipSource.WEBHOOK, pending.event_at)
