"""The shared budget of calls to LINE, LINE's 429, and the checks on background work settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.core.checks import Warning

from line_auth.channels import default_channel
from line_auth.checks import background_work
from line_auth.client import LineClient
from line_auth.exceptions import LineAPIError
from line_auth.internal import budget

TOKEN = "/oauth2/v2.1/token"
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def clock(monkeypatch):
    """A clock at the start of a window that moves only when the budget waits."""
    now = [1000.0]

    def wait(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(budget, "clock", lambda: now[0])
    monkeypatch.setattr(budget, "sleep", wait)
    return now


@pytest.mark.parametrize(
    ("rate", "calls", "seconds"), [(10, 30, 2.9), (100, 30, 0.2), (0.5, 3, 4.0), (15, 31, 2.0), (25, 51, 2.0)]
)
def test_the_budget_lets_through_its_rate_and_no_more(settings, clock, rate, calls, seconds):
    settings.LINE_AUTH_LINE_REQUESTS_PER_SECOND = rate
    for _ in range(calls):
        budget.spend()
    # The last call went in the first moment its window allowed.
    assert clock[0] - 1000 == pytest.approx(seconds)


def test_without_a_budget_nothing_waits(settings, clock):
    settings.LINE_AUTH_LINE_REQUESTS_PER_SECOND = None
    for _ in range(1000):
        budget.spend()
    assert clock[0] == 1000


def test_a_hold_off_stops_every_caller_until_it_ends(settings, clock):
    settings.LINE_AUTH_LINE_REQUESTS_PER_SECOND = None
    budget.hold_off(7)
    budget.hold_off(2)  # a shorter hold from another process does not shorten it
    budget.spend()
    assert clock[0] == pytest.approx(1007)


@pytest.mark.django_db
def test_a_429_holds_every_process_off_for_the_clients_back_off(settings, clock, retry_pauses, line_emulator):
    settings.LINE_AUTH_LINE_REQUESTS_PER_SECOND = None
    line_emulator.fail_next(TOKEN, status=429, body='{"message":"Too many requests"}')
    with pytest.raises(LineAPIError) as refused:  # retried after the 429; "r" is no refresh token
        LineClient().refresh(default_channel(), "r")
    assert refused.value.error == "invalid_grant"
    (pause,) = retry_pauses
    budget.spend()
    assert clock[0] == pytest.approx(1000 + pause)


@pytest.mark.django_db
def test_a_429_with_retry_after_waits_that_long(settings, clock, retry_pauses, monkeypatch):
    settings.LINE_AUTH_LINE_REQUESTS_PER_SECOND = None
    settings.LINE_AUTH_REQUESTS_RETRIES = 1
    answers = []
    for status in (429, 200):
        answer = requests.Response()
        answer.status_code, answer._content = status, b'{"access_token": "a"}'
        answer.headers["Retry-After"] = "30"
        answers.append(answer)
    client = LineClient()
    monkeypatch.setattr(client.session, "request", lambda *args, **kwargs: answers.pop(0))
    client.refresh(default_channel(), "r")
    assert retry_pauses == [30]
    budget.spend()
    assert clock[0] == pytest.approx(1030)


def test_a_celery_engine_without_celery_is_an_error(settings, monkeypatch):
    settings.LINE_AUTH_TASK_ENGINE = "celery"
    monkeypatch.setattr(background_work, "find_spec", lambda name: None)
    assert background_work.check_background_work() == [background_work.engine_not_installed("celery")]


def test_the_django_engine_on_the_immediate_backend_is_a_warning(settings):
    settings.LINE_AUTH_TASK_ENGINE = "django"
    assert background_work.check_background_work() == [background_work.tasks_run_in_request()]
    assert isinstance(background_work.tasks_run_in_request(), Warning)
    settings.TASKS = DB_TASKS
    assert background_work.check_background_work() == []


@pytest.mark.django_db
def test_a_batch_takes_one_slot_of_the_budget_per_call_to_line(
    settings, clock, linked_account, line_emulator, line_account_factory
):
    from line_auth import tokens

    settings.LINE_AUTH_LINE_REQUESTS_PER_SECOND = 10  # one call per 0.1 s window
    for _ in range(3):
        linked_account(line_emulator, line_account_factory, expires_in=timedelta(hours=1))
    assert tokens.refresh_many(tokens.due_for_refresh(), concurrency=1)[tokens.Outcome.REFRESHED] == 3
    assert clock[0] - 1000 == pytest.approx(0.2)  # the 2nd and 3rd call each waited a window
