"""A changed or lost encryption key: tokens no configured key opens are absent tokens.

Every login path works for such a returning user and stores fresh tokens; admin
actions and the friendship re-check skip the account and never call LINE with
an empty token; a command and a database check count such accounts.
"""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.db import connection

from line_auth import signals, tokens
from line_auth.checks import Codes
from line_auth.checks.database import (
    check_stored_tokens,
    no_token_readable,
    some_tokens_unreadable,
)
from line_auth.models import LineAccount

pytestmark = [pytest.mark.django_db, pytest.mark.EN_03]
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY
CHANGELIST = "/admin/line_auth/lineaccount/"


@pytest.fixture(autouse=True)
def empty_cache():
    """Native logins keep nonces and LINE's keys in the cache; start without either."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lose_the_key(settings):
    """Replace the configured key, as a deploy that dropped the old one would."""

    def lose() -> None:
        settings.LINE_AUTH_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    return lose


def stored_ciphertexts(account_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM line_auth_lineaccount WHERE id = %s",
            [account_id],
        )
        return cursor.fetchone()


@pytest.fixture
def web_linked(login):
    """A returning user: logged in once on the web, so LINE's tokens are stored."""

    def link(client, emulator):
        user = emulator.add_user()
        assert login(client, emulator, user).status_code == 302
        client.logout()
        return user, LineAccount.objects.get(line_user_id=user.user_id)

    return link


# -- every login path works for a returning user whose tokens no key opens --


def test_a_native_id_token_login_succeeds_and_flags_the_account(
    sdk_login, web_linked, client, line_emulator, lose_the_key
):
    user, account = web_linked(client, line_emulator)
    before = stored_ciphertexts(account.pk)
    lose_the_key()

    response = sdk_login(client, line_emulator, user)

    assert response.status_code == 200, response.content
    account = LineAccount.objects.get(pk=account.pk)
    assert account.needs_relogin
    assert (account.access_token, account.refresh_token) == ("", "")
    # Nothing new to store, and the old ciphertext is kept for the day the key returns.
    assert stored_ciphertexts(account.pk) == before


def test_a_native_access_token_login_stores_the_fresh_access_token(
    native_post, web_linked, client, line_emulator, lose_the_key
):
    user, account = web_linked(client, line_emulator)
    lose_the_key()
    fresh = line_emulator.issue_tokens(user, CHANNEL, scope="profile")["access_token"]

    response = native_post(client, {"access_token": fresh})

    assert response.status_code == 200, response.content
    account = LineAccount.objects.get(pk=account.pk)
    assert account.access_token == fresh
    assert account.needs_relogin  # the refresh token is still unreadable


def test_a_returning_login_opens_no_stored_token(login, web_linked, client, line_emulator, lose_the_key, caplog):
    """It brings its own tokens: the stored ones are never read, so no warning says a key is missing."""
    user, _ = web_linked(client, line_emulator)
    lose_the_key()
    caplog.clear()
    assert login(client, line_emulator, user).status_code == 302
    assert not [record for record in caplog.records if record.name == "line_auth.fields"]


def test_a_web_login_stores_fresh_tokens_and_clears_the_flag(
    login, sdk_login, web_linked, client, line_emulator, lose_the_key
):
    user, account = web_linked(client, line_emulator)
    lose_the_key()
    assert sdk_login(client, line_emulator, user).status_code == 200
    client.logout()

    assert login(client, line_emulator, user).status_code == 302

    account = LineAccount.objects.get(pk=account.pk)
    assert not account.needs_relogin
    assert account.access_token in line_emulator.issued_secrets()
    assert account.refresh_token in line_emulator.issued_secrets()


# -- admin actions skip the account and never call LINE with an empty token --


def act(client, action, accounts):
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": [a.pk for a in accounts], "post": "yes"}
    )
    assert response.status_code == 302
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def unreadable(linked_account, line_emulator, line_account_factory, lose_the_key):
    """A linked account with live tokens at LINE that no configured key opens any more."""
    account = linked_account(line_emulator, line_account_factory, display_name="Lost")
    lose_the_key()
    line_emulator.reset_calls()
    return account


def test_refresh_skips_it_and_says_why(admin_client, line_emulator, unreadable):
    messages = act(admin_client, "refresh_tokens", [unreadable])
    assert messages == [
        (
            "warning",
            "Skipped 1 account whose tokens no key in LINE_AUTH_ENCRYPTION_KEYS opens; it needs "
            f"a new LINE login: Lost ({unreadable.line_user_id}).",
        )
    ]
    assert line_emulator.calls == []


def test_verify_names_the_reason_without_asking_line(admin_client, line_emulator, unreadable):
    messages = act(admin_client, "verify_tokens", [unreadable])
    assert messages == [
        (
            "warning",
            f"1 account has no usable access token: Lost ({unreadable.line_user_id}) "
            "(no configured encryption key opens the stored token).",
        )
    ]
    assert line_emulator.calls == []


def test_friendship_recheck_skips_it_without_calling_line(admin_client, line_emulator, unreadable):
    messages = act(admin_client, "recheck_friendship", [unreadable])
    assert ("success", "Checked 0 accounts: 0 changed.") in messages
    assert (
        "warning",
        "Skipped 1 account without a usable access token (a new login is needed).",
    ) in messages
    assert line_emulator.calls == []


