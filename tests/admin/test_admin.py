"""Operators see linked accounts in the admin; tokens never appear."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from line_auth.models import Friendship

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/line_auth/lineaccount/"


@pytest.mark.EN_06
def test_changelist_and_change_page_show_the_account_but_never_its_tokens(admin_client, line_account_factory):
    account = line_account_factory(display_name="Hanako", access_token="SECRET-ACCESS",
                                   refresh_token="SECRET-REFRESH",
                                   picture_url="https://profile.line-scdn.net/abc")
    urls = [CHANGELIST, f"{CHANGELIST}{account.pk}/change/", f"{CHANGELIST}?q=Hanako",
            f"/admin/auth/user/{account.user_id}/change/"]
    pages = [admin_client.get(url) for url in urls]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "SECRET-ACCESS" not in html and "SECRET-REFRESH" not in html
    assert "Hanako" in pages[0].content.decode()
    assert "https://profile.line-scdn.net/abc" in pages[0].content.decode()
    assert "present" in pages[1].content.decode()  # the token state, not the token
    assert account.line_user_id in pages[3].content.decode()  # the inline on the user page


def test_search_finds_accounts_by_line_id_name_and_username(admin_client, line_account_factory, user_factory):
    account = line_account_factory(display_name="Jiro", user=user_factory(username="jiro-site"))
    line_account_factory(display_name="Other")
    for term in (account.line_user_id, "Jiro", "jiro-site"):
        html = admin_client.get(CHANGELIST, {"q": term}).content.decode()
        assert "Jiro" in html and "Other" not in html


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("", {"Valid", "Expired", "Relogin", "Deadline"}),
        ("friendship__exact=friend", {"Valid"}),
        ("token_state=valid", {"Valid"}),
        ("token_state=expired", {"Expired"}),
        ("token_state=relogin", {"Relogin", "Deadline"}),
    ],
)
def test_filters_list_exactly_the_matching_accounts(admin_client, line_account_factory, query, listed):
    now = timezone.now()
    line_account_factory(display_name="Valid", access_token="t", refresh_token="r", friendship=Friendship.FRIEND,
                         access_token_expires_at=now + timedelta(days=1),
                         refresh_token_expires_at=now + timedelta(days=60))
    line_account_factory(display_name="Expired", access_token="t", refresh_token="r",
                         access_token_expires_at=now - timedelta(hours=1),
                         refresh_token_expires_at=now + timedelta(days=60))
    line_account_factory(display_name="Relogin", needs_relogin=True)
    line_account_factory(display_name="Deadline", refresh_token="r",
                         refresh_token_expires_at=now - timedelta(hours=1))

    response = admin_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert {account.display_name for account in response.context["cl"].result_list} == listed


def test_token_state_filter_follows_the_one_usability_rule(admin_client, line_account_factory):
    now = timezone.now()
    line_account_factory(display_name="Usable", access_token="t", access_token_expires_at=now + timedelta(hours=1))
    line_account_factory(display_name="Forever", access_token="t", access_token_expires_at=None)
    line_account_factory(display_name="Closing", access_token="t", access_token_expires_at=now + timedelta(minutes=2))
    line_account_factory(display_name="Flagged", access_token="t", access_token_expires_at=now + timedelta(hours=1),
                         needs_relogin=True)

    def listed(state):
        response = admin_client.get(f"{CHANGELIST}?token_state={state}")
        return {account.display_name for account in response.context["cl"].result_list}

    assert listed("valid") == {"Usable", "Forever"}
    assert listed("expired") == {"Closing"}
    assert "Flagged" in listed("relogin")


def test_changelist_query_count_does_not_grow_with_accounts(admin_client, line_account_factory):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(queries)

    line_account_factory()
    few = count()
    for _ in range(30):
        line_account_factory(access_token="t", refresh_token="r")
    assert count() == few


def test_accounts_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
