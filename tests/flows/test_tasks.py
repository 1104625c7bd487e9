"""line_auth.tasks with and without Celery: the same functions, registered when Celery is there."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from line_auth import tasks
from line_auth.models import Friendship, LineAccount, PendingFriendship, WebhookEvent

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"
DOCUMENTED = {
    "line_auth.refresh_line_account",
    "line_auth.refresh_due_line_tokens",
    "line_auth.sync_friendships",
    "line_auth.prune_webhook_records",
    "line_auth.prune_audit",
    "line_auth.retry_deauthorizations",
    "line_auth.roll_up_figures",
}


@pytest.fixture
def without_celery(monkeypatch):
    """A separate copy of line_auth.tasks, imported as where Celery is not installed.

    A copy, not a reload: Celery keeps the first registration of each task name.
    """
    monkeypatch.setitem(sys.modules, "celery", None)  # makes "import celery" fail
    spec = importlib.util.spec_from_file_location("line_auth_tasks_without_celery", tasks.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_task_names_are_the_modules(without_celery):
    assert without_celery.TASK_NAMES == DOCUMENTED


def test_without_celery_every_task_is_a_plain_function_that_works(
    linked_account, without_celery, line_emulator, line_account_factory
):
    due = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    linked_account(line_emulator, line_account_factory)  # not due
    assert without_celery.shared_task is None
    assert not hasattr(without_celery.refresh_due_line_tokens, "delay")

    assert without_celery.refresh_due_line_tokens() == 1  # refreshed here, nothing queued
    assert LineAccount.objects.get(pk=due.pk).access_token != due.access_token
    assert without_celery.refresh_line_account(10**9) == "skipped"
    assert without_celery.sync_friendships(older_than_seconds=0)["checked"] == 2
    assert without_celery.prune_webhook_records() == {"webhook_events": 0, "pending_friendships": 0}
    assert without_celery.prune_audit() == 0


def test_a_refresh_line_cannot_answer_raises_so_celery_retries(linked_account, line_emulator, line_account_factory):
    account = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    line_emulator.fail_next(TOKEN, status=503, times=3)
    with pytest.raises(tasks.RefreshPostponed):
        tasks.refresh_line_account(account.pk)
    stored = LineAccount.objects.get()
    assert stored.refresh_token == account.refresh_token and not stored.needs_relogin


def test_with_celery_the_retry_backs_off_from_a_minute_doubling_three_times():
    pytest.importorskip("celery")
    celery_task = tasks.refresh_line_account
    assert celery_task.autoretry_for == (tasks.RefreshPostponed,)
    assert (celery_task.retry_backoff, celery_task.retry_jitter, celery_task.max_retries) == (60, False, 3)


def test_every_documented_task_is_registered_by_autodiscovery():
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
    assert set(json.loads(result.stdout.strip().splitlines()[-1])) == DOCUMENTED


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

    assert tasks.prune_webhook_records() == {"webhook_events": 1, "pending_friendships": 1}
    assert list(PendingFriendship.objects.all()) == [kept]
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["new"]
