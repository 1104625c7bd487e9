"""Property-based fuzzing of everything a visitor, an app or a forger controls on the public
web views: the login start, LINE's callback (query and form_post), the account page, unlink,
the error page and the webhook. Never a 5xx, always a stable error page or status, and
nothing written on a refusal.

Inputs reach the views the way a hostile client can send them: raw percent-encoded query
strings and bodies (Django's test client refuses to encode a lone surrogate, so the values
are encoded here, as invalid UTF-8), repeated parameters, NUL, non-ASCII, huge values, and
for JSON deep nesting and wrong types.
"""

from __future__ import annotations

import json
import os
import re
from itertools import count
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.utils.http import MAX_URL_REDIRECT_LENGTH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from social_django.models import UserSocialAuth

from line_auth.models import FriendshipChange, LineAccount, PendingFriendship, WebhookEvent
from line_auth.views.failures import FAILURES
from line_auth.views.webhook import signature

pytestmark = [pytest.mark.django_db, pytest.mark.LA_01]

BEGIN = "/accounts/line/login/"
CALLBACK = "/accounts/line/complete/"
ACCOUNT = "/accounts/line/account/"
DISCONNECT = "/accounts/line/disconnect/"
WEBHOOK = "/accounts/line/webhook/"
WEBHOOK_SECRET = "fuzz-webhook-secret"
FORM = "application/x-www-form-urlencoded"

# CI replays a fixed set of examples (a red CI must be reproducible); local runs explore.
FUZZ = settings(max_examples=150, deadline=None, derandomize=os.environ.get("CI") == "true", database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Any character, plus what Hypothesis leaves out unless asked: lone surrogates (category Cs).
CHARS = st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\r\n\x7f%&=+;#é日"))
TEXT = st.one_of(
    st.text(CHARS, max_size=60),
    st.sampled_from(["", "\x00", "\ud800", "\udfff", "a\x00b", "1.5", "-1", "1e3", "٣", str(2**63), "9" * 5000,
                     "A" * 20_000, "true", "ACCESS_DENIED", "access_denied", "//evil.example",
                     "https://evil.example/", "%00", "%ED%A0%80", "form_post", "openid profile email"]),
)
# What a query string or form body carries after percent-decoding: text, or bytes that are
# not UTF-8 at all (a lone surrogate's UTF-8 form is one of those).
RAW_VALUES = st.one_of(TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=40))


def encoded(pairs: list[tuple[str, bytes]]) -> str:
    """``name=value&...`` percent-encoded byte for byte, repeated names kept."""
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


def pairs_of(*names: str):
    """Parameter lists over a few names, so repeats are common."""
    return st.lists(st.tuples(st.sampled_from(names), RAW_VALUES), max_size=8)


def failure_kind(response) -> str:
    """The stable failure the friendly page shows, from its body class."""
    found = re.search(rb"line-auth-failure-([a-z_]+)", response.content)
    assert found, response.content[:500]
    return found.group(1).decode()


def get(client: Client, path: str, pairs: list[tuple[str, bytes]]):
    return client.get(path, QUERY_STRING=encoded(pairs))


def post(client: Client, path: str, pairs: list[tuple[str, bytes]]):
    return client.generic("POST", path, encoded(pairs), content_type=FORM)


def fresh_client() -> Client:
    """A new visitor, with the rate-limit counters of earlier examples gone (the autouse
    fixture clears the caches once per test, not once per example)."""
    for cache in caches.all():
        cache.clear()
    return Client()


def no_account_made() -> bool:
    return (LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0
            and UserSocialAuth.objects.count() == 0)


CALLBACK_NAMES = ("code", "state", "error", "error_description", "friendship_status_changed", "next",
                  "liffClientId", "response", "scope", "x")
OPTION_NAMES = ("scope", "prompt", "max_age", "ui_locales", "bot_prompt", "switch_amr", "initial_amr_display",
                "disable_auto_login", "disable_ios_auto_login", "response_mode", "next", "x")


@FUZZ
@given(pairs=pairs_of(*CALLBACK_NAMES), next_values=st.lists(RAW_VALUES, max_size=2),
       method=st.sampled_from(["GET", "POST"]), real_state=st.booleans())
def test_any_callback_is_refused_with_the_error_page(query, line_emulator, pairs, next_values, method, real_state):
    """The callback (GET for query, POST for form_post) after a real login start, whose
    hostile ``next`` the error page's retry form shows. With the real state last (the
    value that counts), the hostile code and error reach the exchange with LINE."""
    client = fresh_client()
    started = post(client, BEGIN, [("bot_prompt", b"normal"), *[("next", value) for value in next_values]])
    if real_state:
        pairs = [*pairs, ("state", query(started["Location"])["state"].encode())]
    sessions = Session.objects.count()
    response = (get if method == "GET" else post)(client, CALLBACK, pairs)
    assert response.status_code in (400, 403)
    assert failure_kind(response) in FAILURES
    assert no_account_made() and Session.objects.count() == sessions


# Options with values LINE accepts, mixed in so that starts which do go to LINE are explored too.
ACCEPTED_OPTIONS = st.sampled_from([
    ("prompt", b"consent"), ("max_age", b"600"), ("ui_locales", b"ja th"), ("bot_prompt", b"aggressive"),
    ("initial_amr_display", b"lineqr"), ("switch_amr", b"true"), ("disable_auto_login", b"false"),
    ("response_mode", b"query"), ("response_mode", b"form_post"), ("scope", b"profile openid"), ("next", b"/n/"),
])
START_PAIRS = st.lists(st.one_of(ACCEPTED_OPTIONS, st.tuples(st.sampled_from(OPTION_NAMES), RAW_VALUES)), max_size=8)


