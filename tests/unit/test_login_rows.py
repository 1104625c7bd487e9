"""The login's look-up statement: the rows it reads are the rows the ORM would give.

It is written by hand from the models' options (the ORM compiled its conditional join
on every login), so each test compares what it loads with what the ORM loads:
every field, converted values included (tokens opened, JSON read, aware datetimes),
with the user and this channel's account attached and nothing left to fetch later.
scripts/test.sh runs them under every user model of tests/user_models too: one that
inherits a concrete model is read the ORM's way, with the same results.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from social_django.models import UserSocialAuth

from line_auth.internal import login_rows
from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY
OTHER_CHANNEL = "1999999999"


@pytest.fixture(params=["statement", "orm"])
def both_ways(request, monkeypatch):
    """Runs a test once the statement's way and once the ORM's, which a user model inheriting
    a concrete model takes: only its having parents chooses, so a stand-in with one is enough
    to send ``auth.User`` the ORM's way (the matrix runs it under such a model for real)."""
    if request.param == "orm":
        inheriting = SimpleNamespace(_meta=SimpleNamespace(parents={"a concrete model": "its link"}))
        monkeypatch.setattr(login_rows, "get_user_model", lambda: inheriting)
    return request.param


def field_values(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.fixture
def linked(line_account_factory):
    """A LINE user with a social row, an account of this channel holding tokens, and one of another."""
    account = line_account_factory(
        access_token="access-1", refresh_token="refresh-1", scopes="profile openid",
        access_token_expires_at=timezone.now() + timedelta(days=30),
    )
    social = UserSocialAuth.objects.create(
        user=account.user, provider="line", uid=account.line_user_id, extra_data={"auth_time": 1, "sub": "x"}
    )
    account.social = social
    account.save()
    line_account_factory(user=account.user, channel_id=OTHER_CHANNEL, line_user_id=account.line_user_id,
                         social=social, display_name="Other channel")
    return account


def test_the_row_user_and_account_are_the_orms_to_the_field(linked, both_ways):
    with CaptureQueriesContext(connection) as queries:
        (social,) = login_rows.social_rows("line", linked.line_user_id, CHANNEL)
        user, account = social.user, social.channel_account
        assert account.social is social
    assert len(queries) == 1
    assert field_values(social) == field_values(UserSocialAuth.objects.get())
    assert field_values(user) == field_values(type(user).objects.get(pk=linked.user_id))
    assert field_values(account) == field_values(LineAccount.objects.get(pk=linked.pk))
    assert (account.access_token, account.refresh_token) == ("access-1", "refresh-1")
    assert social.extra_data == {"auth_time": 1, "sub": "x"}
    assert timezone.is_aware(account.access_token_expires_at)
    assert not social._state.adding and social._state.db == "default"


def test_a_model_that_loads_its_own_way_is_handed_what_the_orm_hands_it(linked, both_ways, model_loads):
    UserSocialAuth.objects.get()
    get_user_model().objects.get(pk=linked.user_id)
    LineAccount.objects.get(pk=linked.pk)
    by_the_orm = model_loads[:]
    model_loads.clear()
    login_rows.social_rows("line", linked.line_user_id, CHANNEL)
    assert model_loads == by_the_orm
    assert [db for _, db, _, _ in model_loads] == ["default"] * 3


def test_a_sites_database_router_is_asked_where_the_social_rows_are(linked, both_ways, database_reads):
    login_rows.social_rows("line", linked.line_user_id, CHANNEL)
    assert database_reads == [UserSocialAuth]


@pytest.mark.skipif(bool(get_user_model()._meta.parents), reason="a user model with parents is read the ORM's way")
def test_the_statement_names_its_tables_by_what_they_are_for(linked):
    with CaptureQueriesContext(connection) as queries:
        login_rows.social_rows("line", linked.line_user_id, CHANNEL)
    (sql,) = [captured["sql"] for captured in queries.captured_queries]
    quote = connection.ops.quote_name
    assert sql.startswith(f"SELECT {quote('social')}.")
    assert f"INNER JOIN {quote(get_user_model()._meta.db_table)} {quote('social_user')}" in sql
    assert f"LEFT OUTER JOIN {quote(LineAccount._meta.db_table)} {quote('channel_account')}" in sql


def test_another_channels_account_is_not_this_logins(linked, both_ways):
    (social,) = login_rows.social_rows("line", linked.line_user_id, "1888888888")
    assert social.channel_account is None and social.user.pk == linked.user_id
    (social,) = login_rows.social_rows("line", linked.line_user_id, OTHER_CHANNEL)
    assert social.channel_account.display_name == "Other channel"


def test_an_account_without_its_social_row_is_not_found_through_it(linked, both_ways):
    LineAccount.objects.filter(pk=linked.pk).update(social=None)
    (social,) = login_rows.social_rows("line", linked.line_user_id, CHANNEL)
    assert social.channel_account is None


def test_only_the_provider_and_uid_asked_for(linked, both_ways, user_factory):
    UserSocialAuth.objects.create(user=user_factory(), provider="line_stock", uid=linked.line_user_id)
    assert [row.provider for row in login_rows.social_rows("line", linked.line_user_id, CHANNEL)] == ["line"]
    assert login_rows.social_rows("line", "U-nobody", CHANNEL) == []
    assert login_rows.social_rows("line_stock", linked.line_user_id, CHANNEL)[0].channel_account is None