def test_disconnect_unlinks_it_and_says_line_was_not_told(admin_client, line_emulator, unreadable):
    messages = act(admin_client, "disconnect_accounts", [unreadable])
    assert messages == [
        (
            "warning",
            "Disconnected 1 account without deauthorizing at LINE, as no key in "
            f"LINE_AUTH_ENCRYPTION_KEYS opens its tokens: Lost ({unreadable.line_user_id}).",
        )
    ]
    assert line_emulator.calls == []
    assert not LineAccount.objects.filter(pk=unreadable.pk).exists()


def test_code_asking_for_a_token_is_told_a_new_login_is_needed(line_emulator, unreadable):
    account = LineAccount.objects.get(pk=unreadable.pk)
    assert tokens.get_access_token(account) is None
    assert account.needs_relogin  # not "LINE was unavailable": only a login helps
    assert line_emulator.calls == []


def test_the_refresh_command_skips_it_and_says_why(line_emulator, unreadable):
    LineAccount.objects.filter(pk=unreadable.pk).update(access_token_expires_at=None)  # due now
    out, err = StringIO(), StringIO()
    call_command("line_auth_refresh_tokens", stdout=out, stderr=err)
    assert out.getvalue().strip() == "Refreshed 0, re-login needed 0, failed 0, skipped 0 (of 1 due)."
    assert "Skipped 1 account whose refresh token no key in LINE_AUTH_ENCRYPTION_KEYS" in err.getvalue()
    assert line_emulator.calls == []


def test_deleting_the_user_does_not_call_line_with_an_empty_token(
    line_emulator, unreadable, settings
):
    settings.LINE_AUTH_DEAUTHORIZE_ON_DELETE = True
    unreadable.user.delete()
    assert line_emulator.calls == []


# -- how many accounts no configured key opens --


def database_checks():
    return check_stored_tokens(databases=["default"])


def test_the_database_check_is_an_error_when_no_token_opens(line_account_factory, lose_the_key):
    line_account_factory(access_token="a", refresh_token="r")
    line_account_factory()  # no tokens: nothing to open, not counted
    assert database_checks() == []
    lose_the_key()
    assert database_checks() == [no_token_readable(1, "default")]  # an Error: migrate stops
    # Database checks run only when asked for (migrate, check --database).
    assert not [m for m in run_checks() if m.id == Codes.NO_TOKEN_READABLE]


def test_the_database_check_warns_when_some_tokens_do_not_open(line_account_factory, lose_the_key):
    line_account_factory(refresh_token="r")
    lose_the_key()
    line_account_factory(refresh_token="r")  # written with the new key
    assert database_checks() == [some_tokens_unreadable(1, 2, "default")]
    call_command("check", "--database", "default")  # a warning does not stop migrate


def test_the_database_check_opens_only_the_newest_accounts(
    line_account_factory, lose_the_key, monkeypatch
):
    # migrate runs the check: at millions of accounts it must not decrypt them all.
    monkeypatch.setattr("line_auth.checks.database.STORED_TOKENS_SAMPLE", 2)
    line_account_factory(refresh_token="r")
    lose_the_key()
    line_account_factory(refresh_token="r")
    line_account_factory(refresh_token="r")
    assert database_checks() == []  # the unreadable one is older than the two checked
    with pytest.raises(CommandError):  # the full count still finds it
        call_command("line_auth_rotate_keys", "--check", stdout=StringIO())


def test_the_rotation_command_counts_them_without_writing(line_account_factory, lose_the_key):
    account = line_account_factory(access_token="a", refresh_token="r")
    line_account_factory()
    before = stored_ciphertexts(account.pk)
    lose_the_key()
    out = StringIO()
    with pytest.raises(CommandError, match="--forget-unreadable"):
        call_command("line_auth_rotate_keys", "--check", stdout=out)
    assert out.getvalue().strip() == "1 account holds tokens no configured key can decrypt"
    assert stored_ciphertexts(account.pk) == before


def test_forgetting_them_marks_the_accounts_and_announces_it(
    line_account_factory, lose_the_key, django_capture_on_commit_callbacks
):
    lost = line_account_factory(access_token="a", refresh_token="r")
    lose_the_key()
    kept = line_account_factory(access_token="a2", refresh_token="r2")
    announced = []

    def receiver(sender, line_account, reason, **kwargs):
        announced.append((line_account.pk, reason))

    signals.line_relogin_needed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("line_auth_rotate_keys", "--forget-unreadable", stdout=StringIO())
    finally:
        signals.line_relogin_needed.disconnect(receiver)

    assert announced == [(lost.pk, "unreadable")]
    lost = LineAccount.objects.get(pk=lost.pk)
    assert lost.needs_relogin and stored_ciphertexts(lost.pk) == ("", "")
    kept = LineAccount.objects.get(pk=kept.pk)
    assert (kept.access_token, kept.refresh_token, kept.needs_relogin) == ("a2", "r2", False)
    assert database_checks() == []

