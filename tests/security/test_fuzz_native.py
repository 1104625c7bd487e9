"""Property-based fuzzing of what an app controls on the native endpoints: the login's
JSON body (any shape, any code point, deep nesting, huge values), the nonce it sends, and
the nonce endpoint's method, body and forwarding headers. Never a 5xx, always the JSON
refusal with its documented code, and nothing written on a refusal."""

from __future__ import annotations

import json
import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from social_django.models import UserSocialAuth

from line_auth.internal import nonces
from line_auth.models import LineAccount

pytestmark = [pytest.mark.django_db, pytest.mark.LA_01]

# CI replays a fixed set of examples (a red CI must be reproducible); local runs explore.
FUZZ = settings(max_examples=150, deadline=None, derandomize=os.environ.get("CI") == "true", database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def no_account_made() -> bool:
    return (LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0
            and UserSocialAuth.objects.count() == 0)


def fresh_client() -> Client:
    """A new app, with the rate-limit counters of earlier examples gone (the autouse
    fixture clears the caches once per test, not once per example)."""
    for cache in caches.all():
        cache.clear()
    return Client()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
NATIVE_KEYS = st.sampled_from(["id_token", "access_token", "nonce", "name", "userId", "x"])


# Every code point: lone surrogates (category Cs), NUL and other controls, non-ASCII.
HOSTILE_TEXT = st.one_of(
    st.text(st.characters(codec=None), max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff.x.y", "é", "ｎｏｎｃｅ", " ", "a b", "\u202e"]),
)
HOSTILE_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=8,
)
HUGE = st.sampled_from([9_000, 70_000, 3_000_000])
# Shapes json.dumps cannot produce: deep nesting, numbers past Python's digit limit,
# bodies past DATA_UPLOAD_MAX_MEMORY_SIZE, bytes that are not UTF-8.
RAW_BODIES = st.one_of(
    st.integers(min_value=900, max_value=200_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(min_value=900, max_value=200_000).map(lambda depth: '{"id_token":' * depth + "1" + "}" * depth),
    st.builds(lambda key, digits: f'{{"{key}": {"9" * digits}}}', NATIVE_KEYS, st.sampled_from([5_000, 50_000])),
    st.builds(lambda key, size: json.dumps({key: "a" * size}), NATIVE_KEYS, HUGE),
    st.binary(max_size=200),
)
# Headers reach Django as WSGI gives them: each byte one character (latin-1).
HEADER_TEXT = st.one_of(st.text(st.characters(codec="latin-1"), max_size=60),
                        st.sampled_from(["", "1.2.3.4, 5.6.7.8", "::1", "::ffff:10.0.0.1", "2001:db8::1, x"]))
NATIVE_REFUSALS = {"invalid_request": 400, "invalid_id_token": 401, "invalid_nonce": 401,
                   "invalid_access_token": 401}


def assert_native_refusal(response) -> None:
    """A documented error code with its status, and nothing written anywhere."""
    assert NATIVE_REFUSALS.get(response.json()["error"]) == response.status_code, response.content
    assert no_account_made() and Session.objects.count() == 0


@FUZZ
@given(body=st.one_of(st.dictionaries(NATIVE_KEYS, HOSTILE_JSON, max_size=4), HOSTILE_JSON, JSON_VALUES),
       raw=st.one_of(st.none(), RAW_BODIES))
def test_any_native_login_body_gets_a_json_refusal(line_emulator, body, raw):
    data = raw if raw is not None else json.dumps(body)
    response = fresh_client().post("/accounts/line/native/login/", data, content_type="application/json")
    assert_native_refusal(response)


@FUZZ
@given(sent_nonce=st.one_of(HOSTILE_TEXT, HOSTILE_JSON), signed_nonce=st.one_of(st.none(), HOSTILE_TEXT),
       alg=st.sampled_from(["ES256", "HS256"]))
def test_a_valid_id_token_with_any_other_nonce_is_refused(line_emulator, sent_nonce, signed_nonce, alg):
    """The token is LINE's own; only the nonces are hostile (the one sent, the one signed in)."""
    client = fresh_client()
    issued = client.post("/accounts/line/native/nonce/").json()["nonce"]
    token = line_emulator.make_id_token(line_emulator.add_user(), "1234567890", alg=alg,
                                        nonce=issued if signed_nonce is None else signed_nonce)
    response = client.post("/accounts/line/native/login/", json.dumps({"id_token": token, "nonce": sent_nonce}),
                           content_type="application/json")
    assert_native_refusal(response)


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       body=st.one_of(HOSTILE_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")), RAW_BODIES),
       content_type=st.one_of(HEADER_TEXT, st.just("application/json")), forwarded=HEADER_TEXT, remote=HEADER_TEXT,
       proxies=st.integers(min_value=0, max_value=3))
def test_the_nonce_endpoint_answers_any_request(method, body, content_type, forwarded, remote, proxies):
    with override_settings(LINE_AUTH_TRUSTED_PROXIES=proxies):
        response = fresh_client().generic(method, "/accounts/line/native/nonce/", body, content_type=content_type,
                                          HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    if method != "POST":
        assert response.status_code == 405
    else:
        assert response.status_code == 200, response.content
        assert nonces.consume(response.json()["nonce"])
    assert Session.objects.count() == 0 and no_account_made()
