"""Sensitive actions behind a recent LINE login (tests/urls.py guards three of them), followed
through the login page and the emulator as a visitor would go."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory

from line_auth.decorators import is_recent, reauthentication_url
from line_auth.internal.auth_time import SESSION_KEY as AUTH_TIME
from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
EMAIL = "/sensitive/email/"
CLOSE = "/sensitive/close/"
PAY = "/sensitive/pay/"
LEEWAY = 60  # LINE_AUTH_ID_TOKEN_LEEWAY's default


@pytest.fixture
def reauthenticate(client, line_emulator, query, come_back):
    """Follow a guard's redirect: the login page, its button, LINE; returns (authorization URL, callback)."""

    def follow(redirect, user, *, shift_clock=0):
        page = client.get(redirect["Location"])
        assert page.status_code == 200
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.content.decode()))
        fields = {name: html.unescape(value) for name, value in fields.items() if name != "csrfmiddlewaretoken"}
        started = client.post("/accounts/line/login/", fields)
        assert started.status_code == 302
        line_emulator.advance(shift_clock)
        return started["Location"], come_back(client, line_emulator.authorize(started["Location"], user))

    return follow


def set_auth_time(client, value):
    session = client.session
    session[AUTH_TIME] = value
    session.save()


def test_a_login_without_max_age_is_sent_through_line_with_it_and_then_let_in(
    client, line_emulator, login, query, reauthenticate
):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)  # a plain login: LINE sends no auth_time
    user_id = LineAccount.objects.get().user_id

    refused = client.get(EMAIL)
    assert refused.status_code == 302
    assert query(refused["Location"]) == {"max_age": "300", "next": EMAIL}
    assert urlsplit(refused["Location"]).path == "/accounts/line/login/"

    authorization, back = reauthenticate(refused, taro)
    assert query(authorization)["max_age"] == "300" and "prompt" not in query(authorization)
    assert back.status_code == 302 and back["Location"] == EMAIL
    allowed = client.get(EMAIL)
    assert allowed.status_code == 200 and allowed.content.decode() == f"changing the email of user {user_id}"


def test_a_fresh_line_login_is_let_straight_in(client, line_emulator, login):
    login(client, line_emulator, line_emulator.add_user(), begin={"max_age": "300"})
    assert isinstance(client.session[AUTH_TIME], int)
    assert client.get(EMAIL).status_code == 200
    assert client.get(PAY).status_code == 200


def test_a_stale_line_login_is_refused(client, line_emulator, login, query):
    login(client, line_emulator, line_emulator.add_user(), begin={"max_age": "300"})
    set_auth_time(client, int(time.time()) - 300 - LEEWAY - 5)

    refused = client.get(EMAIL)
    assert refused.status_code == 302 and query(refused["Location"])["max_age"] == "300"
    set_auth_time(client, int(time.time()) - 200)
    assert client.get(EMAIL).status_code == 200
    assert client.get(PAY).status_code == 302  # this one allows only 120 seconds


def test_an_old_auth_time_on_return_is_refused_and_the_action_stays_closed(
    client, line_emulator, login, reauthenticate
):
    """LINE answers with an authentication older than max_age: the backend refuses the login."""
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    user_id = LineAccount.objects.get().user_id

    _, back = reauthenticate(client.get(EMAIL), taro, shift_clock=-(300 + LEEWAY + 30))
    assert back.status_code == 400 and b"line-auth-failure-verification" in back.content
    assert AUTH_TIME not in client.session
    assert int(client.session["_auth_user_id"]) == user_id
    assert client.get(EMAIL).status_code == 302


def test_a_user_logged_in_without_line_goes_through_line_and_gets_linked(
    client, line_emulator, user_factory, reauthenticate
):
    local = user_factory()
    client.force_login(local)

    refused = client.get(EMAIL)
    assert refused.status_code == 302
    _, back = reauthenticate(refused, line_emulator.add_user())
    assert back["Location"] == EMAIL
    assert client.get(EMAIL).content.decode() == f"changing the email of user {local.pk}"
    assert LineAccount.objects.get().user == local


def test_an_anonymous_visitor_goes_through_line(client, line_emulator, reauthenticate):
    refused = client.get(PAY)
    assert refused.status_code == 302
    _, back = reauthenticate(refused, line_emulator.add_user())
    assert back["Location"] == PAY
    assert client.get(PAY).status_code == 200


def test_prompt_login_makes_line_ask_for_credentials_again(client, line_emulator, login, query, reauthenticate):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)

    refused = client.get(CLOSE)
    assert query(refused["Location"]) == {"max_age": "300", "prompt": "login", "next": CLOSE}
    authorization, back = reauthenticate(refused, taro)
    assert query(authorization)["prompt"] == "login"
    assert back["Location"] == CLOSE and client.get(CLOSE).status_code == 200


def test_is_recent_counts_the_backends_leeway_so_an_accepted_login_is_never_sent_round_again(
    client, line_emulator, login
):
    login(client, line_emulator, line_emulator.add_user(), begin={"max_age": "300"})
    request = RequestFactory().get(EMAIL)
    request.session, request.user = client.session, LineAccount.objects.get().user
    now = float(client.session[AUTH_TIME])
    assert is_recent(request, 300, now=now + 300 + LEEWAY)
    assert not is_recent(request, 300, now=now + 300 + LEEWAY + 1)


def test_the_way_back_keeps_the_query_of_the_action():
    request = RequestFactory().get("/sensitive/email/?step=2&to=a%26b")
    url = reauthentication_url(request, 60)
    assert url == "/accounts/line/login/?max_age=60&next=%2Fsensitive%2Femail%2F%3Fstep%3D2%26to%3Da%2526b"


def test_a_native_login_with_auth_time_counts_as_recent(client, line_emulator, sdk_login):
    assert sdk_login(client, line_emulator, auth_time=int(time.time()) - 10).status_code == 200
    assert client.get(EMAIL).status_code == 200
    assert sdk_login(client, line_emulator).status_code == 200  # no max_age: no auth_time
    assert client.get(EMAIL).status_code == 302


def test_an_anonymous_session_with_an_auth_time_is_not_recent(client):
    set_auth_time(client, int(time.time()))
    assert client.get(EMAIL).status_code == 302
