"""The Messaging API webhook keeps friendship current: signatures, events, order, scale."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_delete
from django.test.utils import CaptureQueriesContext
from django.utils import timezone as django_timezone

from line_auth import signals
from line_auth.checks import webhook_and_tasks as webhook_checks
from line_auth.models import (
    Friendship,
    FriendshipChange,
    FriendshipSource,
    LineAccount,
    PendingFriendship,
    WebhookEvent,
)
from line_auth.views.webhook import signature

pytestmark = pytest.mark.django_db

URL = "/accounts/line/webhook/"
SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"  # LINE's documented test vector
VECTOR_BODY = b'{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}'
VECTOR_SIGNATURE = "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
# ms, as LINE sends it: the events just happened (older ones would be past their retention)
T0 = int(time.time() * 1000)


@pytest.fixture(autouse=True)
def webhook_on(settings):
    settings.LINE_AUTH_WEBHOOK_SECRET = SECRET


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def event(
    kind: str,
    user_id: str,
    ms: int = T0,
    event_id: str | None = None,
    *,
    unblocked: bool = False,
    redelivery: bool = False,
) -> dict:
    data = {
        "type": kind,
        "mode": "active",
        "timestamp": ms,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or f"01HMQGW40RZJPJM3{kind[:2].upper()}{ms % 10**8:08d}",
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if kind == "follow":
        data["replyToken"] = "85cbe770fa8b4f45bbe077b1d4be4a36"
        data["follow"] = {"isUnblocked": unblocked}
    return data


def body(*events: dict) -> bytes:
    return json.dumps(
        {"destination": "U" + "e" * 32, "events": list(events)}, separators=(",", ":")
    ).encode()


def deliver(client, raw: bytes, sig: str | None = None, **headers):
    if sig is not None:
        headers["HTTP_X_LINE_SIGNATURE"] = sig
    return client.generic("POST", URL, raw, content_type="application/json", **headers)


def send(client, *events: dict):
    raw = body(*events)
    return deliver(client, raw, signature(raw, SECRET))


# Signature -----------------------------------------------------------------


def test_the_documented_vector_signs_and_is_accepted(client):
    assert signature(VECTOR_BODY, SECRET) == VECTOR_SIGNATURE
    assert deliver(client, VECTOR_BODY, VECTOR_SIGNATURE).status_code == 200


def test_the_header_name_is_case_insensitive(client):
    response = client.generic(
        "POST",
        URL,
        VECTOR_BODY,
        content_type="application/json",
        headers={"x-line-signature": VECTOR_SIGNATURE},
    )
    assert response.status_code == 200


@pytest.mark.WH_02
@pytest.mark.parametrize(
    ("raw", "sig", "status"),
    [
        (VECTOR_BODY, None, 400),  # missing
        (VECTOR_BODY, "", 400),  # empty
        (VECTOR_BODY, "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLt=", 403),  # invalid
        (VECTOR_BODY.replace(b"[]", b"[ ]"), VECTOR_SIGNATURE, 403),  # one byte added
        (VECTOR_BODY.replace(b"U8e7", b"U8e8"), VECTOR_SIGNATURE, 403),  # one byte changed
        (VECTOR_BODY, signature(VECTOR_BODY, "0" * 32), 403),  # signed with another secret
        (VECTOR_BODY, "not base64 at all ☃", 403),
    ],
)
def test_anything_but_a_valid_signature_is_refused(client, raw, sig, status):
    assert deliver(client, raw, sig).status_code == status


@pytest.mark.WH_02
def test_a_forged_follow_changes_nothing(client, line_account_factory):
    account = line_account_factory()
    raw = body(event("follow", account.line_user_id))
    assert deliver(client, raw, signature(raw, "f" * 32)).status_code == 403
    account.refresh_from_db()
    assert account.friendship == Friendship.UNKNOWN
    assert not WebhookEvent.objects.exists() and not FriendshipChange.objects.exists()


def test_the_signature_is_checked_before_the_body_is_parsed(client):
    assert deliver(client, b"{not json", "x").status_code == 403
    assert send_raw(client, b"{not json").status_code == 400
    assert send_raw(client, b'{"events": {}}').status_code == 400
    assert send_raw(client, b"[]").status_code == 400


def send_raw(client, raw: bytes):
    return deliver(client, raw, signature(raw, SECRET))


def test_the_webhook_is_off_without_a_secret(client, settings):
    settings.LINE_AUTH_WEBHOOK_SECRET = ""
    assert deliver(client, VECTOR_BODY, VECTOR_SIGNATURE).status_code == 404
    del settings.LINE_AUTH_WEBHOOK_SECRET
    assert deliver(client, VECTOR_BODY, VECTOR_SIGNATURE).status_code == 404


def test_only_post_is_answered(client):
    assert client.get(URL).status_code == 405


def test_the_connectivity_check_answers_200_without_touching_the_database(client):
    raw = body()
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, raw, signature(raw, SECRET)).status_code == 200
    assert len(queries) == 0


# Events --------------------------------------------------------------------


def test_follow_makes_a_friend_records_history_and_signals_after_commit(
    client, line_account_factory, django_capture_on_commit_callbacks
):
    account = line_account_factory()
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.friendship_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert send(client, event("follow", account.line_user_id)).status_code == 200
            assert received == []  # nothing is announced before the commit
        for callback in callbacks:
            callback()
    finally:
        signals.friendship_changed.disconnect(receiver)

    account.refresh_from_db()
    assert account.friendship == Friendship.FRIEND
    assert account.friendship_source == FriendshipSource.WEBHOOK
    assert account.friendship_checked_at == at(T0)
    change = FriendshipChange.objects.get()
    assert (change.account_id, change.previous, change.current, change.source, change.event_at) == (
        account.pk,
        Friendship.UNKNOWN,
        Friendship.FRIEND,
        FriendshipSource.WEBHOOK,
        at(T0),
    )
    assert [(r["line_account"].pk, r["previous"], r["current"], r["source"]) for r in received] == [
        (account.pk, Friendship.UNKNOWN, Friendship.FRIEND, FriendshipSource.WEBHOOK)
    ]


def test_unblock_and_unfollow(client, line_account_factory):
    account = line_account_factory(friendship=Friendship.FRIEND)
    send(client, event("unfollow", account.line_user_id, T0))
    account.refresh_from_db()
    assert account.friendship == Friendship.NOT_FRIEND
    send(client, event("follow", account.line_user_id, T0 + 1000, unblocked=True))
    account.refresh_from_db()
    assert account.friendship == Friendship.FRIEND
    history = list(FriendshipChange.objects.order_by("event_at").values_list("previous", "current"))
    assert history == [
        (Friendship.FRIEND, Friendship.NOT_FRIEND),
        (Friendship.NOT_FRIEND, Friendship.FRIEND),
    ]


def test_every_account_of_the_user_on_a_linked_channel_is_updated(client, line_account_factory, settings):
    """Two Login channels linked to this Official Account (the same Messaging API secret) both
    hear of the follow; a channel linked to another Official Account, or none, does not."""
    settings.LINE_AUTH_CHANNELS = {
        "tw": {"CHANNEL_ID": "2000000000", "MESSAGING_CHANNEL_SECRET": SECRET},
        "th": {"CHANNEL_ID": "2000000001", "MESSAGING_CHANNEL_SECRET": "f" * 32},
    }
    first = line_account_factory()
    second = line_account_factory(line_user_id=first.line_user_id, channel_id="2000000000")
    other_bot = line_account_factory(line_user_id=first.line_user_id, channel_id="2000000001")
    unknown = line_account_factory(line_user_id=first.line_user_id, channel_id="2000000002")
    send(client, event("follow", first.line_user_id))
    friends = set(LineAccount.objects.filter(friendship=Friendship.FRIEND).values_list("pk", flat=True))
    assert friends == {first.pk, second.pk}
    assert FriendshipChange.objects.filter(account__in=[other_bot, unknown]).count() == 0


@pytest.mark.WH_07
def test_a_redelivered_event_is_applied_once(client, line_account_factory):
    account = line_account_factory()
    follow = event("follow", account.line_user_id, T0, "01FOLLOW")
    unfollow = event("unfollow", account.line_user_id, T0 + 5000, "01UNFOLLOW")
    send(client, follow)
    send(client, unfollow)
    assert send(client, {**follow, "deliveryContext": {"isRedelivery": True}}).status_code == 200
    send(client, follow, follow)  # the same event twice in one body
    account.refresh_from_db()
    assert account.friendship == Friendship.NOT_FRIEND
    assert FriendshipChange.objects.count() == 2
    assert WebhookEvent.objects.count() == 2


@pytest.mark.WH_08
def test_an_event_a_concurrent_delivery_recorded_meanwhile_is_not_an_error(client, line_account_factory):
    """LINE may redeliver an event while its first delivery is between reading the processed
    IDs and recording its own. Here the other delivery's row is written just before ours
    (on the same connection, so the test needs no threads): ours must be skipped, not a 500."""
    account = line_account_factory()
    follow = event("follow", account.line_user_id)
    table = WebhookEvent._meta.db_table
    recorded_meanwhile = []

    def other_delivery_first(execute, sql, params, many, context):
        if not recorded_meanwhile and sql.lstrip().upper().startswith("INSERT") and table in sql:
            recorded_meanwhile.append(follow["webhookEventId"])
            WebhookEvent.objects.create(event_id=follow["webhookEventId"], received_at=django_timezone.now())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(other_delivery_first):
        response = send(client, follow)
    assert recorded_meanwhile and response.status_code == 200
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == recorded_meanwhile
    # Whether ours still applies the status depends on the database: on PostgreSQL the insert
    # that claims the event decides, and the other delivery (which claimed it) applies it.


def test_an_older_event_never_overwrites_a_newer_status(client, line_account_factory):
    account = line_account_factory()
    send(client, event("unfollow", account.line_user_id, T0 + 60_000))
    send(client, event("follow", account.line_user_id, T0))  # arrives late
    account.refresh_from_db()
    assert account.friendship == Friendship.NOT_FRIEND
    assert account.friendship_checked_at == at(T0 + 60_000)
    assert FriendshipChange.objects.count() == 1


def test_out_of_order_events_in_one_body_are_applied_by_timestamp(client, line_account_factory):
    account = line_account_factory()
    send(
        client,
        event("follow", account.line_user_id, T0 + 2000),
        event("unfollow", account.line_user_id, T0 + 1000),
        event("follow", account.line_user_id, T0),
    )
    account.refresh_from_db()
    assert account.friendship == Friendship.FRIEND
    assert account.friendship_checked_at == at(T0 + 2000)


def test_a_status_checked_at_login_beats_an_older_event(client, line_account_factory):
    account = line_account_factory(
        friendship=Friendship.NOT_FRIEND, friendship_checked_at=django_timezone.now()
    )
    send(client, event("follow", account.line_user_id, T0))  # from 2024
    account.refresh_from_db()
    assert account.friendship == Friendship.NOT_FRIEND


def test_other_events_and_sources_are_ignored(client, line_account_factory):
    account = line_account_factory()
    message = {**event("follow", account.line_user_id), "type": "message"}
    group = {
        **event("unfollow", account.line_user_id),
        "source": {"type": "group", "groupId": "C1"},
    }
    broken = {**event("follow", account.line_user_id), "timestamp": "yesterday"}
    assert send(client, message, group, broken, "not an event").status_code == 200
    account.refresh_from_db()
    assert account.friendship == Friendship.UNKNOWN
    assert not WebhookEvent.objects.exists()


HOSTILE_EVENTS = {
    "type a list": {"type": ["follow"]},
    "type an object": {"type": {"follow": 1}},
    "user ID with a lone surrogate": {"source": {"type": "user", "userId": "U\ud800"}},
    "user ID with NUL": {"source": {"type": "user", "userId": "U\x00" + "a" * 31}},
    "user ID too long": {"source": {"type": "user", "userId": "U" + "a" * 64}},
    "event ID with a lone surrogate": {"webhookEventId": "01HMQ\udfff"},
    "event ID with NUL": {"webhookEventId": "01HMQ\x00"},
    "event ID non-ASCII": {"webhookEventId": "01HMQ\u00e9"},
    "timestamp past datetime": {"timestamp": 2**62},
    "timestamp past float": {"timestamp": 10**400},
    "timestamp of year 9999": {"timestamp": 253_402_300_799_999},
}


@pytest.mark.parametrize("hostile", HOSTILE_EVENTS.values(), ids=HOSTILE_EVENTS.keys())
def test_a_signed_event_no_column_can_hold_is_skipped_and_the_rest_applied(client, line_account_factory,
                                                                           hostile):
    account = line_account_factory()
    good = event("follow", account.line_user_id)
    bad = {**event("unfollow", account.line_user_id, T0 + 1, event_id="01HMQGW40RZJPJM3BAD0000000"), **hostile}
    response = send(client, bad, good)
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.friendship == Friendship.FRIEND
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == [good["webhookEventId"]]
    assert not PendingFriendship.objects.exists()


@pytest.mark.parametrize("raw", [b"[" * 100_000 + b"]" * 100_000,
                                 b'{"events": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
                                 b'{"events": [1e999999]}' + b"\xff", b"\x00", b"9" * 10_000])
def test_a_signed_body_that_is_not_a_webhook_is_a_400_that_writes_nothing(client, raw):
    response = deliver(client, raw, signature(raw, SECRET))
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists() and not PendingFriendship.objects.exists()


def test_a_signed_body_that_is_not_a_webhook_leaves_a_warning_in_the_log(client, caplog):
    raw = b'{"destination": "U' + b"e" * 32 + b'"}'
    assert deliver(client, raw, signature(raw, SECRET)).status_code == 400
    warnings = [r.getMessage() for r in caplog.records if r.name == "line_auth.webhook" and r.levelname == "WARNING"]
    assert warnings == ["Refused a signed webhook request whose body is not a LINE webhook"]


def test_processed_ids_are_pruned_after_the_retention(client, settings, line_account_factory):
    settings.LINE_AUTH_WEBHOOK_EVENT_RETENTION = timedelta(days=1)
    WebhookEvent.objects.create(
        event_id="OLD", received_at=django_timezone.now() - timedelta(days=2)
    )
    WebhookEvent.objects.create(
        event_id="RECENT", received_at=django_timezone.now() - timedelta(hours=1)
    )
    send(client, event("follow", line_account_factory().line_user_id, event_id="NEW"))
    assert set(WebhookEvent.objects.values_list("event_id", flat=True)) == {"RECENT", "NEW"}


def test_statuses_awaiting_a_login_are_pruned_after_their_retention(client, settings):
    settings.LINE_AUTH_PENDING_FRIENDSHIP_RETENTION = timedelta(days=30)
    now = django_timezone.now()
    PendingFriendship.objects.create(line_user_id="U" + "1" * 32, friendship=Friendship.FRIEND,
                                     event_at=now - timedelta(days=31))
    PendingFriendship.objects.create(line_user_id="U" + "2" * 32, friendship=Friendship.FRIEND,
                                     event_at=now - timedelta(days=29))
    send(client, event("follow", "U" + "3" * 32))
    assert set(PendingFriendship.objects.values_list("line_user_id", flat=True)) == {
        "U" + "2" * 32, "U" + "3" * 32
    }


def test_receivers_of_deletes_still_hear_the_pruned_rows(client, settings, line_account_factory):
    """Pruning skips loading the rows only while nothing listens to their deletion."""
    settings.LINE_AUTH_WEBHOOK_EVENT_RETENTION = timedelta(days=1)
    WebhookEvent.objects.create(event_id="OLD", received_at=django_timezone.now() - timedelta(days=2))
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(instance.event_id)

    post_delete.connect(receiver, sender=WebhookEvent)
    try:
        send(client, event("follow", line_account_factory().line_user_id, event_id="NEW"))
    finally:
        post_delete.disconnect(receiver, sender=WebhookEvent)
    assert heard == ["OLD"]
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["NEW"]


def test_the_prune_command_prunes_without_a_delivery(settings):
    settings.LINE_AUTH_PENDING_FRIENDSHIP_RETENTION = 3600
    PendingFriendship.objects.create(line_user_id="U" + "1" * 32, friendship=Friendship.FRIEND,
                                     event_at=django_timezone.now() - timedelta(hours=2))
    WebhookEvent.objects.create(event_id="OLD", received_at=django_timezone.now() - timedelta(days=8))
    out = StringIO()
    call_command("line_auth_prune_webhook_records", stdout=out)
    assert "Deleted 1 processed webhook event IDs and 1 friendship statuses" in out.getvalue()
    assert not PendingFriendship.objects.exists() and not WebhookEvent.objects.exists()


# Users who have not logged in yet -------------------------------------------


def test_a_follow_before_the_first_login_is_applied_at_login_without_asking_line(
    login, client, line_emulator
):
    hanako = line_emulator.add_user(name="Hanako")
    send(client, event("follow", hanako.user_id, T0))
    send(client, event("unfollow", hanako.user_id, T0 - 1000))  # older, arrives late
    assert PendingFriendship.objects.get().friendship == Friendship.FRIEND
    assert not LineAccount.objects.exists()

    assert login(client, line_emulator, hanako).status_code == 302
    account = LineAccount.objects.get()
    assert account.friendship == Friendship.FRIEND
    assert account.friendship_source == FriendshipSource.WEBHOOK
    assert account.friendship_checked_at == at(T0)
    assert line_emulator.count_calls("/friendship/v1/status") == 0
    assert not PendingFriendship.objects.exists()
    change = FriendshipChange.objects.get()
    assert (change.previous, change.current, change.source) == (
        Friendship.UNKNOWN,
        Friendship.FRIEND,
        FriendshipSource.WEBHOOK,
    )


def test_line_saying_it_changed_at_login_still_asks_line(login, client, line_emulator):
    hanako = line_emulator.add_user()
    send(client, event("unfollow", hanako.user_id, T0))
    login(client, line_emulator, hanako, begin={"bot_prompt": "aggressive"}, add_friend=True)
    account = LineAccount.objects.get()
    assert account.friendship == Friendship.FRIEND
    assert account.friendship_source == FriendshipSource.LOGIN
    assert list(
        account.friendship_changes.order_by("event_at").values_list("current", "source")
    ) == [
        (Friendship.NOT_FRIEND, FriendshipSource.WEBHOOK),
        (Friendship.FRIEND, FriendshipSource.LOGIN),
    ]


def test_a_login_records_the_status_it_learned(login, client, line_emulator):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro, begin={"bot_prompt": "aggressive"}, add_friend=True)
    change = FriendshipChange.objects.get()
    assert (change.previous, change.current, change.source) == (
        Friendship.UNKNOWN,
        Friendship.FRIEND,
        FriendshipSource.LOGIN,
    )


# Scale ---------------------------------------------------------------------


def test_five_hundred_events_take_a_bounded_number_of_queries(
    client, line_account_factory, django_assert_max_num_queries
):
    linked = [line_account_factory().line_user_id for _ in range(250)]
    strangers = [f"U{index:032x}".replace("U0", "Uf", 1) for index in range(250)]
    events = [
        event("follow" if index % 3 else "unfollow", user_id, T0 + index, f"EV{index:06d}")
        for index, user_id in enumerate(linked + strangers)
    ]
    with django_assert_max_num_queries(20):
        assert send(client, *events).status_code == 200
    assert WebhookEvent.objects.count() == 500
    assert PendingFriendship.objects.count() == 250
    assert FriendshipChange.objects.count() == 250
    assert LineAccount.objects.filter(friendship=Friendship.FRIEND).count() == 166

    with django_assert_max_num_queries(5):  # all redelivered: one read, nothing to write
        send(client, *events)


def statements(client, *events: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert send(client, *events).status_code == 200
    return len(captured)


def mixed_deliveries(client, make_account, accounts: int, tag: str) -> tuple[int, int]:
    """Two bodies of follows, unfollows and redeliveries; the statements each took."""
    linked = [make_account().line_user_id for _ in range(accounts)]
    strangers = [f"U{tag}{index:031x}" for index in range(accounts)]
    first = []
    for n, user_id in enumerate(linked):  # each user: an unfollow, then its older follow
        first += [
            event("unfollow", user_id, T0 + 2 * n + 1, f"{tag}A{n}U"),
            event("follow", user_id, T0 + 2 * n, f"{tag}A{n}F"),
        ]
    first += [event("unfollow", user_id, T0 + 10_000, f"{tag}S{n}U") for n, user_id in enumerate(strangers)]
    one = statements(client, *first)

    second = [{**first[0], "deliveryContext": {"isRedelivery": True}}]  # applied already
    second += [event("follow", user_id, T0 + 20_000, f"{tag}B{n}F") for n, user_id in enumerate(linked[::2])]
    # Older than the unfollow the strangers' pending statuses hold: they lose.
    second += [event("follow", user_id, T0, f"{tag}S{n}F") for n, user_id in enumerate(strangers)]
    two = statements(client, *second)

    accounts_now = LineAccount.objects.filter(line_user_id__in=linked)
    assert set(accounts_now.filter(friendship=Friendship.FRIEND).values_list("line_user_id", flat=True)) == set(
        linked[::2]
    )
    assert set(accounts_now.filter(friendship=Friendship.NOT_FRIEND).values_list("line_user_id", flat=True)) == set(
        linked[1::2]
    )
    pending = PendingFriendship.objects.filter(line_user_id__in=strangers)
    assert dict(pending.values_list("line_user_id", "friendship")) == dict.fromkeys(strangers, Friendship.NOT_FRIEND)
    # unknown -> not a friend for every account, then not a friend -> friend for half.
    assert FriendshipChange.objects.filter(account__line_user_id__in=linked).count() == accounts + len(linked[::2])
    assert WebhookEvent.objects.filter(event_id__startswith=tag).count() == len(first) + len(second) - 1
    return one, two


def test_mixed_batches_end_right_in_as_many_statements_for_15_events_as_for_150(client, line_account_factory):
    few = mixed_deliveries(client, line_account_factory, 5, "a")
    many = mixed_deliveries(client, line_account_factory, 50, "b")
    assert many == few
    # PostgreSQL: BEGIN, claim the event IDs, lock the accounts, update them, upsert
    # the pending statuses, insert the history, two prunes, COMMIT.
    assert max(few) <= (9 if connection.vendor == "postgresql" else 12), few


@pytest.mark.postgres
@pytest.mark.skipif(os.environ.get("LINE_AUTH_TEST_DB") != "postgres", reason="needs PostgreSQL")
def test_five_hundred_events_on_postgres_take_one_statement_per_step(
    client, line_account_factory, django_assert_max_num_queries
):
    linked = [line_account_factory().line_user_id for _ in range(250)]
    events = [
        event("follow", user_id, T0 + index, f"PG{index:06d}")
        for index, user_id in enumerate(linked)
    ]
    # PostgreSQL has no parameter limit to split the bulk statements.
    with django_assert_max_num_queries(10):
        send(client, *events)
    assert LineAccount.objects.filter(friendship=Friendship.FRIEND).count() == 250


# System checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", [webhook_checks.webhook_secret_empty()]),
        ("0123456789abcdef0123456789abcdef", [webhook_checks.webhook_secret_is_login_secret()]),
        ("not-a-secret", [webhook_checks.webhook_secret_malformed()]),
        (SECRET.upper(), [webhook_checks.webhook_secret_malformed()]),
        (SECRET, []),
    ],
)
def test_the_webhook_secret_is_checked(settings, value, expected):
    settings.LINE_AUTH_WEBHOOK_SECRET = value
    assert webhook_checks.check_webhook_secret() == expected


def test_no_webhook_check_when_the_webhook_is_not_used(settings):
    del settings.LINE_AUTH_WEBHOOK_SECRET
    assert webhook_checks.check_webhook_secret() == []


# Which events are applied: the limits on user IDs, timestamps and event IDs. A malformed
# event is skipped (200, nothing written) rather than failing the delivery, because LINE
# would redeliver the whole batch, good events included.


def nothing_written() -> bool:
    return not (
        WebhookEvent.objects.exists() or PendingFriendship.objects.exists() or FriendshipChange.objects.exists()
    )


def pending_ids() -> list[str]:
    return list(PendingFriendship.objects.values_list("line_user_id", flat=True))


@pytest.mark.parametrize("length", [1, 33, 64])
def test_user_ids_up_to_64_characters_are_applied(client, length):
    user_id = "U" * length
    assert send(client, event("follow", user_id)).status_code == 200
    assert pending_ids() == [user_id]


@pytest.mark.parametrize("user_id", ["", "U" * 65, 12345, None])
def test_other_user_ids_are_skipped(client, user_id):
    assert send(client, event("follow", user_id)).status_code == 200
    assert nothing_written()


@pytest.mark.parametrize("source", ["U" + "a" * 32, ["userId"], None, 7])
def test_a_source_that_is_not_an_object_is_skipped(client, source):
    follow = event("follow", "U" + "a" * 32)
    follow["source"] = source
    assert send(client, follow).status_code == 200
    assert nothing_written()


def test_a_timestamp_of_zero_is_applied(client, line_account_factory):
    account = line_account_factory()
    assert send(client, event("follow", account.line_user_id, ms=0)).status_code == 200
    account.refresh_from_db()
    assert account.friendship == Friendship.FRIEND
    assert account.friendship_checked_at.timestamp() == 0


# 253_370_764_800_000 ms is 9999-01-01T00:00:00Z: from then on no timestamp is a real event.
@pytest.mark.parametrize("timestamp", [-1, True, 1.5, "1705891467176", None, 253_370_764_800_000])
def test_other_timestamps_are_skipped(client, timestamp):
    follow = event("follow", "U" + "a" * 32)
    follow["timestamp"] = timestamp
    assert send(client, follow).status_code == 200
    assert nothing_written()


@pytest.mark.parametrize("length", [1, 26, 64])
def test_event_ids_up_to_64_characters_are_applied(client, length):
    assert send(client, event("follow", "U" + "a" * 32, event_id="E" * length)).status_code == 200
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["E" * length]


@pytest.mark.parametrize("text", ['U"1', "U\\1", "U,1", "{U1}", "NULL", "U1}", "'U1'"])
def test_ids_with_any_visible_character_are_stored_as_sent(client, line_account_factory, text):
    """Quotes, backslashes, commas and braces are visible ASCII, so such IDs are applied; the
    batched SQL must store them as sent, beside ordinary ones."""
    account = line_account_factory(line_user_id=text)
    assert send(client, event("follow", text, event_id=text), event("follow", "U" + "a" * 32)).status_code == 200
    assert text in WebhookEvent.objects.values_list("event_id", flat=True)
    account.refresh_from_db()
    assert account.friendship == Friendship.FRIEND
    assert pending_ids() == ["U" + "a" * 32]


@pytest.mark.parametrize("event_id", ["", "E" * 65, 42, None])
def test_other_event_ids_are_skipped(client, event_id):
    follow = event("follow", "U" + "a" * 32)
    follow["webhookEventId"] = event_id
    assert send(client, follow).status_code == 200
    assert nothing_written()


def test_good_events_in_a_batch_with_bad_ones_are_applied(client, line_account_factory):
    account = line_account_factory()
    broken = event("follow", "", T0 + 1)
    assert send(client, broken, event("follow", account.line_user_id, T0)).status_code == 200
    assert LineAccount.objects.get().friendship == Friendship.FRIEND
    assert WebhookEvent.objects.count() == 1


def test_the_log_counts_friendship_events_and_new_ones(client, caplog):
    caplog.set_level(logging.DEBUG, logger="line_auth.webhook")
    follow = event("follow", "U" + "a" * 32)
    send(client, follow, event("message", "U" + "a" * 32))
    send(client, follow)
    assert send_raw(client, body(event("message", "U" + "a" * 32))).status_code == 200
    logged = [record.getMessage() for record in caplog.records if record.name == "line_auth.webhook"]
    assert logged == [
        "Webhook: 1 friendship events, 1 new",
        "Webhook: 1 friendship events, 0 new",
        "Webhook: 0 friendship events, 0 new",
    ]


def test_a_claimed_signature_that_is_not_text_is_refused_not_an_error():
    from line_auth.views.webhook import is_signed

    assert is_signed(VECTOR_BODY, "\ud800" + VECTOR_SIGNATURE[1:], SECRET) is False
    assert is_signed(VECTOR_BODY, VECTOR_SIGNATURE, SECRET) is True


def test_a_wrong_signature_leaves_a_warning_in_the_log(client, caplog):
    deliver(client, VECTOR_BODY, signature(VECTOR_BODY, "0" * 32))
    warnings = [r.getMessage() for r in caplog.records if r.name == "line_auth.webhook" and r.levelname == "WARNING"]
    assert warnings == ["Refused a webhook request with a wrong signature"]
