"""A user's data: the export (no token or secret anywhere), the erasure (nothing left behind),
their commands, admin actions and the example site's "delete my account" page."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from social_django.models import UserSocialAuth

from line_auth import privacy
from line_auth.models import (
    REFRESH_TOKEN_LIFETIME,
    Deauthorization,
    Friendship,
    FriendshipChange,
    FriendshipSource,
    LineAccount,
    PendingFriendship,
)

pytestmark = pytest.mark.django_db

DEAUTHORIZE = "/user/v1/deauthorize"
ACCOUNTS = "/admin/line_auth/lineaccount/"
USERS = "/admin/auth/user/"
NOTICE = "we notify LY Corporation"
EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"


@pytest.fixture
def linked_user(line_emulator, user_factory, line_account_factory):
    """A user with two LINE links holding live tokens, friendship history and a pending status."""

    def make():
        user = user_factory(password="pw-123456")
        accounts = []
        for _ in range(2):
            line_user = line_emulator.add_user()
            issued = line_emulator.issue_tokens(line_user, django_settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
            account = line_account_factory(
                user=user,
                line_user_id=line_user.user_id,
                access_token=issued["access_token"],
                refresh_token=issued["refresh_token"],
                access_token_expires_at=timezone.now() + timedelta(days=30),
                refresh_token_expires_at=timezone.now() + REFRESH_TOKEN_LIFETIME,
                email="taro@example.com",
            )
            UserSocialAuth.objects.create(
                user=user, provider="line", uid=line_user.user_id, extra_data={"access_token": issued["access_token"]}
            )
            FriendshipChange.objects.create(
                account=account, previous=Friendship.UNKNOWN, current=Friendship.FRIEND,
                source=FriendshipSource.WEBHOOK, event_at=timezone.now(),
            )
            accounts.append(account)
        PendingFriendship.objects.create(
            line_user_id=accounts[0].line_user_id, friendship=Friendship.NOT_FRIEND, event_at=timezone.now()
        )
        return user, accounts

    return make


def secrets_of(accounts):
    values = {django_settings.SOCIAL_AUTH_LINE_SECRET}
    for account in accounts:
        values |= {account.access_token, account.refresh_token}
    return values


def test_the_export_holds_the_users_data_and_no_token(linked_user, line_emulator):
    user, accounts = linked_user()
    line_emulator.fail_next(DEAUTHORIZE, status=500, times=3)
    from line_auth import deauthorization

    earlier = accounts[1]
    assert deauthorization.unlink(earlier) == "queued"  # a link ended while LINE was down

    data = privacy.export_user_data(user)
    text = json.dumps(data)

    assert data["user"] == {"pk": user.pk, "username": user.username}
    [account] = data["line_accounts"]
    assert account["line_user_id"] == accounts[0].line_user_id and account["email"] == "taro@example.com"
    assert [change["current"] for change in account["friendship_history"]] == ["friend"]
    assert [row["line_user_id"] for row in data["pending_friendships"]] == [accounts[0].line_user_id]
    [queued] = data["deauthorizations"]
    assert (queued["line_user_id"], queued["status"]) == (earlier.line_user_id, "pending")
    assert [row["uid"] for row in data["social_auth"]] == [accounts[0].line_user_id]
    assert data["audit_records"] == []
    for secret in secrets_of(accounts):
        assert secret not in text
    assert "token\":" not in text.replace("expires_at", "")  # no token field of any name
    assert "extra_data" not in text


def rows_about(user_pk, line_user_ids):
    """Every row of every line_auth model (and social-auth) naming the user or one of their LINE IDs."""
    found = []
    for model in apps.get_app_config("line_auth").get_models():
        names = {field.name for field in model._meta.get_fields()}
        if "user" in names:
            found += list(model.objects.filter(user_id=user_pk))
        if "line_user_id" in names:
            found += list(model.objects.filter(line_user_id__in=line_user_ids))
        if "account" in names:
            found += list(model.objects.filter(account__line_user_id__in=line_user_ids))
    found += list(UserSocialAuth.objects.filter(user_id=user_pk))
    found += list(UserSocialAuth.objects.filter(uid__in=line_user_ids))
    return found


def test_erasure_deauthorizes_and_leaves_nothing_behind(linked_user, line_emulator):
    user, accounts = linked_user()
    ids = [account.line_user_id for account in accounts]
    line_emulator.reset_calls()

    report = privacy.erase_user_data(user)

    assert report.deauthorizations == {"done": 2}
    assert (report.friendship_changes, report.pending_friendships) == (2, 1)
    assert line_emulator.count_calls(DEAUTHORIZE) == 2
    assert rows_about(user.pk, ids) == []
    assert get_user_model().objects.filter(pk=user.pk).exists()  # the user is the site's to delete


def test_erasure_while_line_is_down_keeps_an_anonymous_queued_row_that_completes(linked_user, line_emulator):
    user, accounts = linked_user()
    ids = [account.line_user_id for account in accounts]
    line_emulator.fail_next(DEAUTHORIZE, status=500, times=6)

    report = privacy.erase_user_data(user)

    assert report.deauthorizations == {"queued": 2}
    assert rows_about(user.pk, ids) == []
    rows = list(Deauthorization.objects.all())
    assert [(row.user_id, row.line_user_id, row.reason) for row in rows] == [(None, "", "erasure")] * 2

    from line_auth import deauthorization

    later = timezone.now() + timedelta(days=1)
    assert deauthorization.retry_due(clock=lambda: later) == {"done": 2}


def test_erasure_removes_rows_of_earlier_links(linked_user, line_emulator):
    user, accounts = linked_user()
    from line_auth import deauthorization

    line_emulator.fail_next(DEAUTHORIZE, status=500, times=3)
    deauthorization.unlink(accounts[0])
    deauthorization.unlink(accounts[1])  # LINE is back: done at once, nothing queued
    Deauthorization.objects.create(user=user, line_user_id=accounts[1].line_user_id, channel_id="1",
                                   reason="unlink", status="failed")

    report = privacy.erase_user_data(user)

    assert (report.anonymized_deauthorizations, report.settled_deauthorizations) == (1, 1)
    assert rows_about(user.pk, [a.line_user_id for a in accounts]) == []


def test_the_commands_find_the_user_by_pk_or_username(linked_user):
    user, accounts = linked_user()
    out = io.StringIO()
    call_command("line_auth_export_user", user.username, stdout=out)
    assert json.loads(out.getvalue())["user"]["pk"] == user.pk
    out = io.StringIO()
    call_command("line_auth_export_user", str(user.pk), stdout=out)
    exported = out.getvalue()
    assert len(json.loads(exported)["line_accounts"]) == 2
    for secret in secrets_of(accounts):
        assert secret not in exported

    with pytest.raises(CommandError):
        call_command("line_auth_export_user", "nobody")

    out = io.StringIO()
    call_command("line_auth_erase_user", user.username, interactive=False, stdout=out)
    assert json.loads(out.getvalue())["accounts"] == 2
    assert not LineAccount.objects.exists()


def test_the_erase_command_asks_first(linked_user, monkeypatch):
    user, _ = linked_user()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError):
        call_command("line_auth_erase_user", user.username)
    assert LineAccount.objects.count() == 2


def test_admin_exports_and_erases_from_the_line_accounts(linked_user, admin_client):
    user, accounts = linked_user()
    selected = {"_selected_action": [accounts[0].pk]}

    export = admin_client.post(ACCOUNTS, {"action": "export_user_data", **selected})
    assert export["Content-Disposition"].startswith("attachment;")
    [exported] = json.loads(export.content)["users"]
    assert exported["user"]["pk"] == user.pk
    for secret in secrets_of(accounts):
        assert secret not in export.content.decode()

    confirm = admin_client.post(ACCOUNTS, {"action": "erase_user_data", **selected})
    assert confirm.status_code == 200 and NOTICE in confirm.content.decode()
    assert LineAccount.objects.count() == 2

    done = admin_client.post(ACCOUNTS, {"action": "erase_user_data", "post": "yes", **selected})
    assert done.status_code == 302
    assert not LineAccount.objects.exists()  # both of the user's links, not only the one selected


def test_admin_exports_and_erases_from_the_user_admin(linked_user, admin_client):
    user, _ = linked_user()
    selected = {"_selected_action": [user.pk]}
    export = admin_client.post(USERS, {"action": "export_line_data", **selected})
    assert json.loads(export.content)["users"][0]["user"]["username"] == user.username
    assert admin_client.post(USERS, {"action": "erase_line_data", "post": "yes", **selected}).status_code == 302
    assert not LineAccount.objects.exists()


@pytest.fixture
def example_site(settings):
    settings.ROOT_URLCONF = "example_project.example_project.urls"
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [EXAMPLE / "templates"]}]


def test_the_example_sites_delete_my_account_page(example_site, linked_user, line_emulator, client):
    user, accounts = linked_user()
    client.force_login(user)
    assert NOTICE in client.get("/account/").content.decode()
    page = client.get("/account/delete/")
    assert page.status_code == 200 and NOTICE in page.content.decode()
    line_emulator.reset_calls()

    response = client.post("/account/delete/")

    assert response.status_code == 302 and response["Location"] == "/"
    assert line_emulator.count_calls(DEAUTHORIZE) == 2
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert rows_about(user.pk, [a.line_user_id for a in accounts]) == []
    assert "_auth_user_id" not in client.session


def test_the_example_sites_sign_up_terms_carry_the_notice(example_site, client):
    page = client.get("/").content.decode()
    assert NOTICE in page and "By logging in you accept our terms." in page
