"""Races on a real database (PostgreSQL): two requests at the same moment.

Run with LINE_AUTH_TEST_DB=postgres (scripts/test.sh does when PostgreSQL answers).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from social_django.models import UserSocialAuth

from line_auth.models import LineAccount
from tests.flow import come_back, start

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("LINE_AUTH_TEST_DB") != "postgres", reason="needs PostgreSQL"),
]


def at_once(*calls):
    """Run the calls in threads released together; each closes its DB connection."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(run, call) for call in calls]]


def test_the_same_callback_twice_at_once_logs_in_once(client, line_emulator):
    result = line_emulator.authorize(start(client), line_emulator.add_user())
    cookie = client.cookies["sessionid"].value

    def deliver():
        other = Client()
        other.cookies["sessionid"] = cookie
        return come_back(other, result).status_code

    statuses = sorted(at_once(deliver, deliver))
    assert statuses == [302, 400]
    assert line_emulator.count_calls("/oauth2/v2.1/token") == 1
    assert LineAccount.objects.count() == 1 and get_user_model().objects.count() == 1


def test_first_login_of_one_line_user_from_two_tabs_makes_one_account(line_emulator):
    taro = line_emulator.add_user()
    line_emulator.latency = 0.05  # keeps both callbacks inside the pipeline together
    tabs = [Client(), Client()]
    results = [line_emulator.authorize(start(tab), taro) for tab in tabs]
    statuses = at_once(*[lambda tab=tab, result=result: come_back(tab, result).status_code
                         for tab, result in zip(tabs, results, strict=False)])
    assert statuses == [302, 302]
    assert get_user_model().objects.count() == 1
    assert LineAccount.objects.count() == 1 and UserSocialAuth.objects.count() == 1
    assert {int(tab.session["_auth_user_id"]) for tab in tabs} == {LineAccount.objects.get().user_id}
