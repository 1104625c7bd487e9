"""Real worker processes on PostgreSQL: ``manage.py db_worker`` (django-tasks-db) running every
task, and Celery workers, against the LINE emulator served on loopback, sharing the request
budget through Redis; workers killed with SIGKILL mid-chunk lose no account and repeat none.

The workers are separate processes, so they need a database other processes can open:
these tests run with ``LINE_AUTH_TEST_DB=postgres`` (the SQLite test database lives in
this process's memory) and are skipped otherwise. Without Redis they are skipped unless
``LINE_AUTH_REQUIRE_REDIS=1`` (set by CI) makes that a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from line_auth import tasks
from line_auth.internal import leases
from line_auth.models import Friendship, FriendshipSource, LineAccount, WebhookEvent
from line_auth.testing.recording import mask
from line_auth.tokens import REFRESH_LEASE

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "/oauth2/v2.1/token"
FRIENDSHIP = "/friendship/v1/status"
CHANNEL = django_settings.SOCIAL_AUTH_LINE_KEY
WORKER_TIMEOUT = 120  # a safety net only: a worker run takes a few seconds


def unavailable(reason: str) -> None:
    if os.environ.get("LINE_AUTH_REQUIRE_REDIS") == "1":
        pytest.fail(f"{reason} (LINE_AUTH_REQUIRE_REDIS=1)")
    pytest.skip(reason)


@pytest.fixture
def worker_env(settings, line_emulator_server):
    """What a worker process needs, and this process set up to queue on the database backend."""
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a database they can open: run with LINE_AUTH_TEST_DB=postgres")
    import redis

    cache_url = os.environ.get("LINE_AUTH_TEST_REDIS", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(cache_url, socket_connect_timeout=2).flushdb()
    except (redis.RedisError, OSError):
        unavailable(f"Redis does not answer at {cache_url}")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.LINE_AUTH_TASK_ENGINE = "django"
    settings.LINE_AUTH_ACCESS_BASE_URL = settings.LINE_AUTH_API_BASE_URL = line_emulator_server.url
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "PYTHONPATH": str(ROOT),
        "LINE_AUTH_WORKER_DATABASE": connection.settings_dict["NAME"],
        "LINE_AUTH_WORKER_LINE_URL": line_emulator_server.url,
        "LINE_AUTH_WORKER_CACHE": cache_url,
    }


def worker_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "django", "db_worker", "--no-startup-delay", "--no-reload",
            "--interval", "0.05", *options]


def run_worker(env: dict[str, str], **overrides: str) -> None:
    """One worker process that runs every task queued (and every task those queue), then exits."""
    subprocess.run(worker_command("--batch"), env={**env, **overrides}, cwd=ROOT, check=True,  # noqa: S603
                   timeout=WORKER_TIMEOUT, capture_output=True)


def task_statuses() -> list[tuple[str, str]]:
    from django_tasks_db.models import DBTaskResult

    return sorted(DBTaskResult.objects.values_list("task_path", "status"))


def refreshes_of(emulator, account: LineAccount) -> int:
    """Calls LINE answered with this account's refresh token (which a refresh keeps)."""
    wanted = ("refresh_token", mask(account.refresh_token))
    return sum(1 for call in emulator.calls if call.path == TOKEN and wanted in call.body)


def wait_for_lease(account: LineAccount) -> None:
    """Block until no worker holds the account's refresh lease (its answer is committed, or
    its worker is gone): taking the lock waits for exactly that, then gives it back."""
    key = leases.namespace_key(REFRESH_LEASE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [key, account.pk % leases.ROW_KEY_MODULUS])
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [key, account.pk % leases.ROW_KEY_MODULUS])


def due_accounts(server, linked_account, line_account_factory, count: int) -> list[LineAccount]:
    return [linked_account(server.emulator, line_account_factory, expires_in=timedelta(hours=1))
            for _ in range(count)]


