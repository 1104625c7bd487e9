"""The one friendship writer: pending statuses of users without an account, row-locked
writes for the sync and the admin, and the ``friendship_changed`` signal's sender."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from line_auth import signals
from line_auth.friendship.status import store_status, store_statuses, take_pending
from line_auth.models import Friendship, FriendshipChange, FriendshipSource, LineAccount, PendingFriendship

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 1, 22, 2, 44, 27, tzinfo=timezone.utc)
UNLINKED = "U" + "9" * 32


def pending() -> list[tuple[str, str, datetime]]:
    return list(PendingFriendship.objects.values_list("line_user_id", "friendship", "event_at"))


def test_a_newer_status_of_a_user_without_an_account_replaces_the_pending_one():
    store_statuses({UNLINKED: (Friendship.FRIEND, T0)}, FriendshipSource.WEBHOOK)
    store_statuses({UNLINKED: (Friendship.NOT_FRIEND, T0 + timedelta(minutes=1))}, FriendshipSource.WEBHOOK)
    assert pending() == [(UNLINKED, Friendship.NOT_FRIEND, T0 + timedelta(minutes=1))]


def test_an_older_status_of_a_user_without_an_account_changes_nothing():
    store_statuses({UNLINKED: (Friendship.FRIEND, T0)}, FriendshipSource.WEBHOOK)
    store_statuses({UNLINKED: (Friendship.NOT_FRIEND, T0 - timedelta(minutes=1))}, FriendshipSource.WEBHOOK)
    assert pending() == [(UNLINKED, Friendship.FRIEND, T0)]


def test_a_first_account_takes_its_users_status_kept_for_any_channel_and_no_one_elses(line_account_factory):
    other = "U" + "8" * 32
    store_statuses({UNLINKED: (Friendship.FRIEND, T0), other: (Friendship.NOT_FRIEND, T0)}, FriendshipSource.WEBHOOK)
    account = line_account_factory(line_user_id=UNLINKED)

    change = take_pending(account)

    assert (change.previous, change.current, change.event_at) == (Friendship.UNKNOWN, Friendship.FRIEND, T0)
    assert (account.friendship, account.friendship_source) == (Friendship.FRIEND, FriendshipSource.WEBHOOK)
    assert pending() == [(other, Friendship.NOT_FRIEND, T0)]  # the other user's status still waits


def test_a_linked_user_leaves_no_pending_row(line_account_factory):
    account = line_account_factory()
    changes = store_statuses({account.line_user_id: (Friendship.FRIEND, T0)}, FriendshipSource.WEBHOOK)
    assert [(change.account.pk, change.current) for change in changes] == [(account.pk, Friendship.FRIEND)]
    assert pending() == []


def test_storing_the_status_of_a_deleted_account_writes_nothing(line_account_factory):
    account = line_account_factory()
    account_id = account.pk
    account.delete()
    assert store_status(account_id, Friendship.FRIEND, FriendshipSource.SYNC, T0) is None
    assert not FriendshipChange.objects.exists() and not LineAccount.objects.exists()


def test_an_older_status_is_not_stored(line_account_factory):
    account = line_account_factory(
        friendship=Friendship.FRIEND, friendship_source=FriendshipSource.WEBHOOK, friendship_checked_at=T0
    )
    assert store_status(account.pk, Friendship.NOT_FRIEND, FriendshipSource.SYNC, T0 - timedelta(seconds=1)) is None
    account.refresh_from_db()
    assert (account.friendship, account.friendship_source, account.friendship_checked_at) == (
        Friendship.FRIEND, FriendshipSource.WEBHOOK, T0)
    assert not FriendshipChange.objects.exists()


def test_a_status_seen_at_the_same_moment_replaces_the_held_one(line_account_factory):
    """Ties go to the newcomer: the sync's answer at the webhook's instant is the latest word."""
    account = line_account_factory(
        friendship=Friendship.FRIEND, friendship_source=FriendshipSource.WEBHOOK, friendship_checked_at=T0
    )
    assert store_status(account.pk, Friendship.NOT_FRIEND, FriendshipSource.SYNC, T0) is not None
    account.refresh_from_db()
    assert (account.friendship, account.friendship_source) == (Friendship.NOT_FRIEND, FriendshipSource.SYNC)


def test_a_stored_change_is_saved_and_recorded(line_account_factory, django_capture_on_commit_callbacks):
    account = line_account_factory()
    with django_capture_on_commit_callbacks(execute=True):
        change = store_status(account.pk, Friendship.FRIEND, FriendshipSource.SYNC, T0)
    assert change is not None and change.current == Friendship.FRIEND
    account.refresh_from_db()
    assert (account.friendship, account.friendship_source, account.friendship_checked_at) == (
        Friendship.FRIEND, FriendshipSource.SYNC, T0)
    assert FriendshipChange.objects.get().current == Friendship.FRIEND


def test_receivers_that_listen_to_line_account_hear_each_change(
    line_account_factory, django_capture_on_commit_callbacks
):
    """Receivers usually connect with ``sender=LineAccount``; they must hear every change."""
    account = line_account_factory()
    heard = []

    def receiver(sender, line_account, previous, current, source, **kwargs):
        heard.append((sender, line_account.pk, previous, current, source))

    signals.friendship_changed.connect(receiver, sender=LineAccount)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            store_status(account.pk, Friendship.FRIEND, FriendshipSource.SYNC, T0)
    finally:
        signals.friendship_changed.disconnect(receiver, sender=LineAccount)
    assert heard == [(LineAccount, account.pk, Friendship.UNKNOWN, Friendship.FRIEND, FriendshipSource.SYNC)]


def test_the_changes_returned_are_the_saved_history_rows(line_account_factory):
    """What store_statuses hands back is the row it stored: its key, time and account."""
    tokyo = timezone(timedelta(hours=9))
    account = line_account_factory()
    (change,) = store_statuses({account.line_user_id: (Friendship.FRIEND, T0.astimezone(tokyo))},
                               FriendshipSource.WEBHOOK)
    stored = FriendshipChange.objects.get()
    assert change.pk == stored.pk and not change._state.adding
    assert (change.account.pk, change.event_at, change.changed_at) == (account.pk, T0, stored.changed_at)
    account.refresh_from_db()
    assert account.friendship_checked_at == T0


def test_a_status_is_written_to_the_microsecond(line_account_factory):
    """Statuses ride to the database as text; the moment must come back unchanged."""
    moment = T0.replace(microsecond=123456)
    account = line_account_factory()
    store_statuses({account.line_user_id: (Friendship.FRIEND, moment), UNLINKED: (Friendship.FRIEND, moment)},
                   FriendshipSource.WEBHOOK)
    account.refresh_from_db()
    assert account.friendship_checked_at == moment
    assert FriendshipChange.objects.get().event_at == moment
    assert pending() == [(UNLINKED, Friendship.FRIEND, moment)]
