"""line_auth.tasks in one process: each task written once, registered on the task framework and
Celery, queued on the engine the site names, its batch work cut into chunks that can run twice."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from line_auth import tasks
from line_auth.internal import background, batch
from line_auth.models import Friendship, FriendshipSource, LineAccount, PendingFriendship, WebhookEvent

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"
FRIENDSHIP = "/friendship/v1/status"
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DOCUMENTED = {
    "line_auth.refresh_line_account",
    "line_auth.refresh_due_line_tokens",
    "line_auth.sync_friendships",
    "line_auth.run_batch_chunk",
    "line_auth.check_friendship",
    "line_auth.prune_webhook_records",
    "line_auth.prune_audit",
    "line_auth.retry_deauthorizations",
    "line_auth.roll_up_figures",
}
ALL_TASKS = [
    tasks.refresh_line_account,
    tasks.refresh_due_line_tokens,
    tasks.sync_friendships,
    tasks.run_batch_chunk,
    tasks.check_friendship,
    tasks.prune_webhook_records,
    tasks.prune_audit,
    tasks.retry_deauthorizations,
    tasks.roll_up_figures,
]


@pytest.fixture
def queued(settings):
    """Django's task framework with a backend that keeps what is enqueued, unrun."""
    settings.TASKS = DUMMY
    settings.LINE_AUTH_TASK_ENGINE = "django"
    backend = tasks.run_batch_chunk.get_backend()
    backend.clear()
    return backend.results


def test_the_documented_task_names_are_the_modules():
    assert tasks.TASK_NAMES == DOCUMENTED
    assert {background.name_of(task) for task in ALL_TASKS} == DOCUMENTED


@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda task: task.name)
def test_a_task_framework_worker_finds_each_task_by_its_path(task):
    assert import_string(task.module_path) is task


def test_without_an_engine_the_refresh_runs_here_chunk_by_chunk(
    settings, linked_account, line_emulator, line_account_factory
):
    settings.LINE_AUTH_BATCH_CHUNK_SIZE = 2
    due = [linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1)) for _ in range(3)]
    later = linked_account(line_emulator, line_account_factory)

    assert tasks.refresh_due_line_tokens.call() == {"chunks": 2, "refreshed": 3}
    for account in due:
        assert LineAccount.objects.get(pk=account.pk).access_token != account.access_token
    assert LineAccount.objects.get(pk=later.pk).access_token == later.access_token
    assert line_emulator.count_calls(TOKEN) == 3


def test_with_the_task_framework_each_chunk_is_its_own_task(
    queued, settings, linked_account, line_emulator, line_account_factory
):
    settings.LINE_AUTH_BATCH_CHUNK_SIZE = 2
    due = [linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1)) for _ in range(5)]

    assert tasks.refresh_due_line_tokens.call() == {"chunks": 3}
    assert line_emulator.count_calls(TOKEN) == 0  # queued, not run
    pks = [account.pk for account in due]
    assert [result.args for result in queued] == [
        ["refresh_tokens", pks[0], pks[1], {"window": None, "channel": None}],
        ["refresh_tokens", pks[2], pks[3], {"window": None, "channel": None}],
        ["refresh_tokens", pks[4], pks[4], {"window": None, "channel": None}],
    ]
    for result in queued:
        assert result.task.func is tasks.run_batch_chunk.func
        tasks.run_batch_chunk.call(*result.args)
    assert line_emulator.count_calls(TOKEN) == 5
    assert all(LineAccount.objects.get(pk=a.pk).access_token != a.access_token for a in due)


def test_a_chunk_run_again_asks_line_about_nothing_already_done(
    linked_account, line_emulator, line_account_factory
):
    due = [linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1)) for _ in range(3)]
    chunk = ("refresh_tokens", due[0].pk, due[-1].pk, {"window": None})

    assert tasks.run_batch_chunk.call(*chunk) == {"refreshed": 3}
    assert tasks.run_batch_chunk.call(*chunk) == {}
    assert line_emulator.count_calls(TOKEN) == 3


def test_a_chunk_line_could_not_answer_raises_so_it_is_tried_again(
    linked_account, line_emulator, line_account_factory
):
    account = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    line_emulator.fail_next(TOKEN, status=503, times=3)
    with pytest.raises(tasks.RefreshPostponed):
        tasks.run_batch_chunk.call("refresh_tokens", account.pk, account.pk, {"window": None})
    stored = LineAccount.objects.get()
    assert stored.refresh_token == account.refresh_token and not stored.needs_relogin
    assert tasks.run_batch_chunk.call("refresh_tokens", account.pk, account.pk, {"window": None}) == {
        "refreshed": 1
    }


def test_the_friendship_sync_is_chunked_the_same_way(
    queued, settings, linked_account, line_emulator, line_account_factory
):
    settings.LINE_AUTH_BATCH_CHUNK_SIZE = 1
    stale = [
        linked_account(line_emulator, line_account_factory, friendship_checked_at=timezone.now() - timedelta(days=30))
        for _ in range(2)
    ]
    line_emulator.set_friend(stale[1].line_user_id, django_settings.SOCIAL_AUTH_LINE_KEY, True)

    assert tasks.sync_friendships.call(older_than_seconds=24 * 3600) == {"chunks": 2}
    for result in queued:
        tasks.run_batch_chunk.call(*result.args)
    assert [LineAccount.objects.get(pk=a.pk).friendship for a in stale] == [Friendship.NOT_FRIEND, Friendship.FRIEND]
    assert line_emulator.count_calls(FRIENDSHIP) == 2