def test_every_task_runs_on_db_worker_processes(
    worker_env, line_emulator_server, linked_account, line_account_factory, access_token_lifetime
):
    emulator = line_emulator_server.emulator
    due = due_accounts(line_emulator_server, linked_account, line_account_factory, 3)
    later = linked_account(emulator, line_account_factory, friendship_checked_at=timezone.now())
    emulator.set_friend(due[0].line_user_id, CHANNEL, True)
    WebhookEvent.objects.create(event_id="old", received_at=timezone.now() - timedelta(days=30))

    before = timezone.now()
    tasks.refresh_due_line_tokens.enqueue()
    tasks.sync_friendships.enqueue(older_than_seconds=24 * 3600)
    tasks.prune_webhook_records.enqueue()
    tasks.refresh_line_account.enqueue(later.pk)
    run_worker(worker_env, LINE_AUTH_BATCH_CHUNK_SIZE="2")
    after = timezone.now()

    paths = [path for path, status in task_statuses() if status == "SUCCESSFUL"]
    assert len(paths) == len(task_statuses()) == 8  # 4 queued here, 2 + 2 chunks queued by workers
    assert paths.count("line_auth.tasks.run_batch_chunk") == 4
    for account in [*due, later]:
        stored = LineAccount.objects.get(pk=account.pk)
        assert before + access_token_lifetime <= stored.access_token_expires_at <= after + access_token_lifetime
        assert refreshes_of(emulator, account) == 1
    assert LineAccount.objects.get(pk=due[0].pk).friendship == Friendship.FRIEND
    assert emulator.count_calls(FRIENDSHIP) == 3  # the stale accounts; ``later`` was just checked
    assert not WebhookEvent.objects.exists()


def test_a_login_friendship_check_runs_on_a_worker_after_the_response(
    worker_env, settings, line_emulator_server, client, login
):
    settings.LINE_AUTH_FETCH_FRIENDSHIP = True
    emulator = line_emulator_server.emulator
    user = emulator.add_user()
    emulator.set_friend(user.user_id, CHANNEL, True)

    assert login(client, emulator, user).status_code == 302
    assert emulator.count_calls(FRIENDSHIP) == 0
    assert LineAccount.objects.get().friendship == Friendship.UNKNOWN

    run_worker(worker_env)
    assert task_statuses() == [("line_auth.tasks.check_friendship", "SUCCESSFUL")]
    account = LineAccount.objects.get()
    assert (account.friendship, account.friendship_source) == (Friendship.FRIEND, FriendshipSource.LOGIN)
    assert emulator.count_calls(FRIENDSHIP) == 1


