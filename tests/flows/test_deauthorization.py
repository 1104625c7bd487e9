"""Every way out of a LINE link deauthorizes the app at LINE, with the account's own channel.

LINE down: the link still goes and the deauthorization is queued (tokens encrypted),
then a retry run completes it; an expired token is refreshed first; a grant LINE
says is gone counts as done; after the last attempt a row is failed for good.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from social_django.models import UserSocialAuth

from line_auth import deauthorization, privacy, tasks
from line_auth.deauthorization import Outcome
from line_auth.exceptions import LineAPIError
from line_auth.internal.token_state import USE_MARGIN
from line_auth.models import (
    REFRESH_TOKEN_LIFETIME,
    Deauthorization,
    DeauthorizationReason,
    DeauthorizationStatus,
    LineAccount,
)
from line_auth.testing.recording import mask

pytestmark = pytest.mark.django_db

SHOP_ID = "2000000001"
SHOP_SECRET = "fedcba9876543210fedcba9876543210"
CHANNEL_TOKEN = "/oauth2/v3/token"
DEAUTHORIZE = "/user/v1/deauthorize"
REFRESH = "/oauth2/v2.1/token"
CHANGELIST = "/admin/line_auth/lineaccount/"


@pytest.fixture
def shop(settings, line_emulator):
    """A second channel the site has, so "the account's own channel" is not the default one."""
    settings.LINE_AUTH_CHANNELS = {"shop": {"CHANNEL_ID": SHOP_ID, "CHANNEL_SECRET": SHOP_SECRET}}
    settings.LINE_AUTH_REQUESTS_RETRIES = 0  # "LINE down" is one failed call, not three
    line_emulator.add_channel(SHOP_ID, SHOP_SECRET)
    return line_emulator


@pytest.fixture
def shop_account(shop, user_factory, line_account_factory):
    """A LINE account linked on the shop channel, holding live tokens; its user has a password."""

    def make(expires_in=timedelta(days=30), user=None):
        line_user = shop.add_user()
        issued = shop.issue_tokens(line_user, SHOP_ID, scope="profile")
        now = timezone.now()
        account = line_account_factory(
            user=user or user_factory(password="pw-123456"),
            channel_id=SHOP_ID,
            line_user_id=line_user.user_id,
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            access_token_expires_at=now + expires_in,
            refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
        )
        UserSocialAuth.objects.create(user=account.user, provider="line", uid=account.line_user_id)
        return account

    return make


def assert_deauthorized_with_shop(emulator, access_token):
    """LINE got a shop channel token (shop's ID and secret) and, with it, the user's token: 204."""
    [issue] = [call for call in emulator.calls if call.path == CHANNEL_TOKEN]
    assert issue.sent("client_id") == SHOP_ID
    assert issue.sent("client_secret") == mask(SHOP_SECRET)
    [deauthorize] = [call for call in emulator.calls if call.path == DEAUTHORIZE]
    assert deauthorize.sent("userAccessToken") == mask(access_token)
    assert deauthorize.sent("authorization", "headers").startswith("Bearer masked:")
    # The emulator answers 204 only when the channel token is the user token's channel's.
    assert deauthorize.status == 204


def assert_gone(account):
    assert not LineAccount.objects.filter(pk=account.pk).exists()
    assert not UserSocialAuth.objects.filter(provider="line", uid=account.line_user_id).exists()


def unlink_on_account_page(account):
    client = Client()
    client.force_login(account.user)
    response = client.post("/accounts/line/disconnect/", {"account": account.pk})
    assert response.status_code == 302


def admin_client_for(django_user_model):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-admin-1")
    client = Client()
    client.force_login(admin)
    return client


def admin_disconnect(account):
    client = admin_client_for(get_user_model())
    response = client.post(
        CHANGELIST, {"action": "disconnect_accounts", "_selected_action": [account.pk], "post": "yes"}
    )
    assert response.status_code == 302


def admin_delete_button(account):
    client = admin_client_for(get_user_model())
    assert client.post(f"{CHANGELIST}{account.pk}/delete/", {"post": "yes"}).status_code == 302


def admin_delete_selected(account):
    client = admin_client_for(get_user_model())
    response = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [account.pk], "post": "yes"}
    )
    assert response.status_code == 302


def delete_the_user(account):
    account.user.delete()


def erase(account):
    privacy.erase_user_data(account.user)


@pytest.mark.parametrize(
    "way_out",
    [unlink_on_account_page, admin_disconnect, admin_delete_button, admin_delete_selected, delete_the_user, erase],
)
def test_every_way_out_deauthorizes_with_the_accounts_own_channel(way_out, shop_account, shop):
    account = shop_account()
    shop.reset_calls()

    way_out(account)

    assert_deauthorized_with_shop(shop, account.access_token)
    assert_gone(account)
    assert Deauthorization.objects.count() == 0  # nothing left to retry


def test_an_expired_token_is_refreshed_with_the_channel_then_deauthorized(shop_account, shop):
    account = shop_account(expires_in=timedelta(minutes=-1))
    shop.reset_calls()

    assert deauthorization.unlink(account) is Outcome.DONE

    assert [call.path for call in shop.calls] == [REFRESH, CHANNEL_TOKEN, DEAUTHORIZE]
    refresh = shop.calls[0]
    assert refresh.sent("client_id") == SHOP_ID and refresh.sent("client_secret") == mask(SHOP_SECRET)
    assert refresh.sent("refresh_token") == mask(account.refresh_token)
    assert shop.calls[-1].status == 204


def test_a_grant_already_gone_counts_as_done(shop_account, shop):
    account = shop_account()
    shop.platform.deauthorize(account.line_user_id, SHOP_ID)  # the user removed the app in LINE

    assert deauthorization.unlink(account) is Outcome.GONE

    assert_gone(account)
    assert Deauthorization.objects.count() == 0


def stored_column(pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM line_auth_deauthorization WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_line_down_queues_then_the_retry_run_completes_it(shop_account, shop):
    account = shop_account()
    access_token = account.access_token
    shop.fail_next(DEAUTHORIZE, status=503)
    unlink_on_account_page(account)

    assert_gone(account)  # the link went at once
    row = Deauthorization.objects.get()
    assert (row.status, row.attempts, row.last_error, row.channel_id) == ("pending", 1, "http_503", SHOP_ID)
    assert row.user == account.user and row.line_user_id == account.line_user_id
    assert access_token not in stored_column(row.pk, "access_token")  # encrypted at rest
    assert row.access_token == access_token

    assert deauthorization.retry_due() == {}  # not due yet
    shop.reset_calls()
    later = row.next_attempt_at + timedelta(seconds=1)
    assert deauthorization.retry_due(clock=lambda: later) == {Outcome.DONE: 1}

    assert_deauthorized_with_shop(shop, access_token)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.access_token, row.refresh_token) == ("done", 2, "", "")
    assert row.finished_at == later


def test_a_queued_grant_found_gone_is_done(shop_account, shop):
    account = shop_account()
    shop.fail_next(DEAUTHORIZE, status=500)
    assert deauthorization.unlink(account) is Outcome.QUEUED
    shop.platform.deauthorize(account.line_user_id, SHOP_ID)

    far = timezone.now() + timedelta(days=2)
    assert deauthorization.retry_due(clock=lambda: far) == {Outcome.GONE: 1}
    row = Deauthorization.objects.get()
    assert (row.status, row.last_error) == ("done", "invalid_token")


def test_back_off_doubles_and_the_last_attempt_fails_for_good(shop_account, shop, settings):
    settings.LINE_AUTH_DEAUTHORIZE_RETRY_DELAY = 60
    settings.LINE_AUTH_DEAUTHORIZE_MAX_ATTEMPTS = 3
    account = shop_account()
    shop.fail_next(CHANNEL_TOKEN, kind="connection_refused", times=3)
    before = timezone.now()
    assert deauthorization.unlink(account) is Outcome.QUEUED
    row = Deauthorization.objects.get()
    assert before + timedelta(seconds=60) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=60)
    assert row.last_error == "line_unavailable"

    second = row.next_attempt_at
    assert deauthorization.retry_due(clock=lambda: second) == {Outcome.QUEUED: 1}
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, second + timedelta(seconds=120))

    third = row.next_attempt_at
    assert deauthorization.retry_due(clock=lambda: third - timedelta(seconds=1)) == {}
    assert deauthorization.retry_due(clock=lambda: third) == {Outcome.FAILED: 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at, row.access_token) == ("failed", 3, None, "")
    assert row.finished_at == third
    assert deauthorization.retry_due(clock=lambda: third + timedelta(days=9)) == {}


def test_an_expired_queued_token_is_refreshed_before_the_retry(shop_account, shop):
    account = shop_account(expires_in=timedelta(minutes=-1))
    shop.fail_next(REFRESH, status=500)
    assert deauthorization.unlink(account) is Outcome.QUEUED
    row = Deauthorization.objects.get()
    assert row.last_error == "refresh_failed" and row.refresh_token == account.refresh_token

    shop.reset_calls()
    assert deauthorization.retry_due(clock=lambda: timezone.now() + timedelta(days=1)) == {Outcome.DONE: 1}
    assert [call.path for call in shop.calls] == [REFRESH, CHANNEL_TOKEN, DEAUTHORIZE]


def test_deleting_a_user_while_line_is_down_queues_a_row_pointing_at_no_one(shop_account, shop):
    account = shop_account()
    shop.fail_next(DEAUTHORIZE, status=500)
    account.user.delete()
    row = Deauthorization.objects.get()
    assert (row.user, row.line_user_id, row.reason) == (None, account.line_user_id, "user_deleted")
    assert not get_user_model().objects.filter(pk=account.user_id).exists()


def test_deauthorize_on_delete_can_be_turned_off(shop_account, shop, settings):
    settings.LINE_AUTH_DEAUTHORIZE_ON_DELETE = False
    account = shop_account()
    shop.reset_calls()
    account.user.delete()
    assert shop.calls == []


def test_an_account_without_tokens_is_unlinked_without_asking_line(shop, line_account_factory):
    account = line_account_factory(channel_id=SHOP_ID, needs_relogin=True)
    assert deauthorization.unlink(account) is Outcome.NO_TOKEN
    assert shop.calls == [] and Deauthorization.objects.count() == 0


def test_the_command_and_the_task_run_the_retries(shop_account, shop):
    for _ in range(2):
        shop.fail_next(DEAUTHORIZE, status=500)
        deauthorization.unlink(shop_account())
    Deauthorization.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    first = Deauthorization.objects.order_by("pk").first()
    Deauthorization.objects.exclude(pk=first.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    call_command("line_auth_retry_deauthorizations")
    assert Deauthorization.objects.get(pk=first.pk).status == DeauthorizationStatus.DONE

    Deauthorization.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert tasks.retry_deauthorizations.call() == {"done": 1}
    assert set(Deauthorization.objects.values_list("status", flat=True)) == {"done"}


def test_the_wait_doubles_up_to_a_day(settings):
    settings.LINE_AUTH_DEAUTHORIZE_RETRY_DELAY = timedelta(minutes=5)
    assert [deauthorization.backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)
    ]
    assert deauthorization.backoff(30) == timedelta(days=1)


def test_a_token_refreshed_by_a_failed_retry_is_kept_for_the_next(shop_account, shop):
    account = shop_account(expires_in=timedelta(minutes=-1))
    shop.fail_next(REFRESH, status=500)
    deauthorization.unlink(account)
    shop.fail_next(DEAUTHORIZE, status=500)
    now = timezone.now() + timedelta(days=1)

    assert deauthorization.retry_due(clock=lambda: now) == {Outcome.QUEUED: 1}

    row = Deauthorization.objects.get()
    [refresh] = [call for call in shop.calls if call.path == REFRESH and call.status == 200]
    assert row.access_token and row.access_token != account.access_token
    assert row.access_token_expires_at > now
    shop.reset_calls()
    assert deauthorization.retry_due(clock=lambda: row.next_attempt_at) == {Outcome.DONE: 1}
    assert [call.path for call in shop.calls] == [CHANNEL_TOKEN, DEAUTHORIZE]  # no second refresh


def test_wrong_channel_credentials_are_queued_with_lines_error_code(shop_account, shop, settings):
    account = shop_account()
    settings.LINE_AUTH_CHANNELS = {"shop": {"CHANNEL_ID": SHOP_ID, "CHANNEL_SECRET": "0" * 32}}
    assert deauthorization.unlink(account) is Outcome.QUEUED
    row = Deauthorization.objects.get()
    assert row.last_error == "invalid_request" and shop.count_calls(DEAUTHORIZE) == 0  # the emulator's answer


def test_a_channel_missing_from_the_settings_is_queued_until_it_is_back(shop_account, shop, settings):
    account = shop_account()
    settings.LINE_AUTH_CHANNELS = {}
    shop.reset_calls()
    assert deauthorization.unlink(account) is Outcome.QUEUED
    row = Deauthorization.objects.get()
    assert (row.last_error, row.access_token) == ("unknown_channel", account.access_token) and shop.calls == []

    settings.LINE_AUTH_CHANNELS = {"shop": {"CHANNEL_ID": SHOP_ID, "CHANNEL_SECRET": SHOP_SECRET}}
    later = timezone.now() + timedelta(days=1)  # the queued access token is still good: no refresh
    assert deauthorization.retry_due(clock=lambda: later) == {Outcome.DONE: 1}
    assert [call.path for call in shop.calls] == [CHANNEL_TOKEN, DEAUTHORIZE]


def test_a_run_takes_at_most_its_limit_and_the_most_overdue_first(shop_account, shop):
    for _ in range(3):
        shop.fail_next(DEAUTHORIZE, status=500)
        deauthorization.unlink(shop_account())
    rows = list(Deauthorization.objects.order_by("pk"))
    base = timezone.now()
    for offset, row in zip((1, 3, 2), rows, strict=True):
        Deauthorization.objects.filter(pk=row.pk).update(next_attempt_at=base - timedelta(minutes=offset))

    assert deauthorization.retry_due(clock=lambda: base, limit=1) == {Outcome.DONE: 1}
    assert Deauthorization.objects.get(pk=rows[1].pk).status == "done"  # queued second, due first
    assert Deauthorization.objects.filter(status="pending").count() == 2


def test_a_settled_row_is_not_tried_again(shop_account, shop):
    shop.fail_next(DEAUTHORIZE, status=500)
    deauthorization.unlink(shop_account())
    row = Deauthorization.objects.get()
    Deauthorization.objects.filter(pk=row.pk).update(status="failed")
    shop.reset_calls()
    assert deauthorization.retry(row.pk) is None and shop.calls == []


def test_a_queued_row_with_no_token_left_fails_for_good(shop_account, shop):
    shop.fail_next(DEAUTHORIZE, status=500)
    deauthorization.unlink(shop_account())
    Deauthorization.objects.update(access_token="", refresh_token="")
    later = timezone.now() + timedelta(days=1)
    assert deauthorization.retry_due(clock=lambda: later) == {Outcome.FAILED: 1}
    assert Deauthorization.objects.get().status == "failed"


def test_a_token_expiring_within_the_margin_is_refreshed_before_deauthorizing(shop_account, shop):
    account = shop_account()
    now = timezone.now()
    shop.reset_calls()

    result = deauthorization.attempt(SHOP_ID, account.access_token, now + USE_MARGIN, account.refresh_token, now)

    assert result.outcome is Outcome.DONE
    assert [call.path for call in shop.calls] == [REFRESH, CHANNEL_TOKEN, DEAUTHORIZE]


def test_a_grant_gone_before_its_expired_token_could_be_refreshed_counts_as_done(shop_account, shop):
    account = shop_account(expires_in=timedelta(minutes=-1))
    shop.fail_next(REFRESH, status=500)
    assert deauthorization.unlink(account) is Outcome.QUEUED
    shop.platform.deauthorize(account.line_user_id, SHOP_ID)  # LINE refuses the refresh token now

    later = timezone.now() + timedelta(days=1)
    assert deauthorization.retry_due(clock=lambda: later) == {Outcome.GONE: 1}

    row = Deauthorization.objects.get()
    assert (row.status, row.last_error) == ("done", "invalid_grant")
    assert shop.count_calls(DEAUTHORIZE) == 0


def test_erasing_a_user_while_line_is_down_queues_a_row_that_names_no_one(shop_account, shop):
    account = shop_account()
    shop.fail_next(DEAUTHORIZE, status=500)

    report = privacy.erase_user_data(account.user)

    row = Deauthorization.objects.get()
    assert (row.user, row.line_user_id, row.reason, row.status) == (None, "", "erasure", "pending")
    assert row.access_token == account.access_token  # still able to complete it
    assert report.deauthorizations == {Outcome.QUEUED: 1}
    assert report.anonymized_deauthorizations == 0  # it was never written with the user in it


def test_an_error_code_fits_the_admin_column():
    long_code = "e" * 80
    assert deauthorization.error_code(LineAPIError("refused", status_code=400, error=long_code)) == "e" * 64


def logged(caplog):
    return [record.getMessage() for record in caplog.records if record.name == "line_auth.deauthorization"]


def test_each_unlink_and_retry_is_logged_with_its_outcome_and_error_code(shop_account, shop, caplog):
    done, queued = shop_account(), shop_account()
    deauthorization.unlink(done)
    shop.fail_next(DEAUTHORIZE, status=503)
    deauthorization.unlink(queued, DeauthorizationReason.ADMIN)
    row = Deauthorization.objects.get()
    shop.fail_next(DEAUTHORIZE, status=503)
    deauthorization.retry_due(clock=lambda: row.next_attempt_at)

    assert logged(caplog) == [
        f"Unlinked LINE account {done.line_user_id} (unlink): deauthorization done ",
        f"Unlinked LINE account {queued.line_user_id} (admin): deauthorization queued http_503",
        f"Deauthorization {row.pk}: queued http_503 (attempt 2)",
    ]


@pytest.mark.postgres
@pytest.mark.skipif(os.environ.get("LINE_AUTH_TEST_DB") != "postgres", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_skips_a_row_the_first_is_retrying(shop_account, shop, second_while_first_at_line):
    """The first worker holds the row's lock while held at LINE; the second passes over the row
    at once (it does not wait), and LINE is asked once."""
    shop.fail_next(DEAUTHORIZE, status=500)
    deauthorization.unlink(shop_account())
    due = timezone.now() + timedelta(days=1)
    first, second = second_while_first_at_line(
        shop.hold_next(CHANNEL_TOKEN), lambda: deauthorization.retry_due(clock=lambda: due)
    )
    assert second == {}
    assert first == {Outcome.DONE: 1}
    assert shop.count_calls(DEAUTHORIZE) == 2  # the failed one at unlink, then the retry
