"""Property-based fuzzing of what an app controls on the native endpoints: the login's
JSON body (any shape, any code point, deep nesting, huge values), the nonce it sends,
the claims of a LIFF ID token sent without a nonce, and the nonce endpoint's method,
body and forwarding headers; and of what reaches a channel's webhook (any channel name,
body and signature). Never a 5xx, always the JSON refusal with its documented code,
and nothing written on a refusal."""

from __future__ import annotations

import json
import os
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from social_django.models import UserSocialAuth

from line_auth.internal import nonces
from line_auth.models import LineAccount, WebhookEvent
from line_auth.views.webhook import signature

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
                   "invalid_access_token": 401, "id_token_too_old": 401, "id_token_replayed": 401,
                   "not_a_liff_channel": 401}
LIFF_CHANNEL, BOT_SECRET = "2100000002", "b" * 32
# A LIFF channel with its own Official Account, for LIFF mode and the channel webhook.
CHANNELS = {"shop": {"CHANNEL_ID": LIFF_CHANNEL, "CHANNEL_SECRET": "2" * 32, "KIND": "liff",
                     "MESSAGING_CHANNEL_SECRET": BOT_SECRET}}


def assert_native_refusal(response) -> None:
    """A documented error code with its status, and nothing written anywhere."""
    assert NATIVE_REFUSALS.get(response.json()["error"]) == response.status_code, response.content
    assert no_account_made() and Session.objects.count() == 0


@FUZZ
@given(body=st.one_of(st.dictionaries(NATIVE_KEYS, HOSTILE_JSON, max_size=4), HOSTILE_JSON, JSON_VALUES),
       raw=st.one_of(st.none(), RAW_BODIES), liff_mode=st.booleans())
def test_any_native_login_body_gets_a_json_refusal(line_emulator, body, raw, liff_mode):
    data = raw if raw is not None else json.dumps(body)
    with override_settings(LINE_AUTH_LIFF_ID_TOKENS=liff_mode, LINE_AUTH_CHANNELS=CHANNELS):
        response = fresh_client().post("/accounts/line/native/login/", data, content_type="application/json")
    assert_native_refusal(response)


CLAIM_VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**63, max_value=2**63),
                         st.floats(allow_nan=False, allow_infinity=False), HOSTILE_TEXT,
                         st.lists(st.text(max_size=12), max_size=3),
                         st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
# PyJWT will not even sign a token whose iss, aud or sub is not text; None removes the claim.
TEXT_CLAIMS = st.dictionaries(st.sampled_from(["aud", "sub", "iss"]),
                              st.one_of(st.none(), HOSTILE_TEXT, st.just("1234567890")), max_size=2)
ANY_CLAIMS = st.dictionaries(st.sampled_from(["iat", "exp", "nonce", "name", "picture"]), CLAIM_VALUES, max_size=3)


@FUZZ
@given(claims=st.builds(lambda text, other: {**text, **other}, TEXT_CLAIMS, ANY_CLAIMS),
       alg=st.sampled_from(["ES256", "HS256"]), remote=st.booleans())
def test_a_liff_id_token_with_any_claims_logs_in_at_most_once(line_emulator, claims, alg, remote):
    """LINE signed it, but any claim may be odd: it logs in once, or gets a documented refusal."""
    if LIFF_CHANNEL not in line_emulator.platform.channels:
        line_emulator.add_liff_channel(LIFF_CHANNEL, "2" * 32)
    before = LineAccount.objects.count()
    token = line_emulator.make_id_token(line_emulator.add_user(), LIFF_CHANNEL, alg=alg, **claims)
    settings_in_force = {"LINE_AUTH_LIFF_ID_TOKENS": True, "LINE_AUTH_CHANNELS": CHANNELS,
                         "LINE_AUTH_NATIVE_VERIFY": "remote" if remote else "local"}
    with override_settings(**settings_in_force):
        client = fresh_client()
        first = client.post("/accounts/line/native/login/", json.dumps({"id_token": token}),
                            content_type="application/json")
        again = Client().post("/accounts/line/native/login/", json.dumps({"id_token": token}),
                              content_type="application/json")
    if first.status_code == 200:  # the sub may be an earlier example's: a returning user
        assert LineAccount.objects.filter(channel_id=LIFF_CHANNEL, line_user_id=first.json()["line_user_id"]).exists()
        assert again.status_code == 401 and again.json()["error"] == "id_token_replayed"
    else:
        assert NATIVE_REFUSALS.get(first.json()["error"]) == first.status_code, first.content
        assert NATIVE_REFUSALS.get(again.json()["error"]) == again.status_code, again.content
        assert LineAccount.objects.count() == before


@FUZZ
@given(name=st.one_of(HOSTILE_TEXT, st.sampled_from(["shop", "default", "SHOP", "shop/x", "..", "%2e%2e"])),
       raw=st.one_of(st.binary(max_size=200), HOSTILE_JSON.map(lambda value: json.dumps(value).encode())),
       sig=st.one_of(HEADER_TEXT, st.just(None)))
def test_any_request_to_a_channel_webhook_is_answered_without_a_5xx(name, raw, sig):
    """``sig=None`` signs the body with the channel's own secret, so parsing is reached too."""
    url = f"/accounts/line/webhook/{quote(name.encode('utf-8', 'surrogatepass'), safe='')}/"
    claimed = signature(raw, BOT_SECRET) if sig is None else sig
    with override_settings(LINE_AUTH_CHANNELS=CHANNELS):
        response = fresh_client().generic("POST", url, raw, content_type="application/json",
                                          HTTP_X_LINE_SIGNATURE=claimed)
    assert response.status_code in (200, 400, 403, 404), response.status_code
    if response.status_code != 200:
        assert WebhookEvent.objects.count() == 0


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