def test_a_worker_killed_mid_chunk_loses_no_account_and_refreshes_none_twice(
    worker_env, line_emulator_server, linked_account, line_account_factory
):
    emulator = line_emulator_server.emulator
    accounts = due_accounts(line_emulator_server, linked_account, line_account_factory, 6)
    # The first two refreshes go straight through; the third stops at LINE, unanswered.
    for _ in range(2):
        emulator.hold_next(TOKEN).release()
    third = emulator.hold_next(TOKEN)
    tasks.refresh_due_line_tokens.enqueue()
    first = subprocess.Popen(worker_command(), env={**worker_env, "LINE_AUTH_BATCH_CONCURRENCY": "1"},  # noqa: S603
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        third.wait_for_arrival(WORKER_TIMEOUT)
        for answered in accounts[:2]:
            wait_for_lease(answered)  # committed, and its lease given up
        first.send_signal(signal.SIGKILL)
        first.wait(WORKER_TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()
    wait_for_lease(accounts[2])  # the dead worker's connection has closed
    assert [refreshes_of(emulator, account) for account in accounts] == [1, 1, 0, 0, 0, 0]

    # The killed worker's chunk never finishes; the next scheduled run queues what is still due.
    tasks.refresh_due_line_tokens.enqueue()
    run_worker(worker_env)

    assert [refreshes_of(emulator, account) for account in accounts] == [1] * 6
    for account in accounts:
        assert LineAccount.objects.get(pk=account.pk).access_token != account.access_token
    assert ("line_auth.tasks.run_batch_chunk", "RUNNING") in task_statuses()  # the lost one


def test_two_workers_on_one_chunk_never_ask_about_the_same_account(
    worker_env, line_emulator_server, linked_account, line_account_factory
):
    emulator = line_emulator_server.emulator
    accounts = due_accounts(line_emulator_server, linked_account, line_account_factory, 4)
    held = emulator.hold_next(TOKEN)
    chunk = ("refresh_tokens", accounts[0].pk, accounts[-1].pk, {"window": None})
    tasks.run_batch_chunk.enqueue(*chunk)
    first = subprocess.Popen(worker_command("--batch"), env={**worker_env, "LINE_AUTH_BATCH_CONCURRENCY": "1"},  # noqa: S603
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        held.wait_for_arrival(WORKER_TIMEOUT)  # the first worker holds the chunk's leases
        tasks.run_batch_chunk.enqueue(*chunk)  # the same chunk again: a retry, a redelivery
        run_worker(worker_env)
        assert [refreshes_of(emulator, account) for account in accounts] == [0] * 4
        held.release()
        first.wait(WORKER_TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()

    assert [refreshes_of(emulator, account) for account in accounts] == [1] * 4
    assert task_statuses() == [("line_auth.tasks.run_batch_chunk", "SUCCESSFUL")] * 2


def test_a_celery_worker_killed_mid_chunk_hands_it_to_the_next_which_does_only_the_rest(
    worker_env, settings, line_emulator_server, linked_account, line_account_factory
):
    pytest.importorskip("celery")
    from line_auth.internal.background import CELERY_TASKS
    from tests.celery_app import app

    emulator = line_emulator_server.emulator
    accounts = due_accounts(line_emulator_server, linked_account, line_account_factory, 4)
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}_processes"
    env = {**worker_env, "LINE_AUTH_WORKER_ENGINE": "celery", "LINE_AUTH_WORKER_QUEUE": queue,
           "LINE_AUTH_BATCH_CONCURRENCY": "1", "LINE_AUTH_WORKER_REDELIVER_AFTER": "1"}
    # A thread pool, as prefork does, acknowledges from the main loop while the task runs: with
    # the solo pool an early acknowledgement would wait behind the task and hide its loss.
    command = [sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker", "--pool", "threads",
               "--concurrency", "1", "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle",
               "--without-heartbeat", "--loglevel", "WARNING", "-Q", queue]
    with app.connection_for_write() as connection_:
        connection_.default_channel.queue_purge(queue)
    emulator.hold_next(TOKEN).release()
    second = emulator.hold_next(TOKEN)  # the first worker dies while LINE holds this one
    for _ in range(2):
        emulator.hold_next(TOKEN).release()
    last = emulator.hold_next(TOKEN)  # the next worker's third and last call
    CELERY_TASKS[tasks.RUN_CHUNK].apply_async(
        ("refresh_tokens", accounts[0].pk, accounts[-1].pk, {"window": None}), queue=queue
    )
    workers = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,  # noqa: S603
                                stderr=subprocess.DEVNULL)]
    try:
        second.wait_for_arrival(WORKER_TIMEOUT)
        wait_for_lease(accounts[0])
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(WORKER_TIMEOUT)
        wait_for_lease(accounts[1])
        assert [refreshes_of(emulator, account) for account in accounts] == [1, 0, 0, 0]

        # Unacknowledged, the chunk goes to the next worker once the visibility timeout passes.
        workers.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=subprocess.DEVNULL))
        last.wait_for_arrival(WORKER_TIMEOUT)
        last.release()
        wait_for_lease(accounts[-1])
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait(WORKER_TIMEOUT)
        with app.connection_for_write() as connection_:
            connection_.default_channel.queue_delete(queue)

    assert [refreshes_of(emulator, account) for account in accounts] == [1] * 4
    for account in accounts:
        assert LineAccount.objects.get(pk=account.pk).access_token != account.access_token
