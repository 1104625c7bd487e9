"""Re-checking friendship through LINE's API: the command, the task and the admin action."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from line_auth import tasks
from line_auth.client import LineClient
from line_auth.friendship.status import store_status
from line_auth.friendship.sync import sync_friendships
from line_auth.management.commands.line_auth_sync_friendships import Command as SyncCommand
from line_auth.models import Friendship, FriendshipChange, FriendshipSource, LineAccount

pytestmark = pytest.mark.django_db
FRIENDSHIP = "/friendship/v1/status"
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY


@pytest.fixture
def linked(line_emulator, line_account_factory):
    """A linked account holding a real emulator token; ``friend`` sets the emulator's truth."""

    def make(friend: bool = False, **fields):
        user = line_emulator.add_user()
        line_emulator.set_friend(user.user_id, CHANNEL, friend)
        tokens = line_emulator.issue_tokens(user, CHANNEL)
        fields.setdefault("access_token", tokens["access_token"])
        fields.setdefault("access_token_expires_at", timezone.now() + timedelta(days=30))
        return line_account_factory(line_user_id=user.user_id, **fields)

    return make


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("line_auth_sync_friendships", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_stale_and_unknown_statuses_are_rechecked(linked, line_emulator):
    long_ago = timezone.now() - timedelta(days=30)
    stale_friend = linked(
        friend=True, friendship=Friendship.NOT_FRIEND, friendship_checked_at=long_ago
    )
    unknown = linked(friend=False)
    fresh = linked(
        friend=True, friendship=Friendship.NOT_FRIEND, friendship_checked_at=timezone.now()
    )

    out, err = run()

    assert (
        "Checked 2 of 2 accounts: 2 changed, 0 failed, 0 skipped" in out
    )  # unknown -> known is a change
    assert "2/2 checked" in err
    assert line_emulator.count_calls(FRIENDSHIP) == 2
    for account, expected in (
        (stale_friend, Friendship.FRIEND),
        (unknown, Friendship.NOT_FRIEND),
        (fresh, Friendship.NOT_FRIEND),
    ):
        account.refresh_from_db()
        assert account.friendship == expected
    assert stale_friend.friendship_source == FriendshipSource.SYNC
    assert unknown.friendship_checked_at > long_ago
    change = FriendshipChange.objects.get(account=stale_friend)
    assert (change.previous, change.current, change.source) == (
        Friendship.NOT_FRIEND,
        Friendship.FRIEND,
        FriendshipSource.SYNC,
    )


def test_a_second_run_has_nothing_left_to_do(linked, line_emulator):
    for _ in range(3):
        linked(friend=True)
    run()
    line_emulator.reset_calls()
    out, _ = run()
    assert "Checked 0 of 0 accounts" in out
    assert line_emulator.count_calls(FRIENDSHIP) == 0
    assert FriendshipChange.objects.count() == 3


def test_older_than_chooses_what_is_stale(linked, line_emulator):
    linked(friend=True, friendship_checked_at=timezone.now() - timedelta(hours=2))
    out, _ = run("--older-than", "PT3H")
    assert "Checked 0 of 0" in out
    out, _ = run("--older-than", "3600")
    assert "Checked 1 of 1 account:" in out
    out, _ = run("--older-than", "0")  # zero means everything, not the default
    assert "Checked 1 of 1 account:" in out


def test_a_bad_duration_is_a_usage_error():
    with pytest.raises(CommandError):
        run("--older-than", "soon")


def test_help_is_shown_in_the_active_language():
    with translation.override("ja"):
        text = SyncCommand().create_parser("manage.py", "line_auth_sync_friendships").format_help()
    assert "友だち状態が古くなったアカウントについて" in text  # the description
    assert "これより古い状態を再確認します" in text  # --older-than


def test_accounts_without_a_usable_token_are_skipped_and_counted(linked, line_emulator):
    linked(access_token="")
    linked(access_token_expires_at=timezone.now() - timedelta(minutes=1))
    linked(needs_relogin=True)
    linked(friend=True)
    out, _ = run()
    assert "Checked 1 of 1 account: 1 changed, 0 failed, 3 skipped" in out
    assert line_emulator.count_calls(FRIENDSHIP) == 1


def test_failures_are_counted_and_make_the_command_fail(linked, line_emulator, settings):
    settings.LINE_AUTH_REQUESTS_RETRIES = 0
    linked(friend=True)
    linked(friend=True)
    line_emulator.fail_next(FRIENDSHIP, status=500, body='{"message":"oops"}')
    out = StringIO()
    with pytest.raises(CommandError, match="1 check failed"):
        call_command("line_auth_sync_friendships", stdout=out, stderr=StringIO())
    assert "Checked 1 of 2 accounts: 1 changed, 1 failed" in out.getvalue()
    run()  # the failed account is still stale, so a re-run picks it up
    assert LineAccount.objects.filter(friendship=Friendship.FRIEND).count() == 2


def test_calls_to_line_run_in_parallel_up_to_the_worker_limit(parallel_probe, linked, monkeypatch):
    accounts = [linked(friend=True) for _ in range(12)]
    probe = parallel_probe(LineClient.get_friendship, together=3)
    monkeypatch.setattr(LineClient, "get_friendship", lambda client, token: probe(client, token))
    report = sync_friendships(LineAccount.objects.all(), source=FriendshipSource.SYNC, workers=3)
    assert report.checked == len(accounts) and report.failed == 0  # three calls met at once
    assert probe.peak == 3


def test_a_newer_webhook_status_wins_over_a_slower_api_answer(linked):
    account = linked()
    asked_at = timezone.now()
    store_status(
        account.pk, Friendship.NOT_FRIEND, FriendshipSource.WEBHOOK, asked_at + timedelta(seconds=1)
    )
    assert store_status(account.pk, Friendship.FRIEND, FriendshipSource.SYNC, asked_at) is None
    account.refresh_from_db()
    assert (account.friendship, account.friendship_source) == (
        Friendship.NOT_FRIEND,
        FriendshipSource.WEBHOOK,
    )


def test_the_task_runs_in_process_without_a_task_engine(linked, line_emulator):
    linked(friend=True)
    assert tasks.sync_friendships.call(older_than_seconds=0) == {
        "chunks": 1,
        "total": 1,
        "checked": 1,
        "changed": 1,
        "skipped": 0,
        "failed": 0,
    }


def test_the_admin_action_rechecks_the_selected_accounts_now(
    linked, client, django_user_model, line_emulator
):
    admin = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    chosen = linked(
        friend=True, friendship=Friendship.NOT_FRIEND, friendship_checked_at=timezone.now()
    )
    other = linked(friend=True)
    no_token = linked(access_token="")
    response = client.post(
        "/admin/line_auth/lineaccount/",
        {"action": "recheck_friendship", "_selected_action": [chosen.pk, no_token.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Checked 1 account: 1 changed." in html
    assert "Skipped 1 account without a usable access token" in html
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert (chosen.friendship, chosen.friendship_source) == (
        Friendship.FRIEND,
        FriendshipSource.API,
    )
    assert other.friendship == Friendship.UNKNOWN
    assert line_emulator.count_calls(FRIENDSHIP) == 1


def test_a_token_about_to_expire_is_skipped_like_the_refresh_would_renew_it(linked, line_emulator):
    # One rule with tokens.get_access_token: a token within five minutes of its expiry is not sent.
    linked(friend=True, access_token_expires_at=timezone.now() + timedelta(minutes=2))
    fresh = linked(friend=True)

    out, _ = run()

    assert "Checked 1 of 1 account: 1 changed, 0 failed, 1 skipped" in out
    assert line_emulator.count_calls(FRIENDSHIP) == 1
    assert LineAccount.objects.get(friendship=Friendship.FRIEND).pk == fresh.pk


def test_progress_is_reported_once_more_when_the_run_ends(linked):
    linked(friend=True)
    reports = []
    sync_friendships(
        LineAccount.objects.all(),
        source=FriendshipSource.SYNC,
        workers=2,
        progress=lambda report: reports.append((report.checked, report.total)),
    )
    assert reports[-1] == (1, 1)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sync_line_friendships", "line_auth_sync_friendships"),
        ("refresh_line_tokens", "line_auth_refresh_tokens"),
        ("prune_line_webhook_records", "line_auth_prune_webhook_records"),
    ],
)
def test_old_command_names_warn_then_do_the_same_work(line_emulator, old, new):
    outputs = {}
    for name in (new, old):
        out, err = StringIO(), StringIO()
        call_command(name, stdout=out, stderr=err)
        outputs[name] = (out.getvalue(), err.getvalue())
    assert outputs[old][0] == outputs[new][0]
    assert outputs[old][1] == (
        f"{old} is deprecated and will be removed in the next release; use {new}.\n" + outputs[new][1]
    )
    assert "deprecated" not in outputs[new][1]
