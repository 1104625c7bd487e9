"""What each token operation returns, logs and announces when it cannot do its job.

The callers (admin actions, the refresh command, Celery tasks, receivers) act on these
return values and operators read these log lines, so both are pinned here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from social_django.models import UserSocialAuth

from line_auth import deauthorization, signals, tokens
from line_auth.internal.verification import Verification
from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"
VERIFY = "/oauth2/v2.1/verify"


@pytest.fixture
def account(linked_account, line_emulator, line_account_factory):
    return linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))


def logged(caplog, name: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == name]


# -- verify --


def test_verify_says_when_line_did_not_answer(account, line_emulator):
    line_emulator.fail_next(VERIFY, kind="timeout", times=5)
    assert tokens.verify(account) == Verification(False, "LINE did not answer")


def test_verify_of_an_account_whose_channel_is_gone_asks_nobody(account, line_emulator):
    LineAccount.objects.filter(pk=account.pk).update(channel_id="2999999999")
    account.refresh_from_db()
    line_emulator.reset_calls()
    assert tokens.verify(account) == Verification(False, "its channel is not configured")
    assert line_emulator.calls == []


def test_verify_without_an_access_token_asks_nobody(line_account_factory, line_emulator):
    assert tokens.verify(line_account_factory()) == Verification(False, "no access token")
    assert line_emulator.calls == []


def test_verify_of_a_token_no_key_opens_asks_nobody(account, line_emulator, settings):
    settings.LINE_AUTH_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    unreadable = LineAccount.objects.get(pk=account.pk)
    line_emulator.reset_calls()
    assert tokens.verify(unreadable) == Verification(False, "no configured encryption key opens the stored token")
    assert line_emulator.calls == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [({"error": "invalid_request"}, "invalid_request"), ({}, "refused by LINE")],
    ids=["code only", "nothing"],
)
def test_verify_names_what_line_said_or_that_it_refused(account, line_emulator, answer, reason):
    line_emulator.fail_next(VERIFY, status=400, body=json.dumps(answer))
    assert tokens.verify(account) == Verification(False, reason)


# -- re-login and revoke --


def test_a_dead_login_is_logged_and_announced_by_the_account_model(
    account, line_emulator, caplog, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, **kwargs):
        received.append(sender)

    signals.line_relogin_needed.connect(receiver)
    try:
        line_emulator.advance(91 * 24 * 3600)  # LINE's 90 days are over
        with django_capture_on_commit_callbacks(execute=True):
            assert tokens.refresh(account) is tokens.Outcome.RELOGIN
    finally:
        signals.line_relogin_needed.disconnect(receiver)
    assert received == [LineAccount]
    assert logged(caplog, "line_auth.tokens") == [
        f"LINE account {account.line_user_id} needs a new login (invalid_grant)"
    ]


def test_revoke_forgets_when_the_old_token_expired_too(account, line_emulator):
    assert tokens.revoke(account) is True
    stored = LineAccount.objects.get()
    assert stored.access_token == "" and stored.access_token_expires_at is None


# -- get_access_token --


def test_a_token_another_worker_renewed_meanwhile_is_used_without_asking_line(
    linked_account, line_emulator, line_account_factory
):
    """The caller's copy looks expired; the row, read under its lock, holds a fresh token."""
    stale = linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=-1))
    LineAccount.objects.filter(pk=stale.pk).update(access_token_expires_at=timezone.now() + timedelta(hours=1))
    assert tokens.get_access_token(stale) == LineAccount.objects.get().access_token
    assert line_emulator.count_calls(TOKEN) == 0


# -- deauthorize --


# -- revoke and unlink --


def test_revoke_without_an_access_token_reports_nothing_revoked(line_account_factory, line_emulator):
    assert tokens.revoke(line_account_factory()) is False
    assert line_emulator.calls == []


def test_a_revoke_line_refuses_is_reported_and_logged(account, line_emulator, caplog):
    line_emulator.fail_next(
        "/oauth2/v2.1/revoke", status=400, body=json.dumps({"error": "invalid_request", "error_description": "no"})
    )
    assert tokens.revoke(account) is False
    assert logged(caplog, "line_auth.services") == [
        f"Revoking the LINE token of {account.line_user_id} failed: line_api_error"
    ]
    assert LineAccount.objects.get().access_token == ""  # forgotten all the same