def test_a_new_batch_job_plugs_into_the_same_chunks(queued, settings, line_account_factory):
    """The generic machinery: any job registered by name gets chunked, queued and run."""
    settings.LINE_AUTH_BATCH_CHUNK_SIZE = 2
    accounts = [line_account_factory() for _ in range(3)]
    ran: list[list[int]] = []

    def mark(rows):
        ran.append(sorted(rows.values_list("pk", flat=True)))
        return {"seen": len(ran[-1])}

    batch.register(batch.Job("test_mark", lambda: LineAccount.objects.all(), mark))
    try:
        assert tasks.start_job("test_mark") == {"chunks": 2}
        for result in queued:
            assert tasks.run_batch_chunk.call(*result.args)["seen"] > 0
    finally:
        del batch.JOBS["test_mark"]
    assert ran == [[accounts[0].pk, accounts[1].pk], [accounts[2].pk]]


def test_celery_keeps_a_chunk_until_it_is_done_and_retries_it_from_a_minute():
    pytest.importorskip("celery")
    for name in (tasks.RUN_CHUNK, tasks.REFRESH_ACCOUNT):
        celery_task = background.CELERY_TASKS[name]
        assert celery_task.autoretry_for == (tasks.RefreshPostponed,)
        assert (celery_task.retry_backoff, celery_task.retry_jitter, celery_task.max_retries) == (60, False, 3)
        assert celery_task.acks_late and celery_task.reject_on_worker_lost


def test_every_documented_task_is_registered_by_celery_autodiscovery():
    """In a fresh interpreter, as a worker starts: only what autodiscovery imports counts."""
    pytest.importorskip("celery")
    script = (
        "import json, django; django.setup();"
        "from tests.celery_app import app; app.loader.import_default_modules();"
        "print(json.dumps(sorted(name for name in app.tasks if name.startswith('line_auth.'))))"
    )
    root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(root)}
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, env=environment,
        check=True, timeout=120,
    )
    assert set(__import__("json").loads(result.stdout.strip().splitlines()[-1])) == DOCUMENTED


def test_on_celery_the_engine_sends_the_task_by_its_name(settings, monkeypatch):
    pytest.importorskip("celery")
    settings.LINE_AUTH_TASK_ENGINE = "celery"
    sent = []
    monkeypatch.setattr(
        background.CELERY_TASKS[tasks.CHECK_FRIENDSHIP], "apply_async", lambda args, kwargs: sent.append(args)
    )
    tasks.enqueue_friendship_check(42)
    assert sent == [(42,)]


def test_a_login_with_a_task_engine_leaves_the_friendship_call_to_a_task(
    queued, settings, client, login, line_emulator, django_capture_on_commit_callbacks
):
    settings.LINE_AUTH_FETCH_FRIENDSHIP = True
    user = line_emulator.add_user()
    line_emulator.set_friend(user.user_id, django_settings.SOCIAL_AUTH_LINE_KEY, True)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, line_emulator, user)
    assert response.status_code == 302
    assert line_emulator.count_calls(FRIENDSHIP) == 0  # not during the request
    account = LineAccount.objects.get()
    assert account.friendship == Friendship.UNKNOWN
    (result,) = queued
    assert (result.task.func, result.args) == (tasks.check_friendship.func, [account.pk])

    assert tasks.check_friendship.call(*result.args) == "changed"
    account.refresh_from_db()
    assert (account.friendship, account.friendship_source) == (Friendship.FRIEND, FriendshipSource.LOGIN)
    assert line_emulator.count_calls(FRIENDSHIP) == 1


def test_a_login_without_a_task_engine_asks_during_the_request(settings, client, login, line_emulator):
    settings.LINE_AUTH_FETCH_FRIENDSHIP = True
    user = line_emulator.add_user()
    line_emulator.set_friend(user.user_id, django_settings.SOCIAL_AUTH_LINE_KEY, True)
    login(client, line_emulator, user)
    assert LineAccount.objects.get().friendship == Friendship.FRIEND


def test_prune_keeps_recent_records_and_deletes_old_ones(settings):
    settings.LINE_AUTH_PENDING_FRIENDSHIP_RETENTION = timedelta(days=30)
    settings.LINE_AUTH_WEBHOOK_EVENT_RETENTION = timedelta(days=7)
    now = timezone.now()
    PendingFriendship.objects.create(line_user_id="U" + "1" * 32, friendship=Friendship.FRIEND,
                                     event_at=now - timedelta(days=31))
    kept = PendingFriendship.objects.create(line_user_id="U" + "2" * 32, friendship=Friendship.FRIEND,
                                            event_at=now - timedelta(days=29))
    WebhookEvent.objects.create(event_id="old", received_at=now - timedelta(days=8))
    WebhookEvent.objects.create(event_id="new", received_at=now - timedelta(days=6))

    assert tasks.prune_webhook_records.call() == {"webhook_events": 1, "pending_friendships": 1}
    assert list(PendingFriendship.objects.all()) == [kept]
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["new"]
