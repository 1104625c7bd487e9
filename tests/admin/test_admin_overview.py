"""The admin overview page, the friendship history inline and the SVG charts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from line_auth import figures
from line_auth.admin import charts
from line_auth.models import Friendship, FriendshipChange, FriendshipSource, LineAccount

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/line_auth/lineaccount/"
OVERVIEW = f"{CHANGELIST}overview/"
STATUSES = (Friendship.FRIEND, Friendship.NOT_FRIEND, Friendship.UNKNOWN)


def populate(count: int, first: int = 0) -> None:
    """``count`` linked accounts spread over recent weeks, with history, in a few queries."""
    now = timezone.now()
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"bulk{first + index}") for index in range(count)]
    )
    accounts = LineAccount.objects.bulk_create(
        [
            LineAccount(
                user=user,
                channel_id="1234567890",
                line_user_id=f"U{first + index:032x}",
                friendship=STATUSES[index % 3],
                access_token_expires_at=now + timedelta(days=index % 40, hours=1),
                refresh_token_expires_at=now + timedelta(days=index % 100, hours=1),
            )
            for index, user in enumerate(users)
        ]
    )
    # auto_now_add ignores a given value, so spread the link dates afterwards.
    LineAccount.objects.filter(pk__in=[account.pk for account in accounts]).update(
        created=F("access_token_expires_at") - timedelta(days=60)
    )
    FriendshipChange.objects.bulk_create(
        [
            FriendshipChange(
                account=account,
                previous=Friendship.NOT_FRIEND,
                current=account.friendship,
                source=FriendshipSource.WEBHOOK,
                event_at=now - timedelta(days=index % 90),
            )
            for index, account in enumerate(accounts)
            if account.friendship != Friendship.UNKNOWN
        ]
    )


def overview_queries(client) -> tuple[int, str]:
    """The page's query count and HTML, after the figures were counted as the task does."""
    figures.roll_up()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(OVERVIEW)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_query_count_does_not_grow_with_the_accounts(admin_client):
    populate(100)
    small, html = overview_queries(admin_client)
    assert "Friend: 34 (34%)" in html
    populate(2900, first=100)
    large, html = overview_queries(admin_client)
    assert "Friend: 1,001 (33%)" in html
    assert small == large <= 12


def test_the_page_shows_four_accessible_responsive_charts(admin_client):
    populate(30)
    _, html = overview_queries(admin_client)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="line-auth-chart"') == 4
    assert html.count('width="100%"') == 4 and html.count('viewBox="0 0 640') == 4
    assert html.count('role="img"') == 4 and html.count("<desc id=") == 4
    assert html.count('<table class="line-auth-sr-only">') == 4
    for title in (
        "Linked accounts, last 90 days",
        "Share of friends",
        "Follows and unfollows per day, last 90 days",
        "Tokens expiring in the next 30 days",
    ):
        assert f"<figcaption>{title}</figcaption>" in html
    today = timezone.localdate().isoformat()
    assert f'<th scope="row">{today}</th><td>30</td>' in html  # the running total, as text
    assert "<script" not in html.split('<div id="content-main"')[1]


def test_an_empty_site_renders(admin_client):
    _, html = overview_queries(admin_client)
    assert "0 linked accounts" in html


def test_a_first_status_learned_at_login_is_not_a_follow(admin_client, line_account_factory):
    account = line_account_factory()
    now = timezone.now()
    FriendshipChange.objects.bulk_create(
        [
            FriendshipChange(
                account=account,
                previous=Friendship.UNKNOWN,
                current=Friendship.FRIEND,
                source=FriendshipSource.LOGIN,
                event_at=now,
            ),
            FriendshipChange(
                account=account,
                previous=Friendship.FRIEND,
                current=Friendship.NOT_FRIEND,
                source=FriendshipSource.SYNC,
                event_at=now,
            ),
            FriendshipChange(
                account=account,
                previous=Friendship.UNKNOWN,
                current=Friendship.FRIEND,
                source=FriendshipSource.WEBHOOK,
                event_at=now,
            ),
        ]
    )
    _, html = overview_queries(admin_client)
    assert "1 follows and 1 unfollows in 90 days." in html


def test_the_changelist_links_to_the_overview(admin_client):
    assert f'href="{OVERVIEW}"' in admin_client.get(CHANGELIST).content.decode()


def test_only_those_who_may_see_accounts_see_the_overview(client, django_user_model):
    assert client.get(OVERVIEW).status_code == 302  # to the admin login
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(OVERVIEW).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_lineaccount"))
    assert client.get(OVERVIEW).status_code == 200


def test_the_change_page_shows_the_friendship_history(admin_client, line_account_factory):
    account = line_account_factory()
    FriendshipChange.objects.create(
        account=account,
        previous=Friendship.UNKNOWN,
        current=Friendship.FRIEND,
        source=FriendshipSource.WEBHOOK,
        event_at=timezone.now() - timedelta(days=3),
    )
    html = admin_client.get(f"{CHANGELIST}{account.pk}/change/").content.decode()
    assert "Friendship history" in html
    assert (
        "Webhook" in html
        and "Not a friend" not in html.split("Friendship history")[1].split("</fieldset>")[0]
    )


def test_the_friendship_source_filter(admin_client, line_account_factory):
    line_account_factory(display_name="ByHook", friendship_source=FriendshipSource.WEBHOOK)
    line_account_factory(display_name="BySync", friendship_source=FriendshipSource.SYNC)
    html = admin_client.get(CHANGELIST, {"friendship_source__exact": "webhook"}).content.decode()
    assert "ByHook" in html and "BySync" not in html


# The chart functions ---------------------------------------------------------


def test_charts_escape_every_text():
    svg = charts.bar_chart(
        "c", "<script>t</script>", 'a "desc" & <b>', ["<i>day</i>"], [("<em>s</em>", [3])]
    )
    svg += charts.share_chart("s", "t", "d", [("<x>", 1)])
    svg += charts.line_chart("l", "t", "d", ["<y>"], [1])
    assert not re.search(r"<(script|b|i|em|x|y)>", svg)
    assert "&lt;script&gt;" in svg and "&lt;em&gt;s&lt;/em&gt;" in svg


def test_charts_survive_empty_and_zero_data():
    assert "<svg" in charts.line_chart("a", "t", "d", [], [])
    assert charts.bar_chart("b", "t", "d", ["x"], [("s", [0])]).count("<rect") == 1  # the legend
    assert "0 (0%)" in charts.share_chart("c", "t", "d", [("none", 0)])


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (4001, 5000)]
)
def test_scales_end_on_a_round_number(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling
