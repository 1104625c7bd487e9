"""Operators refresh, verify and disconnect LINE accounts from the admin changelist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/line_auth/lineaccount/"


def act(client, action, accounts):
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": [a.pk for a in accounts], "post": "yes"}
    )
    assert response.status_code == 302
    return [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


def test_refresh_reports_each_row_by_outcome(linked_account, admin_client, line_emulator, line_account_factory):
    good = linked_account(line_emulator, line_account_factory, display_name="Good")
    dead = linked_account(
        line_emulator,
        line_account_factory,
        display_name="Dead",
        refresh_token_expires_at=timezone.now() - timedelta(seconds=1),
    )
    messages = act(admin_client, "refresh_tokens", [good, dead])
    assert messages == [
        ("success", f"Refreshed the access token of 1 account: Good ({good.line_user_id})."),
        ("warning", f"1 account needs a new LINE login: Dead ({dead.line_user_id})."),
    ]
    assert LineAccount.objects.get(pk=good.pk).access_token != good.access_token


def test_refresh_failure_is_an_error_message(linked_account, admin_client, line_emulator, line_account_factory):
    accounts = [linked_account(line_emulator, line_account_factory) for _ in range(2)]
    line_emulator.fail_next("/oauth2/v2.1/token", status=500, times=6)
    [(level, text)] = act(admin_client, "refresh_tokens", accounts)
    assert level == "error" and text.startswith(
        "LINE could not refresh 2 accounts, try again later"
    )


def test_verify_names_valid_and_invalid_tokens_with_the_reason(
    linked_account, admin_client, line_emulator, line_account_factory
):
    valid = linked_account(line_emulator, line_account_factory, display_name="Valid")
    empty = line_account_factory(display_name="Empty")
    messages = act(admin_client, "verify_tokens", [valid, empty])
    assert (
        "success",
        f"1 account has a valid access token: Valid ({valid.line_user_id}).",
    ) in messages
    assert (
        "warning",
        f"1 account has no usable access token: Empty ({empty.line_user_id}) (no access token).",
    ) in messages


def test_disconnect_asks_first_with_the_notice(linked_account, admin_client, line_emulator, line_account_factory):
    account = linked_account(line_emulator, line_account_factory)
    response = admin_client.post(CHANGELIST, {"action": "disconnect_accounts", "_selected_action": [account.pk]})
    assert response.status_code == 200
    assert "we notify LY Corporation" in response.content.decode()
    assert LineAccount.objects.count() == 1 and line_emulator.calls == []


def test_disconnect_deauthorizes_and_unlinks(linked_account, admin_client, line_emulator, line_account_factory):
    accounts = [linked_account(line_emulator, line_account_factory) for _ in range(3)]
    [(level, text)] = act(admin_client, "disconnect_accounts", accounts)
    assert level == "success" and text.startswith(
        "Disconnected 3 accounts and deauthorized the app at LINE"
    )
    assert LineAccount.objects.count() == 0
    assert line_emulator.count_calls("/user/v1/deauthorize") == 3


def test_a_long_selection_is_summarized(admin_client, line_emulator, line_account_factory):
    accounts = [line_account_factory() for _ in range(23)]
    [(_, text)] = act(admin_client, "verify_tokens", accounts)
    assert text.startswith("23 accounts have no usable access token") and text.endswith(
        " and 3 more."
    )


def test_refresh_calls_line_in_parallel_through_the_batch_engine(
    admin_client, line_emulator, line_account_factory, linked_account, parallel_probe, monkeypatch
):
    from line_auth import tokens

    accounts = [linked_account(line_emulator, line_account_factory) for _ in range(8)]
    probe = parallel_probe(tokens.exchange, together=tokens.CONCURRENCY)
    monkeypatch.setattr(tokens, "exchange", probe)
    [(level, text)] = act(admin_client, "refresh_tokens", accounts)
    assert level == "success" and text.startswith("Refreshed the access tokens of 8 accounts")
    assert probe.peak == tokens.CONCURRENCY