def test_unlinking_one_of_two_line_accounts_keeps_the_other(line_account_factory, user_factory, line_emulator):
    user = user_factory()
    first, second = line_account_factory(user=user), line_account_factory(user=user)
    for account in (first, second):
        UserSocialAuth.objects.create(user=user, provider="line", uid=account.line_user_id)
    deauthorization.unlink(first)
    assert list(LineAccount.objects.values_list("pk", flat=True)) == [second.pk]
    assert list(UserSocialAuth.objects.values_list("uid", flat=True)) == [second.line_user_id]


def test_unlinking_line_keeps_the_users_other_social_logins(line_account_factory, line_emulator):
    """Another backend's association survives, even one whose uid happens to equal the LINE user ID."""
    account = line_account_factory()
    UserSocialAuth.objects.create(user=account.user, provider="line", uid=account.line_user_id)
    UserSocialAuth.objects.create(user=account.user, provider="other-provider", uid=account.line_user_id)
    deauthorization.unlink(account)
    assert list(UserSocialAuth.objects.values_list("provider", flat=True)) == ["other-provider"]


# -- which accounts a refresh run takes --


def test_an_account_without_a_refresh_token_is_never_due(line_account_factory):
    line_account_factory(access_token="a-token", access_token_expires_at=timezone.now() - timedelta(minutes=1))
    assert tokens.due_for_refresh().count() == 0


# -- refresh --


def test_an_account_without_a_refresh_token_is_skipped_without_asking_line(line_account_factory, line_emulator):
    """A web login's account whose tokens were dropped: nothing to refresh, and not a LIFF token either."""
    account = line_account_factory(access_token="a-token")
    assert tokens.refresh(account) is tokens.Outcome.SKIPPED
    assert line_emulator.calls == []


LOADER_CALLS: list[None] = []


def counting_loader():
    """A channel loader (``LINE_AUTH_CHANNEL_LOADER``) that adds no channel and counts its calls."""
    LOADER_CALLS.append(None)
    return []


def test_a_batch_refresh_reads_the_channels_once_however_many_accounts(
    linked_account, line_emulator, line_account_factory, settings
):
    """A site's loader may read a database or an API: a run asks it once, not once per account."""
    settings.LINE_AUTH_CHANNEL_LOADER = f"{__name__}.counting_loader"
    for _ in range(3):
        linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))
    LOADER_CALLS.clear()

    assert tokens.refresh_many(tokens.due_for_refresh()) == {tokens.Outcome.REFRESHED: 3}
    assert len(LOADER_CALLS) == 1


def test_a_batch_refresh_reads_the_accounts_a_page_at_a_time(linked_account, line_emulator, line_account_factory):
    for _ in range(3):
        linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))

    with CaptureQueriesContext(connection) as queries:
        assert tokens.refresh_many(tokens.due_for_refresh(), page_size=2) == {tokens.Outcome.REFRESHED: 3}

    # The page reads; on PostgreSQL each page's leased rows are also read again by primary key.
    pages = [query["sql"] for query in queries if "line_auth_lineaccount" in query["sql"] and "LIMIT" in query["sql"]]
    assert len(pages) == 3 and all(sql.endswith("LIMIT 2") for sql in pages)  # 2 accounts, 1, then none left


@pytest.mark.parametrize("answer", [{"access_token": ""}, {"token_type": "Bearer"}], ids=["empty", "missing"])
def test_a_refresh_answer_without_an_access_token_is_a_failure_that_keeps_the_tokens(
    account, line_emulator, caplog, answer
):
    line_emulator.fail_next(TOKEN, status=200, body=json.dumps({**answer, "expires_in": 2592000}))
    assert tokens.refresh(account) is tokens.Outcome.FAILED
    stored = LineAccount.objects.get()
    assert stored.access_token == account.access_token and stored.refresh_token == account.refresh_token
    assert logged(caplog, "line_auth.tokens") == ["LINE's refresh answer had no access_token"]


def test_a_refresh_writes_only_its_own_account(linked_account, line_emulator, line_account_factory):
    """Two accounts last written at the same instant: the refresh of one leaves the other alone."""
    mine = linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))
    other = linked_account(line_emulator, line_account_factory, expires_in=timedelta(minutes=1))
    same_instant = timezone.now()
    LineAccount.objects.update(modified=same_instant)
    mine.refresh_from_db()
    assert tokens.refresh(mine) is tokens.Outcome.REFRESHED
    untouched = LineAccount.objects.get(pk=other.pk)
    assert untouched.access_token == other.access_token and untouched.modified == same_instant
