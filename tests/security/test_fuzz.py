"""Property-based fuzzing of what a visitor controls: the callback's query string
and the login start's options. Never a 500, never a state change on refusal."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db

NAMES = st.sampled_from(["code", "state", "error", "error_description", "friendship_status_changed",
                         "next", "liffClientId", "response", "scope", "x"])
VALUES = st.one_of(st.text(max_size=300), st.sampled_from(["", "ACCESS_DENIED", "access_denied",
                                                           "true", "//evil.example", "\x00", "%00"]))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def no_account_made() -> bool:
    return LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0


@FUZZ
@given(params=st.dictionaries(NAMES, VALUES, max_size=6), method=st.sampled_from(["get", "post"]))
def test_any_callback_query_is_refused_cleanly(line_emulator, params, method):
    client = Client()
    client.post("/accounts/line/login/")  # a real pending login in this session
    response = getattr(client, method)("/accounts/line/complete/", params)
    assert response.status_code in (400, 403)
    assert no_account_made()


OPTION_NAMES = st.sampled_from(["scope", "prompt", "max_age", "ui_locales", "bot_prompt", "switch_amr",
                                "initial_amr_display", "disable_auto_login", "response_mode", "next"])


@FUZZ
@given(options=st.dictionaries(OPTION_NAMES, st.text(max_size=80), max_size=5))
def test_any_login_start_either_goes_to_line_or_is_a_clear_400(line_emulator, options):
    response = Client().post("/accounts/line/login/", options)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response["Location"].startswith("https://access.line.me/oauth2/v2.1/authorize?")
    assert line_emulator.calls == []
