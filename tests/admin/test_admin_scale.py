"""The LINE accounts admin stays usable at millions of accounts: constant queries,
estimated counts, indexed search, daily figures counted ahead."""

from __future__ import annotations

import os
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from line_auth import figures
from line_auth.admin.counting import EstimatedCountPaginator
from line_auth.admin.search import search_accounts
from line_auth.models import DailyFigure, Friendship, FriendshipChange, FriendshipSource, LineAccount, Metric

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/line_auth/lineaccount/"
ON_POSTGRES = os.environ.get("LINE_AUTH_TEST_DB") == "postgres"
needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")
STATUSES = (Friendship.FRIEND, Friendship.NOT_FRIEND, Friendship.UNKNOWN)


@pytest.fixture
def accounts(django_user_model):
    """``make(count)``: that many more linked accounts, each with a friendship change, in a few queries."""
    made = [0]

    def make(count: int) -> list[LineAccount]:
        first = made[0]
        made[0] += count
        now = timezone.now()
        name = django_user_model.USERNAME_FIELD  # any user model of the test matrix
        users = django_user_model.objects.bulk_create(
            [django_user_model(**{name: f"scale{first + index}"}) for index in range(count)]
        )
        created = LineAccount.objects.bulk_create(
            [
                LineAccount(
                    user=user,
                    channel_id="1234567890",
                    line_user_id=f"U{first + index:032x}",
                    display_name=f"Name{first + index}",
                    friendship=STATUSES[index % 3],
                    access_token="t",
                    refresh_token="r",
                    access_token_expires_at=now + timedelta(days=index % 20, hours=1),
                    refresh_token_expires_at=now + timedelta(days=index % 40, hours=1),
                )
                for index, user in enumerate(users, start=first)
            ]
        )
        FriendshipChange.objects.bulk_create(
            [
                FriendshipChange(
                    account=account,
                    previous=Friendship.UNKNOWN,
                    current=Friendship.FRIEND,
                    source=FriendshipSource.WEBHOOK,
                    event_at=now - timedelta(days=index % 30),
                )
                for index, account in enumerate(created)
            ]
        )
        return created

    return make


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_every_page_makes_the_same_queries_for_5_and_200_accounts(admin_client, accounts):
    first = accounts(5)[0]
    pages = [
        CHANGELIST,
        f"{CHANGELIST}?friendship__exact=friend",
        f"{CHANGELIST}?token_state=relogin",
        f"{CHANGELIST}?token_state=expired",
        f"{CHANGELIST}?q={first.line_user_id}",
        f"{CHANGELIST}?q=Name",
        f"{CHANGELIST}?q=scale0",
        f"{CHANGELIST}{first.pk}/change/",
        f"{CHANGELIST}overview/",
    ]
    figures.roll_up()
    for url in pages:  # once each first: Django caches content types and permissions per process
        queries(admin_client, url)
    few = {url: queries(admin_client, url) for url in pages}
    accounts(195)
    figures.roll_up()
    assert {url: queries(admin_client, url) for url in pages} == few


