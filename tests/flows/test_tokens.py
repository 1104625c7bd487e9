"""The token lifecycle against the emulator: refresh, re-login, verify, revoke (deauthorizing: test_deauthorization)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from line_auth import channels, signals, tokens
from line_auth.models import LineAccount
from line_auth.tokens import Outcome

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"
VERIFY = "/oauth2/v2.1/verify"


@pytest.fixture
def account(linked_account, line_emulator, line_account_factory):
    return linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))


@pytest.fixture
def relogins():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.line_relogin_needed.connect(receiver)
    yield received
    signals.line_relogin_needed.disconnect(receiver)


def test_refresh_gets_a_new_access_token_and_keeps_the_refresh_token_and_its_deadline(
    access_token_lifetime, account, line_emulator
):
    old_access, refresh_token = account.access_token, account.refresh_token
    deadline = account.refresh_token_expires_at

    before = timezone.now()
    assert tokens.refresh(account) is Outcome.REFRESHED
    after = timezone.now()

    stored = LineAccount.objects.get()
    assert stored.access_token != old_access
    assert stored.refresh_token == refresh_token
    assert stored.refresh_token_expires_at == deadline
    assert before + access_token_lifetime <= stored.access_token_expires_at <= after + access_token_lifetime
    assert tokens.verify(stored).valid
    assert account.access_token == stored.access_token  # the caller's instance is updated too


def test_due_for_refresh_takes_only_tokens_inside_the_window(
    linked_account, line_emulator, line_account_factory, settings
):
    soon = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=2))
    linked_account(line_emulator, line_account_factory, expires_in=timedelta(days=20))
    linked_account(
        line_emulator, line_account_factory, expires_in=timedelta(hours=1), needs_relogin=True
    )
    settings.LINE_AUTH_REFRESH_WINDOW = 24 * 3600
    assert list(tokens.due_for_refresh()) == [soon]
    settings.LINE_AUTH_REFRESH_WINDOW = 30 * 24 * 3600
    assert tokens.due_for_refresh().count() == 2


def test_a_passed_deadline_needs_a_relogin_without_asking_line(
    account, line_emulator, relogins, django_capture_on_commit_callbacks
):
    LineAccount.objects.filter(pk=account.pk).update(
        refresh_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    account.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert tokens.refresh(account) is Outcome.RELOGIN
    assert line_emulator.count_calls(TOKEN) == 0
    stored = LineAccount.objects.get()
    assert stored.needs_relogin and not stored.access_token and not stored.refresh_token
    assert [kwargs["reason"] for kwargs in relogins] == ["expired"]


def test_invalid_grant_needs_a_relogin_once_and_never_loops(
    account, line_emulator, relogins, django_capture_on_commit_callbacks
):
    line_emulator.advance(91 * 24 * 3600)  # LINE's 90 days are over; the site's clock disagrees
    with django_capture_on_commit_callbacks(execute=True):
        assert tokens.refresh(account) is Outcome.RELOGIN
    assert line_emulator.count_calls(TOKEN) == 1
    assert relogins == [
        {"signal": signals.line_relogin_needed, "line_account": account, "reason": "invalid_grant"}
    ]
    assert "token" not in " ".join(relogins[0])

    assert tokens.get_access_token(account) is None
    assert tokens.due_for_refresh().count() == 0
    assert line_emulator.count_calls(TOKEN) == 1


def test_a_transient_failure_keeps_the_tokens_for_the_next_run(account, line_emulator, retry_pauses):
    line_emulator.fail_next(TOKEN, status=503, times=3)
    assert tokens.refresh(account) is Outcome.FAILED
    assert line_emulator.count_calls(TOKEN) == 3  # the client retried the idempotent refresh
    # ... after pauses that double, with jitter (0.5x to 1.5x of 0.2 s, then of 0.4 s)
    first, second = retry_pauses
    assert 0.1 <= first < 0.3 and 0.2 <= second < 0.6
    stored = LineAccount.objects.get()
    assert not stored.needs_relogin and stored.refresh_token == account.refresh_token
    assert tokens.refresh(stored) is Outcome.REFRESHED


def test_a_result_for_an_account_changed_meanwhile_is_not_written(account, line_emulator):
    result = tokens.exchange(channels.default_channel(), account.refresh_token)
    LineAccount.objects.get().save()  # e.g. a new login wrote the row
    assert tokens.record(account, result) is Outcome.SKIPPED


def test_get_access_token_uses_a_fresh_token_without_calls(linked_account, line_emulator, line_account_factory):
    fresh = linked_account(line_emulator, line_account_factory)
    assert tokens.get_access_token(fresh) == fresh.access_token
    assert line_emulator.calls == []


def test_get_access_token_refreshes_a_token_about_to_expire(linked_account, line_emulator, line_account_factory):
    expiring = linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))
    old = expiring.access_token
    token = tokens.get_access_token(expiring)
    assert token and token != old and token == LineAccount.objects.get().access_token
    assert line_emulator.count_calls(TOKEN) == 1


def test_get_access_token_keeps_a_still_valid_token_while_line_is_down(
    linked_account, line_emulator, line_account_factory
):
    expiring = linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))
    line_emulator.fail_next(TOKEN, kind="timeout", times=3)
    assert tokens.get_access_token(expiring) == expiring.access_token


def test_get_access_token_is_none_when_expired_and_line_is_down(
    linked_account, line_emulator, line_account_factory
):
    expired = linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=-1))
    line_emulator.fail_next(TOKEN, kind="timeout", times=3)
    assert tokens.get_access_token(expired) is None
    assert not LineAccount.objects.get().needs_relogin


def test_verify_accepts_a_live_token_and_explains_a_dead_one(account, line_emulator):
    verification = tokens.verify(account)
    assert verification.valid and verification.scope == "profile" and verification.expires_in > 0
    account.access_token = "not-a-line-token"
    assert tokens.verify(account) == tokens.Verification(False, "The access token not JWS")


def test_check_verification_refuses_other_channels_and_expired_tokens():
    ours = ("1234567890",)
    assert tokens.check_verification(
        {"client_id": "1234567890", "expires_in": 10, "scope": "profile"}, ours
    ).valid
    other = tokens.check_verification({"client_id": "999", "expires_in": 10}, ours)
    assert other.reason == "issued to another channel"
    for expires_in in (0, -5, "10", None, True):
        assert (
            tokens.check_verification(
                {"client_id": "1234567890", "expires_in": expires_in}, ours
            ).reason
            == "expired"
        )


def test_revoke_ends_the_login_at_line_and_forgets_the_tokens(account, line_emulator):
    access_token = account.access_token
    assert tokens.revoke(account) is True
    assert line_emulator.count_calls("/oauth2/v2.1/revoke") == 1
    stored = LineAccount.objects.get()
    assert stored.needs_relogin and not stored.access_token
    stored.access_token = access_token
    assert tokens.verify(stored).reason == "The access token revoked"


def test_logout_revokes_only_when_configured(account, line_emulator, client, settings):
    client.force_login(account.user)
    client.logout()
    assert line_emulator.count_calls("/oauth2/v2.1/revoke") == 0

    settings.LINE_AUTH_REVOKE_ON_LOGOUT = True
    client.force_login(account.user)
    client.logout()
    assert line_emulator.count_calls("/oauth2/v2.1/revoke") == 1
    assert LineAccount.objects.get().access_token == ""


def test_logout_survives_line_being_down(account, line_emulator, client, settings):
    settings.LINE_AUTH_REVOKE_ON_LOGOUT = True
    line_emulator.fail_next("/oauth2/v2.1/revoke", kind="connection_refused", times=3)
    client.force_login(account.user)
    client.logout()  # sends user_logged_out; nothing is raised
    assert line_emulator.count_calls("/oauth2/v2.1/revoke") == 3
    assert "_auth_user_id" not in client.session


@pytest.mark.RT_03
@pytest.mark.postgres
@pytest.mark.skipif(os.environ.get("LINE_AUTH_TEST_DB") != "postgres", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_one_account_make_one_call(linked_account, line_emulator, line_account_factory):
    """The second worker reads the account while the first is asking LINE for new tokens.

    The first is held at LINE, holding the row lock, and let go as the second reads the
    row: just before a locking read (which then waits for the first to commit) or just
    after any other read (which then saw the old tokens). Nothing depends on timing.
    """
    from django.db import connection

    expiring = linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))
    first_at_line = line_emulator.hold_next(TOKEN)

    def worker():
        try:
            return tokens.get_access_token(LineAccount.objects.get(pk=expiring.pk))
        finally:
            connection.close()

    def release_the_first_as_the_second_reads(execute, sql, params, many, context):
        reads_the_account = (
            connection.in_atomic_block and sql.startswith("SELECT") and LineAccount._meta.db_table in sql
        )
        if reads_the_account and "FOR UPDATE" in sql:
            first_at_line.release()
        try:
            return execute(sql, params, many, context)
        finally:
            if reads_the_account:
                first_at_line.release()

    def second_worker():
        with connection.execute_wrapper(release_the_first_as_the_second_reads):
            return worker()

    with first_at_line, ThreadPoolExecutor(2) as pool:
        first = pool.submit(worker)
        first_at_line.wait_for_arrival()
        second = pool.submit(second_worker).result()
        first_at_line.release()  # in case the second never read the row inside its transaction
        results = [first.result(), second]
    assert line_emulator.count_calls(TOKEN) == 1
    assert results[0] == results[1] == LineAccount.objects.get().access_token
    assert results[0] != expiring.access_token


def test_the_usability_rule_reads_the_same_in_python_and_in_the_database(line_account_factory):
    from line_auth.internal.token_state import is_usable, usable_in_database

    now = timezone.now()
    cases = {
        "usable": {"access_token": "t", "access_token_expires_at": now + timedelta(hours=1)},
        "no expiry": {"access_token": "t", "access_token_expires_at": None},
        "within the margin": {"access_token": "t", "access_token_expires_at": now + timedelta(minutes=4)},
        "expired": {"access_token": "t", "access_token_expires_at": now - timedelta(minutes=1)},
        "none": {"access_token": ""},
        "needs a login": {"access_token": "t", "needs_relogin": True},
    }
    accounts = {name: line_account_factory(**fields) for name, fields in cases.items()}
    in_database = set(LineAccount.objects.filter(usable_in_database(now)).values_list("pk", flat=True))
    usable = {name for name, account in accounts.items() if is_usable(LineAccount.objects.get(pk=account.pk), now)}
    assert usable == {"usable", "no expiry"}
    assert {name for name, account in accounts.items() if account.pk in in_database} == usable


def test_a_flagged_account_has_no_usable_token(line_account_factory):
    from line_auth.internal.token_state import is_usable

    account = line_account_factory(
        access_token="t", needs_relogin=True, access_token_expires_at=timezone.now() + timedelta(hours=1)
    )
    assert not is_usable(account, timezone.now())


def test_token_expiry_is_computed_from_a_whole_number_of_seconds_only():
    from line_auth.internal.token_state import expires_at

    now = timezone.now()
    assert expires_at(2592000, now) == now + timedelta(days=30)
    assert expires_at(None, now) is None
    assert expires_at("3600", now) is None
    assert expires_at(True, now) is None


def test_the_backend_path_names_line_auths_backend(settings):
    from django.utils.module_loading import import_string

    from line_auth.backends import LineBackend
    from line_auth.internal.sessions import BACKEND_PATH

    assert import_string(BACKEND_PATH) is LineBackend
    assert BACKEND_PATH in settings.AUTHENTICATION_BACKENDS


@pytest.mark.postgres
@pytest.mark.skipif(os.environ.get("LINE_AUTH_TEST_DB") != "postgres", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_second_batch_run_skips_the_accounts_the_first_holds(
    linked_account, line_emulator, line_account_factory, second_while_first_at_line
):
    """The first run is held at LINE with its page of accounts leased; a second run over the
    same accounts takes none of them, so LINE is asked once per account."""

    for _ in range(2):
        linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))
    first, second = second_while_first_at_line(
        line_emulator.hold_next(TOKEN), lambda: tokens.refresh_many(tokens.due_for_refresh(), concurrency=1)
    )
    assert second == {}
    assert first == {Outcome.REFRESHED: 2}
    assert line_emulator.count_calls(TOKEN) == 2
