"""When a login asks LINE about the friendship: only with the add-friend option or when the
site asks for it, and then only when the status is unknown or LINE says it changed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from line_auth import pipeline
from line_auth.models import Friendship, FriendshipChange, LineAccount

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"
FRIENDSHIP = "/friendship/v1/status"


def test_without_the_add_friend_option_a_forged_change_is_not_a_reason_to_ask(
    start, client, line_emulator
):
    taro = line_emulator.add_user()
    line_emulator.set_friend(taro.user_id, settings.SOCIAL_AUTH_LINE_KEY, True)
    result = line_emulator.authorize(start(client), taro)
    assert client.get(result.url + "&friendship_status_changed=true").status_code == 302
    assert [call.path for call in line_emulator.calls] == [TOKEN]
    assert LineAccount.objects.get().friendship == Friendship.UNKNOWN


def test_the_add_friend_option_asks_once_then_only_when_line_says_it_changed(login, client, line_emulator):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro, begin={"bot_prompt": "normal"})
    assert [call.path for call in line_emulator.calls] == [TOKEN, FRIENDSHIP]
    assert LineAccount.objects.get().friendship == Friendship.NOT_FRIEND

    for add_friend, calls in ((False, [TOKEN]), (True, [TOKEN, FRIENDSHIP])):
        client.logout()
        line_emulator.reset_calls()
        login(client, line_emulator, taro, begin={"bot_prompt": "normal"}, add_friend=add_friend)
        assert [call.path for call in line_emulator.calls] == calls
    assert LineAccount.objects.get().friendship == Friendship.FRIEND


def test_the_add_friend_option_from_the_settings_asks_too(login, client, line_emulator, settings):
    settings.LINE_AUTH_AUTHORIZATION_OPTIONS = {"bot_prompt": "aggressive"}
    login(client, line_emulator, line_emulator.add_user(), add_friend=True)
    assert [call.path for call in line_emulator.calls] == [TOKEN, FRIENDSHIP]
    assert LineAccount.objects.get().friendship == Friendship.FRIEND


def test_the_fetch_setting_asks_for_an_unknown_status_without_the_option(
    start, client, line_emulator, settings
):
    settings.LINE_AUTH_FETCH_FRIENDSHIP = True
    taro = line_emulator.add_user()
    line_emulator.set_friend(taro.user_id, settings.SOCIAL_AUTH_LINE_KEY, True)
    assert client.get(line_emulator.authorize(start(client), taro).url).status_code == 302
    assert [call.path for call in line_emulator.calls] == [TOKEN, FRIENDSHIP]
    assert LineAccount.objects.get().friendship == Friendship.FRIEND

    client.logout()
    line_emulator.reset_calls()
    # Known now; a change LINE could not have reported (no add-friend option) asks nothing.
    result = line_emulator.authorize(start(client), taro)
    assert client.get(result.url + "&friendship_status_changed=true").status_code == 302
    assert [call.path for call in line_emulator.calls] == [TOKEN]


def test_a_login_without_the_profile_scope_never_asks(login, client, line_emulator):
    response = login(client, line_emulator, line_emulator.add_user(), begin={"bot_prompt": "normal", "scope": "openid"})
    assert response.status_code == 302
    assert [call.path for call in line_emulator.calls] == [TOKEN]


def test_a_native_login_asks_nothing_about_friendship_by_default(sdk_login, client, line_emulator):
    assert sdk_login(client, line_emulator).status_code == 200
    assert line_emulator.count_calls(FRIENDSHIP) == 0


@pytest.mark.django_db(transaction=True)  # the login's own transactions, not the test's
def test_a_status_learned_at_a_returning_login_is_kept_only_with_its_history(
    login, client, line_emulator, monkeypatch
):
    """A returning login runs without the pipeline's transaction; the status it learns and the
    history row recording the change are still written together or not at all."""
    taro = line_emulator.add_user()
    login(client, line_emulator, taro, begin={"bot_prompt": "normal"})
    client.logout()

    def history_lost(changes):
        raise DatabaseError("the history row could not be written")

    monkeypatch.setattr(pipeline, "save_changes", history_lost)
    with pytest.raises(DatabaseError):
        login(client, line_emulator, taro, begin={"bot_prompt": "normal"}, add_friend=True)
    assert LineAccount.objects.get().friendship == Friendship.NOT_FRIEND


def test_a_first_login_that_learns_the_friendship_adds_no_savepoint(login, client, line_emulator):
    """Its status and history row are already in the first login's transaction."""
    def savepoints(**begin):
        client.logout()
        with CaptureQueriesContext(connection) as queries:
            assert login(client, line_emulator, line_emulator.add_user(), **begin).status_code == 302
        return sum(query["sql"].startswith("SAVEPOINT") for query in queries.captured_queries)

    assert savepoints(begin={"bot_prompt": "normal"}, add_friend=True) == savepoints()
    assert FriendshipChange.objects.count() == 1
