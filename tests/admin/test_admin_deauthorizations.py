"""Operators see which deauthorizations LINE has not taken, and every unlink or delete page says
what LINE is told; no token ever appears."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from line_auth.models import Deauthorization

pytestmark = pytest.mark.django_db

LIST = "/admin/line_auth/deauthorization/"
ACCOUNTS = "/admin/line_auth/lineaccount/"
NOTICE = "we notify LY Corporation"
ACCESS = "access-token-that-must-never-show"
REFRESH = "refresh-token-that-must-never-show"


def queued(status, line_user_id):
    return Deauthorization.objects.create(
        line_user_id=line_user_id, channel_id="1234567890", reason="unlink", status=status,
        access_token=ACCESS, refresh_token=REFRESH, attempts=3, last_error="http_503",
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )


def test_the_list_filters_by_status_and_shows_no_token(admin_client):
    queued("pending", "Upending")
    queued("failed", "Ufailed")
    queued("done", "Udone")

    page = admin_client.get(LIST, {"status__exact": "failed"}).content.decode()

    assert "Ufailed" in page and "Upending" not in page and "Udone" not in page
    assert "http_503" in page
    everything = admin_client.get(LIST).content.decode()
    assert ACCESS not in everything and REFRESH not in everything
    row = Deauthorization.objects.get(line_user_id="Ufailed")
    detail = admin_client.get(f"{LIST}{row.pk}/change/").content.decode()
    assert "Ufailed" in detail and ACCESS not in detail and REFRESH not in detail


def test_the_list_is_read_only(admin_client):
    row = queued("pending", "Upending")
    assert admin_client.get(f"{LIST}add/").status_code == 403
    assert admin_client.post(f"{LIST}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Deauthorization.objects.count() == 1


def test_the_overview_counts_pending_and_failed(admin_client):
    queued("pending", "U1")
    queued("pending", "U2")
    queued("failed", "U3")
    queued("done", "U4")
    page = admin_client.get(f"{ACCOUNTS}overview/").content.decode()
    assert "2 deauthorizations at LINE are still pending" in page
    assert "1 failed for good" in page


def test_the_overview_says_nothing_when_all_are_done(admin_client):
    queued("done", "U4")
    assert "still pending" not in admin_client.get(f"{ACCOUNTS}overview/").content.decode()


def test_the_admin_delete_pages_carry_the_notice(admin_client, line_account_factory):
    account = line_account_factory()
    assert NOTICE in admin_client.get(f"{ACCOUNTS}{account.pk}/delete/").content.decode()
    bulk = admin_client.post(ACCOUNTS, {"action": "delete_selected", "_selected_action": [account.pk]})
    assert NOTICE in bulk.content.decode()