@FUZZ
@given(pairs=START_PAIRS)
def test_any_login_start_either_goes_to_line_or_is_a_clear_400(query, line_emulator, pairs):
    sessions = Session.objects.count()  # the database is not rolled back between examples
    response = post(fresh_client(), BEGIN, pairs)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response["Location"].startswith("https://access.line.me/oauth2/v2.1/authorize?")
        # The test settings keep Django's SameSite=Lax session cookie, which LINE's POST would lose.
        assert query(response["Location"]).get("response_mode") != "form_post"
    else:
        assert failure_kind(response) == "invalid_option"
        assert Session.objects.count() == sessions  # a refused start stores nothing
    assert line_emulator.calls == []
    assert no_account_made()


@FUZZ
@given(pairs=pairs_of(*OPTION_NAMES))
def test_any_login_page_query_shows_the_button(line_emulator, pairs):
    sessions = Session.objects.count()
    response = get(fresh_client(), BEGIN, pairs)
    assert response.status_code == 200 and b"line-auth-line-button" in response.content
    assert Session.objects.count() == sessions and line_emulator.calls == []


USERS = count()


@pytest.fixture
def signed_in(line_account_factory):
    """A fresh visitor with one LINE account and no password per example (the database
    is not rolled back between Hypothesis examples), so no request may unlink it."""

    def make() -> tuple[Client, LineAccount]:
        account = line_account_factory(line_user_id=f"U{next(USERS):032x}")
        client = fresh_client()
        client.force_login(account.user)
        return client, account

    return make


@FUZZ
@given(pairs=pairs_of("account", "next", "x"), own=st.booleans())
def test_any_unlink_request_is_a_page_or_a_redirect_and_unlinks_nothing(line_emulator, signed_in, pairs, own):
    client, account = signed_in()
    if own:  # the visitor's real account, among hostile repeats
        pairs = [*pairs, ("account", str(account.pk).encode())]
    before = (LineAccount.objects.count(), UserSocialAuth.objects.count(), get_user_model().objects.count())
    response = post(client, DISCONNECT, pairs)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert b"That LINE account is not linked to you." in response.content
    after = (LineAccount.objects.count(), UserSocialAuth.objects.count(), get_user_model().objects.count())
    assert after == before and line_emulator.calls == []


@FUZZ
@given(pairs=pairs_of("next", "page", "x"), signed=st.booleans())
def test_any_account_page_query_shows_the_page_or_asks_for_a_login(line_emulator, signed_in, pairs, signed):
    client = signed_in()[0] if signed else fresh_client()
    response = get(client, ACCOUNT, pairs)
    if signed:
        assert response.status_code == 200
    elif 3 * len(encoded(pairs)) > MAX_URL_REDIRECT_LENGTH - 100:  # quoted again inside login's ?next=
        assert response.status_code in (302, 400)  # Django's login_required will not redirect that far
    else:
        assert response.status_code == 302


# Webhook: JSON values of every type, with hostile text and numbers past any column or datetime.
HOSTILE_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**200), max_value=2**200) | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARS, max_size=12), inner, max_size=4),
    max_leaves=12,
)
LINE_IDS = st.one_of(st.just("U" + "a" * 32), st.just("01HMQGW40RZJPJM3FO00000000"), TEXT, HOSTILE_JSON)
TIMESTAMPS = st.one_of(st.integers(min_value=-1, max_value=2**63),
                       st.sampled_from([2**64, 10**400, 253_402_300_800_000]), HOSTILE_JSON)
EVENT = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["follow", "unfollow", "message", "join"]), HOSTILE_JSON),
     "timestamp": TIMESTAMPS,
     "source": st.one_of(st.fixed_dictionaries({"type": st.sampled_from(["user", "group"]), "userId": LINE_IDS}),
                         HOSTILE_JSON),
     "webhookEventId": LINE_IDS,
     "follow": st.one_of(st.fixed_dictionaries({"isUnblocked": HOSTILE_JSON}), HOSTILE_JSON)},
)
BODIES = st.one_of(
    st.lists(EVENT, max_size=5).map(lambda events: json.dumps({"destination": "U" + "0" * 32, "events": events})),
    HOSTILE_JSON.map(lambda value: json.dumps({"events": value})),
    HOSTILE_JSON.map(json.dumps),
    st.integers(min_value=1, max_value=200_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(min_value=1, max_value=50_000).map(lambda depth: '{"events": ' + '{"a": ' * depth + "1" + "}" * depth
                                                   + "}"),
).map(lambda text: text.encode()) | st.binary(max_size=200)


def webhook_rows() -> tuple[int, int, int]:
    return WebhookEvent.objects.count(), FriendshipChange.objects.count(), PendingFriendship.objects.count()


@FUZZ
@given(raw=BODIES, tamper=st.booleans())
def test_any_webhook_body_never_fails_and_a_refusal_changes_nothing(settings, raw, tamper):
    """Signed bodies too: the signature proves who sent a body, not that it is well formed."""
    settings.LINE_AUTH_WEBHOOK_SECRET = WEBHOOK_SECRET
    sent_signature = signature(raw, WEBHOOK_SECRET)
    if tamper:
        raw = raw + b" "
    before = webhook_rows()
    response = fresh_client().generic("POST", WEBHOOK, raw, content_type="application/json",
                                HTTP_X_LINE_SIGNATURE=sent_signature)
    assert response.status_code in ((403,) if tamper else (200, 400))
    if response.status_code != 200:
        assert webhook_rows() == before
