"""Every line_auth task run end to end by a real Celery worker, through Redis, against the emulator.

The worker runs in a thread of this process (``celery.contrib.testing.worker``): it
shares the in-process LINE emulator and, with a transactional test database, sees
the rows the test commits (a worker in another process could reach neither). Tasks
travel through the Redis broker exactly as in production. Without Redis on this
machine the module is skipped; ``LINE_AUTH_REQUIRE_REDIS=1`` (set by CI) turns the
skip into a failure.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from line_auth import tasks
from line_auth.internal.background import CELERY_TASKS
from line_auth.models import Friendship, FriendshipSource, LineAccount, PendingFriendship, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "/oauth2/v2.1/token"
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY
MINUTE = timedelta(minutes=1)
FINISH_TIMEOUT = 60  # a safety net only: tasks finish in well under a second


def unavailable(reason: str) -> None:
    if os.environ.get("LINE_AUTH_REQUIRE_REDIS") == "1":
        pytest.fail(f"{reason} (LINE_AUTH_REQUIRE_REDIS=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def celery_app():
    try:
        import redis
        from celery.contrib.testing.worker import start_worker
    except ImportError:
        unavailable("celery and redis are not installed (pip install -e '.[test]')")
    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError):
        unavailable(f"Redis does not answer at {settings.CELERY_BROKER_URL}")

    from tests.celery_app import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield app
    with app.connection_for_write() as connection:
        connection.default_channel.queue_delete(app.conf.task_default_queue)


class Finished:
    """Task ends seen by the worker (``task_postrun``), waited for without polling."""

    def __init__(self) -> None:
        self.states: list[tuple[str, str]] = []
        self.changed = threading.Condition()

    def record(self, sender=None, state=None, **kwargs) -> None:
        with self.changed:
            self.states.append((sender.name, state))
            self.changed.notify_all()

    def wait_for(self, **expected: int) -> Counter:
        """Wait until each task name (dots as ``__``) has ended the given number of times."""
        wanted = {name.replace("__", "."): count for name, count in expected.items()}

        def done() -> bool:
            ended = Counter(name for name, _ in self.states)
            return all(ended[name] >= count for name, count in wanted.items())

        with self.changed:
            assert self.changed.wait_for(done, timeout=FINISH_TIMEOUT), self.states
        return Counter(self.states)


@pytest.fixture
def finished(celery_app, settings):
    from celery.signals import task_postrun

    settings.LINE_AUTH_TASK_ENGINE = "celery"  # what line_auth queues goes to Celery too

    seen = Finished()
    task_postrun.connect(seen.record, weak=False)
    yield seen
    task_postrun.disconnect(seen.record)


def test_refresh_due_line_tokens_fans_out_one_chunk_task_per_chunk_of_due_accounts(
    access_token_lifetime, linked_account, finished, line_emulator, line_account_factory, settings
):
    settings.LINE_AUTH_BATCH_CHUNK_SIZE = 2
    due = [linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1)) for _ in range(3)]
    later = linked_account(line_emulator, line_account_factory)

    before = timezone.now()
    CELERY_TASKS[tasks.REFRESH_DUE].delay()
    states = finished.wait_for(line_auth__refresh_due_line_tokens=1, line_auth__run_batch_chunk=2)
    after = timezone.now()

    assert states[("line_auth.run_batch_chunk", "SUCCESS")] == 2
    for account in due:
        stored = LineAccount.objects.get(pk=account.pk)
        assert stored.access_token != account.access_token
        assert before + access_token_lifetime <= stored.access_token_expires_at <= after + access_token_lifetime
    assert LineAccount.objects.get(pk=later.pk).access_token == later.access_token
    assert line_emulator.count_calls(TOKEN) == 3


def test_a_chunk_line_could_not_answer_is_retried_a_minute_later(
    linked_account, finished, line_emulator, line_account_factory
):
    account = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    line_emulator.fail_next(TOKEN, status=503, times=3)
    eta = published_retry(lambda: CELERY_TASKS[tasks.RUN_CHUNK].delay(
        "refresh_tokens", account.pk, account.pk, {"window": None}), finished, "line_auth__run_batch_chunk")
    assert eta
    stored = LineAccount.objects.get()
    assert stored.refresh_token == account.refresh_token and not stored.needs_relogin


def published_retry(send, finished, name: str) -> bool:
    """Send a task that fails once; whether its retry was published a minute after the failure."""
    from celery.signals import before_task_publish

    retries = []

    def published(sender=None, headers=None, **kwargs):
        if headers.get("retries"):
            retries.append((headers["retries"], datetime.fromisoformat(headers["eta"]), timezone.now()))

    before_task_publish.connect(published, weak=False)
    try:
        asked_at = timezone.now()
        send()
        states = finished.wait_for(**{name: 1})
    finally:
        before_task_publish.disconnect(published)
    assert states == Counter({(name.replace("__", "."), "RETRY"): 1})
    (attempt, eta, published_at), = retries
    # Exactly a minute after the retry was decided, which happened between these two moments.
    return attempt == 1 and asked_at + MINUTE <= eta <= published_at + MINUTE


def test_refresh_line_account_is_retried_a_minute_later_while_line_is_down(
    linked_account, finished, line_emulator, line_account_factory
):
    account = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    line_emulator.fail_next(TOKEN, status=503, times=3)
    assert published_retry(lambda: CELERY_TASKS[tasks.REFRESH_ACCOUNT].delay(account.pk), finished,
                           "line_auth__refresh_line_account")
    stored = LineAccount.objects.get()
    assert stored.refresh_token == account.refresh_token and not stored.needs_relogin


def test_sync_friendships_records_what_line_says(linked_account, finished, line_emulator, line_account_factory):
    stale = linked_account(line_emulator, line_account_factory, friendship=Friendship.NOT_FRIEND,
                           friendship_checked_at=timezone.now() - timedelta(days=30))
    line_emulator.set_friend(stale.line_user_id, CHANNEL, True)

    CELERY_TASKS[tasks.SYNC_FRIENDSHIPS].delay(older_than_seconds=24 * 3600)
    states = finished.wait_for(line_auth__sync_friendships=1, line_auth__run_batch_chunk=1)

    assert states[("line_auth.run_batch_chunk", "SUCCESS")] == 1
    stored = LineAccount.objects.get()
    assert (stored.friendship, stored.friendship_source) == (Friendship.FRIEND, FriendshipSource.SYNC)


def test_prune_webhook_records_deletes_only_what_is_past_retention(finished, settings):
    settings.LINE_AUTH_PENDING_FRIENDSHIP_RETENTION = timedelta(days=30)
    now = timezone.now()
    PendingFriendship.objects.create(line_user_id="U" + "1" * 32, friendship=Friendship.FRIEND,
                                     event_at=now - timedelta(days=31))
    PendingFriendship.objects.create(line_user_id="U" + "2" * 32, friendship=Friendship.FRIEND,
                                     event_at=now - timedelta(days=1))
    WebhookEvent.objects.create(event_id="old", received_at=now - timedelta(days=30))

    CELERY_TASKS[tasks.PRUNE_WEBHOOK_RECORDS].delay()
    states = finished.wait_for(line_auth__prune_webhook_records=1)

    assert states[("line_auth.prune_webhook_records", "SUCCESS")] == 1
    assert list(PendingFriendship.objects.values_list("line_user_id", flat=True)) == ["U" + "2" * 32]
    assert not WebhookEvent.objects.exists()


def test_a_login_friendship_check_runs_on_the_worker_after_the_response(
    settings, client, login, finished, line_emulator
):
    from django.db import connection

    if connection.vendor == "sqlite":
        # The request's own writes after its commit (the audit trail) and the worker thread's
        # share SQLite's in-memory database, which locks a table instead of waiting for it.
        pytest.skip("needs a database that waits for locks; tests/flows/test_worker_processes.py covers it too")
    settings.LINE_AUTH_FETCH_FRIENDSHIP = True
    user = line_emulator.add_user()
    line_emulator.set_friend(user.user_id, CHANNEL, True)

    assert login(client, line_emulator, user).status_code == 302
    states = finished.wait_for(line_auth__check_friendship=1)

    assert states[("line_auth.check_friendship", "SUCCESS")] == 1
    stored = LineAccount.objects.get()
    assert (stored.friendship, stored.friendship_source) == (Friendship.FRIEND, FriendshipSource.LOGIN)
    assert line_emulator.count_calls("/friendship/v1/status") == 1
