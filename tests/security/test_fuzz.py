"""Property-based fuzzing of what a visitor controls: the callback's query string
and the login start's options. Never a 500, never a state change on refusal."""

from __future__ import annotations

import os

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
# CI replays a fixed set of examples (a red CI must be reproducible); local runs explore.
FUZZ = settings(max_examples=150, deadline=None, derandomize=os.environ.get("CI") == "true", database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


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


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
NATIVE_KEYS = st.sampled_from(["id_token", "access_token", "nonce", "name", "userId", "x"])


@FUZZ
@given(body=st.one_of(st.dictionaries(NATIVE_KEYS, JSON_VALUES, max_size=4), JSON_VALUES),
       raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_any_native_login_body_gets_a_json_refusal(line_emulator, body, raw):
    import json

    client = Client()
    data = raw if raw is not None else json.dumps(body)
    response = client.post("/accounts/line/native/login/", data, content_type="application/json")
    assert response.status_code in (400, 401, 403)
    assert "error" in response.json()
    assert no_account_made()


EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from(["follow", "unfollow", "message", "join", 7, None]),
     "timestamp": st.one_of(st.integers(min_value=-1, max_value=2**63), st.text(max_size=5), st.none()),
     "source": st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["user", "group"]),
                                                "userId": st.text(max_size=40)}), JSON_VALUES),
     "webhookEventId": st.one_of(st.text(max_size=30), st.integers(), st.none()),
     "follow": st.one_of(st.fixed_dictionaries({"isUnblocked": JSON_VALUES}), JSON_VALUES)},
)


@FUZZ
@given(events=st.one_of(st.lists(EVENT, max_size=5), JSON_VALUES), tamper=st.booleans())
def test_any_webhook_body_never_fails_and_a_bad_signature_changes_nothing(settings, line_account_factory,
                                                                           events, tamper):
    import json

    from line_auth.models import FriendshipChange
    from tests.test_webhook import SECRET, signature

    settings.LINE_AUTH_WEBHOOK_SECRET = SECRET
    raw = json.dumps({"destination": "U" + "0" * 32, "events": events}).encode()
    sent_signature = signature(raw, SECRET)
    if tamper:
        raw = raw + b" "
    response = Client().generic("POST", "/accounts/line/webhook/", raw, content_type="application/json",
                                HTTP_X_LINE_SIGNATURE=sent_signature)
    assert response.status_code in (200, 400, 403)
    if tamper:
        assert response.status_code in (400, 403)
        assert FriendshipChange.objects.count() == 0
