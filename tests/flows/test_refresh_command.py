"""``manage.py line_auth_refresh_tokens`` against the emulator, from a handful to thousands of accounts."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from line_auth import tokens
from line_auth.models import REFRESH_TOKEN_LIFETIME, LineAccount

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("line_auth_refresh_tokens", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def many_accounts(emulator, count, expires_in=timedelta(hours=1)):
    """``count`` linked accounts with live emulator tokens, created in bulk."""
    now = timezone.now()
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"bulk{index}") for index in range(count)]
    )
    accounts = []
    for user in users:
        line_user = emulator.add_user()
        issued = emulator.issue_tokens(line_user, settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
        accounts.append(
            LineAccount(
                user=user,
                channel_id=settings.SOCIAL_AUTH_LINE_KEY,
                line_user_id=line_user.user_id,
                access_token=issued["access_token"],
                refresh_token=issued["refresh_token"],
                access_token_expires_at=now + expires_in,
                refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
            )
        )
    LineAccount.objects.bulk_create(accounts, batch_size=500)


def test_refreshes_what_expires_soon_and_reports_each_outcome(linked_account, line_emulator, line_account_factory):
    soon = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    linked_account(line_emulator, line_account_factory, expires_in=timedelta(days=20))
    dead = linked_account(
        line_emulator,
        line_account_factory,
        expires_in=timedelta(hours=1),
        refresh_token_expires_at=timezone.now() - timedelta(minutes=1),
    )
    out, _ = run()
    assert out.strip() == "Refreshed 1, re-login needed 1, failed 0, skipped 0 (of 2 due)."
    assert LineAccount.objects.get(pk=soon.pk).access_token != soon.access_token
    assert LineAccount.objects.get(pk=dead.pk).needs_relogin
    assert line_emulator.count_calls(TOKEN) == 1


def test_invalid_grant_counts_as_relogin(linked_account, line_emulator, line_account_factory):
    linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    line_emulator.advance(91 * 24 * 3600)
    out, _ = run()
    assert "re-login needed 1" in out and LineAccount.objects.get().needs_relogin


def test_rerunning_is_safe(linked_account, line_emulator, line_account_factory):
    linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    run()
    out, _ = run()
    assert out.strip() == "Refreshed 0, re-login needed 0, failed 0, skipped 0 (of 0 due)."
    assert line_emulator.count_calls(TOKEN) == 1


def test_failures_exit_non_zero_and_leave_the_account_for_the_next_run(
    linked_account, line_emulator, line_account_factory
):
    account = linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    line_emulator.fail_next(TOKEN, status=500, times=3)
    with pytest.raises(CommandError, match="1 refreshes failed"):
        run()
    assert LineAccount.objects.get().access_token == account.access_token
    out, _ = run()
    assert "Refreshed 1" in out


def test_window_option_overrides_the_setting(linked_account, line_emulator, line_account_factory):
    linked_account(line_emulator, line_account_factory, expires_in=timedelta(days=20))
    assert "of 0 due" in run()[0]
    assert "Refreshed 1" in run("--window", str(21 * 24 * 3600))[0]


def test_invalid_options_are_refused():
    with pytest.raises(CommandError):
        run("--concurrency", "0")


def test_thousands_of_accounts_are_refreshed_concurrently_with_progress(
    access_token_lifetime, parallel_probe, line_emulator, monkeypatch
):
    from line_auth.internal import batch

    monkeypatch.setattr(batch, "PROGRESS_EVERY", 0)  # a progress line per answer
    probe = parallel_probe(tokens.exchange, together=32)
    monkeypatch.setattr(tokens, "exchange", probe)
    many_accounts(line_emulator, 2000)
    line_emulator.reset_calls()

    started = timezone.now()
    out, err = run("--concurrency", "32", "--chunk-size", "300")

    assert out.strip() == "Refreshed 2000, re-login needed 0, failed 0, skipped 0 (of 2000 due)."
    assert line_emulator.count_calls(TOKEN) == 2000
    assert probe.peak == 32  # 32 calls met at once, and never more
    assert "/2000 refreshed=" in err
    assert (
        LineAccount.objects.filter(
            access_token_expires_at__lt=started + access_token_lifetime
        ).count()
        == 0
    )
