"""Races on a real database (PostgreSQL): two requests inside the same critical section.

Nothing is timed: each test stops one request at a known point (at LINE with
``hold_next``, or at a barrier in the pipeline) until the other is provably there too.

Run with LINE_AUTH_TEST_DB=postgres (scripts/test.sh does when PostgreSQL answers).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from social_core.pipeline import user as user_steps
from social_django.models import UserSocialAuth

from line_auth.models import LineAccount

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("LINE_AUTH_TEST_DB") != "postgres", reason="needs PostgreSQL"),
]
TOKEN = "/oauth2/v2.1/token"


def closing_connection(call):
    """``call`` for another thread, which must close the database connection it opened."""

    def run():
        try:
            return call()
        finally:
            connection.close()

    return run


@pytest.mark.CC_01
def test_the_same_callback_twice_at_once_logs_in_once(come_back, start, client, line_emulator):
    """The second delivery arrives while the first is exchanging the code at LINE, so both
    find the login's state in the session they share: only one may use it."""
    result = line_emulator.authorize(start(client), line_emulator.add_user())
    cookie = client.cookies["sessionid"].value

    def deliver():
        other = Client()
        other.cookies["sessionid"] = cookie
        return come_back(other, result).status_code

    with line_emulator.hold_next(TOKEN) as first_at_line, ThreadPoolExecutor(1) as pool:
        first = pool.submit(closing_connection(deliver))
        first_at_line.wait_for_arrival()
        second = deliver()
        first_at_line.release()
        statuses = [first.result(), second]

    assert statuses == [302, 400]
    assert line_emulator.count_calls(TOKEN) == 1
    assert LineAccount.objects.count() == 1 and get_user_model().objects.count() == 1


@pytest.mark.CC_04
def test_first_login_of_one_line_user_from_two_tabs_makes_one_account(
    come_back, parallel_probe, start, line_emulator, monkeypatch
):
    """Both tabs have looked the LINE user up and found no one before either creates a user;
    the tab that loses the race must end up in the winner's account."""
    monkeypatch.setattr(user_steps, "create_user", parallel_probe(user_steps.create_user, together=2))
    taro = line_emulator.add_user()
    tabs = [Client(), Client()]
    results = [line_emulator.authorize(start(tab), taro) for tab in tabs]
    with ThreadPoolExecutor(len(tabs)) as pool:
        callbacks = [pool.submit(closing_connection(lambda tab=tab, result=result: come_back(tab, result)))
                     for tab, result in zip(tabs, results, strict=True)]
        statuses = [callback.result().status_code for callback in callbacks]
    assert statuses == [302, 302]
    assert get_user_model().objects.count() == 1
    assert LineAccount.objects.count() == 1 and UserSocialAuth.objects.count() == 1
    assert {int(tab.session["_auth_user_id"]) for tab in tabs} == {LineAccount.objects.get().user_id}