def listed(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return {account.line_user_id for account in response.context["cl"].result_list}


def test_search_finds_a_user_id_its_start_a_name_start_and_a_username(admin_client, accounts):
    made = accounts(30)
    target = made[17]  # U...11 and Name17
    assert listed(admin_client, f"{CHANGELIST}?q={target.line_user_id}") == {target.line_user_id}
    assert listed(admin_client, f"{CHANGELIST}?q={target.line_user_id[:-1]}") == {
        account.line_user_id for account in made[16:30]  # U...10 to U...1d share the start
    }
    assert listed(admin_client, f"{CHANGELIST}?q=name17") == {target.line_user_id}
    assert listed(admin_client, f"{CHANGELIST}?q=Name2") == {
        account.line_user_id for account in [made[2], *made[20:30]]
    }
    assert listed(admin_client, f"{CHANGELIST}?q=scale17") == {target.line_user_id}


def test_search_matches_starts_not_the_middle(admin_client, accounts):
    target = accounts(3)[1]
    assert listed(admin_client, f"{CHANGELIST}?q=ame1") == set()
    assert listed(admin_client, f"{CHANGELIST}?q={target.line_user_id[5:]}") == set()
    assert listed(admin_client, f"{CHANGELIST}?q=scale") == set()  # usernames match exactly


def test_a_blank_search_lists_everything(accounts):
    accounts(4)
    assert search_accounts(LineAccount.objects.all(), "  ").count() == 4


@needs_postgres
def test_search_can_use_the_indexes(accounts):
    accounts(3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show what it could use
    by_id = search_accounts(LineAccount.objects.all(), "U0000000000").explain()
    by_name = search_accounts(LineAccount.objects.all(), "taro").explain()
    assert "line_auth_line_user_prefix_idx" in by_id
    assert "line_auth_name_prefix_idx" in by_name


@needs_postgres
def test_above_the_limit_the_changelist_shows_postgres_estimate_without_counting(
    admin_client, accounts, monkeypatch
):
    accounts(40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE line_auth_lineaccount")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 10)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(CHANGELIST)
    cl = response.context["cl"]
    assert cl.paginator.estimated and cl.result_count == 40  # ANALYZE read the whole small table
    assert f"about {cl.result_count} LINE accounts" in response.content.decode()
    assert not any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)

    searched = admin_client.get(CHANGELIST, {"q": "Name"})
    assert "about 40 results" in searched.content.decode()


@needs_postgres
def test_at_or_below_the_limit_the_count_is_exact(admin_client, accounts, monkeypatch):
    accounts(40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE line_auth_lineaccount")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 40)
    response = admin_client.get(CHANGELIST)
    assert not response.context["cl"].paginator.estimated
    assert "about" not in response.content.decode()


def test_an_estimated_count_is_shown_with_digit_grouping():
    assert EstimatedCountPaginator(range(1_234_567), 100).shown_count == "1,234,567"


def test_other_databases_always_count_exactly(admin_client, accounts, monkeypatch):
    accounts(12)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 0 if not ON_POSTGRES else 10**9)
    cl = admin_client.get(CHANGELIST).context["cl"]
    assert cl.result_count == 12 and not cl.paginator.estimated


# Daily figures -----------------------------------------------------------------


def recount(now) -> dict[tuple[str, object], int]:
    """Every figure counted straight from the big tables, the slow way."""
    tz = timezone.get_current_timezone()
    counted: dict[tuple[str, object], int] = {}
    for row in LineAccount.objects.annotate(day=TruncDate("created", tzinfo=tz)).values("day").annotate(n=Count("pk")):
        counted[Metric.LINKED, row["day"]] = row["n"]
    for change in FriendshipChange.objects.all():
        day = timezone.localdate(change.event_at)
        became = change.current == Friendship.FRIEND and (
            change.previous == Friendship.NOT_FRIEND or change.source == FriendshipSource.WEBHOOK
        )
        left = change.current == Friendship.NOT_FRIEND and (
            change.previous == Friendship.FRIEND or change.source == FriendshipSource.WEBHOOK
        )
        for metric, counts in ((Metric.FOLLOWS, became), (Metric.UNFOLLOWS, left)):
            if counts:
                counted[metric, day] = counted.get((metric, day), 0) + 1
    today = timezone.localdate(now)
    for value, metric in figures.SHARE.items():
        counted[metric, today] = LineAccount.objects.filter(friendship=value).count()
    end = figures.start_of(today + timedelta(days=figures.EXPIRY_DAYS))
    for metric, field in figures.EXPIRIES.items():
        for account in LineAccount.objects.filter(**{f"{field}__gte": now, f"{field}__lt": end}):
            day = timezone.localdate(getattr(account, field))
            counted[metric, day] = counted.get((metric, day), 0) + 1
    return counted


def stored() -> dict[tuple[str, object], int]:
    return {(figure.metric, figure.day): figure.value for figure in DailyFigure.objects.all()}


def mixed_history(accounts) -> None:
    made = accounts(12)
    now = timezone.now()
    # Link dates over several days (auto_now_add ignores given values).
    for index, account in enumerate(made):
        LineAccount.objects.filter(pk=account.pk).update(created=now - timedelta(days=index % 5, hours=index))
    FriendshipChange.objects.bulk_create(
        [
            FriendshipChange(account=made[0], previous=Friendship.FRIEND, current=Friendship.NOT_FRIEND,
                             source=FriendshipSource.SYNC, event_at=now - timedelta(days=1)),
            FriendshipChange(account=made[1], previous=Friendship.UNKNOWN, current=Friendship.FRIEND,
                             source=FriendshipSource.LOGIN, event_at=now),  # learned, not a follow
            FriendshipChange(account=made[2], previous=Friendship.UNKNOWN, current=Friendship.NOT_FRIEND,
                             source=FriendshipSource.WEBHOOK, event_at=now - timedelta(days=2)),
        ]
    )


def test_the_roll_up_matches_a_recount(accounts):
    mixed_history(accounts)
    now = timezone.now()
    figures.roll_up(now)
    assert stored() == recount(now)


def test_a_later_roll_up_counts_new_days_again_and_matches_a_recount(accounts):
    mixed_history(accounts)
    yesterday = timezone.now() - timedelta(days=1)
    figures.roll_up(yesterday)
    more = accounts(5)
    LineAccount.objects.filter(pk=more[0].pk).update(friendship=Friendship.NOT_FRIEND)
    now = timezone.now()
    FriendshipChange.objects.filter(account__in=more).update(event_at=now)  # new changes happen now
    figures.roll_up(now)
    expected = recount(now)
    # Yesterday's share snapshot stays as history; today's is new.
    assert {key: value for key, value in stored().items() if key in expected} == expected
    assert (Metric.FRIENDS, timezone.localdate(yesterday)) in stored()


def test_only_recent_days_are_counted_again_unless_full(accounts):
    made = accounts(3)
    now = timezone.now()
    figures.roll_up(now)
    late = now - timedelta(days=10)
    day_late = now - timedelta(days=1)  # LINE may deliver that late: counted again
    for event_at in (late, day_late):
        FriendshipChange.objects.create(account=made[0], previous=Friendship.FRIEND,
                                        current=Friendship.NOT_FRIEND, source=FriendshipSource.WEBHOOK,
                                        event_at=event_at)
    figures.roll_up(now)
    assert stored()[Metric.UNFOLLOWS, timezone.localdate(day_late)] == 1
    assert (Metric.UNFOLLOWS, timezone.localdate(late)) not in stored()
    out = StringIO()
    call_command("line_auth_roll_up_figures", "--full", stdout=out)
    assert stored()[Metric.UNFOLLOWS, timezone.localdate(late)] == 1
    assert "daily figures" in out.getvalue()


def test_the_overview_shows_the_rolled_up_figures_and_when(admin_client, accounts):
    accounts(6)
    html = admin_client.get(f"{CHANGELIST}overview/").content.decode()
    assert "No figures counted yet." in html and "Friend: 0 (0%)" in html
    call_command("line_auth_roll_up_figures", stdout=StringIO())
    html = admin_client.get(f"{CHANGELIST}overview/").content.decode()
    assert "Figures counted at" in html and "Friend: 2 (33%)" in html
    assert "6 follows and 0 unfollows in 90 days." in html


def test_the_overview_never_reads_the_accounts_table(admin_client, accounts):
    accounts(5)
    figures.roll_up()
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(f"{CHANGELIST}overview/")
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "line_auth_dailyfigure" in tables
    assert "line_auth_lineaccount" not in tables and "line_auth_friendshipchange" not in tables

