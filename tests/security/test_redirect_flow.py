"""Attacks on the web login's redirect flow, each test named after what it stops.

Catalogue references (../shared/research/security.md): ST-01..ST-08, CB-01..CB-05,
BR-01..BR-06. More flow cases live in tests/flows/test_login_flow.py.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from social_core.backends import oauth as social_oauth

from line_auth.models import LineAccount
from line_auth.testing import mask

pytestmark = pytest.mark.django_db
CALLBACK = "/accounts/line/complete/"
TOKEN = "/oauth2/v2.1/token"


def nothing_created() -> bool:
    return LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0


@pytest.mark.ST_02
def test_wrong_state_is_refused_before_any_token_request(start, client, line_emulator):
    result = line_emulator.authorize(start(client), line_emulator.add_user())
    response = client.get(CALLBACK, {"code": result.params["code"], "state": "X" * 32})
    assert response.status_code == 400
    assert line_emulator.count_calls(TOKEN) == 0 and nothing_created()


@pytest.mark.ST_03
def test_no_session_and_no_state_never_matches(line_emulator):
    response = Client().get(CALLBACK, {"code": "anything"})
    assert response.status_code == 400
    assert line_emulator.count_calls(TOKEN) == 0


@pytest.mark.ST_04
def test_attackers_state_and_code_replayed_in_the_victims_browser_are_refused(come_back, start, client, line_emulator):
    attacker = Client()
    attack = line_emulator.authorize(start(attacker), line_emulator.add_user(name="Attacker"))
    victim_response = come_back(client, attack)
    assert victim_response.status_code == 400
    assert line_emulator.count_calls(TOKEN) == 0 and nothing_created()


@pytest.mark.ST_06
def test_state_expires(come_back, start, client, line_emulator, monkeypatch):
    url = start(client)
    result = line_emulator.authorize(url, line_emulator.add_user())
    real_time = social_oauth._time
    monkeypatch.setattr(social_oauth, "_time", lambda: real_time() + 3600)
    assert come_back(client, result).status_code == 400
    assert line_emulator.count_calls(TOKEN) == 0


@pytest.mark.CB_01
@pytest.mark.CB_02
@pytest.mark.parametrize("with_state", [True, False])
def test_an_error_callback_creates_nothing_with_or_without_state(query, start, client, line_emulator, with_state):
    state = query(start(client))["state"]
    params = {"error": "ACCESS_DENIED", "error_description": "<script>alert(1)</script>"}
    if with_state:
        params["state"] = state
    response = client.get(CALLBACK, params)
    assert response.status_code in (400, 403)
    assert b"<script>alert(1)</script>" not in response.content
    assert line_emulator.count_calls(TOKEN) == 0 and nothing_created()


@pytest.mark.ST_08
def test_an_error_with_a_forged_state_does_not_consume_the_real_one(come_back, start, client, line_emulator):
    url = start(client)
    client.get(CALLBACK, {"error": "ACCESS_DENIED", "state": "forged"})
    assert come_back(client, line_emulator.authorize(url, line_emulator.add_user())).status_code == 302


@pytest.mark.AR_04
def test_a_wrong_pkce_verifier_makes_line_refuse_the_code(come_back, query, start, client, line_emulator):
    url = start(client)
    state = query(url)["state"]
    session = client.session
    key = next(name for name in session.keys() if name.endswith(state))
    session[key] = {**session[key], "code_verifier": "w" * 64}
    session.save()
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert line_emulator.count_calls(TOKEN) == 1 and nothing_created()


@pytest.mark.AR_04
def test_a_missing_pkce_verifier_is_refused_before_calling_line(come_back, query, start, client, line_emulator):
    url = start(client)
    state = query(url)["state"]
    session = client.session
    key = next(name for name in session.keys() if name.endswith(state))
    session[key] = {name: value for name, value in session[key].items() if name != "code_verifier"}
    session.save()
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert line_emulator.count_calls(TOKEN) == 0 and nothing_created()


def test_client_secret_and_verifier_go_in_the_token_request_body(come_back, query, start, client, line_emulator):
    url = start(client)
    state = query(url)["state"]
    verifier = next(value["code_verifier"] for name, value in client.session.items() if name.endswith(state))
    result = line_emulator.authorize(url, line_emulator.add_user())
    assert come_back(client, result).status_code == 302

    (call,) = [call for call in line_emulator.calls if call.path == TOKEN]
    assert call.method == "POST"
    assert call.sent("client_secret") == mask(settings.SOCIAL_AUTH_LINE_SECRET)
    assert call.sent("code_verifier") == mask(verifier)
    assert call.sent("code") == mask(result.params["code"])
    assert call.sent("grant_type") == "authorization_code"
    assert call.query == ()  # nothing in the URL, where proxies and access logs would keep it
    assert call.sent("authorization", "headers") is None


@pytest.mark.BR_01
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example", "\\/evil.example",
     "http:/\\/evil.example", "https://testserver@evil.example/", "%2F%2Fevil.example",
     "javascript:alert(1)", "data:text/html,hi", "\x08//evil.example", "/\r\nLocation: https://evil.example",
     "http:999999999", "https://evil.example%2F@testserver/"],
)
def test_open_redirect_through_next_is_refused(come_back, start, client, line_emulator, target):
    url = start(client, next=target)
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 302
    assert response["Location"] == "/done/"


@pytest.mark.BR_02
def test_next_given_at_the_callback_instead_of_the_start_is_validated_too(start, client, line_emulator):
    result = line_emulator.authorize(start(client), line_emulator.add_user())
    response = client.get(result.url + "&next=https://evil.example/")
    assert response["Location"] == "/done/"


@pytest.mark.BR_04
@pytest.mark.BR_06
@pytest.mark.parametrize("path", ["/accounts/line/login/", CALLBACK])
def test_login_pages_cannot_be_framed_or_cached(client, line_emulator, path):
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.BR_05
def test_the_callback_url_is_never_sent_as_a_referrer_to_other_sites(come_back, start, client, line_emulator):
    result = line_emulator.authorize(start(client), line_emulator.add_user())
    assert come_back(client, result)["Referrer-Policy"] == "same-origin"
    assert client.get(CALLBACK)["Referrer-Policy"] == "same-origin"


def test_the_retry_after_a_failure_keeps_where_the_visitor_was_going(come_back, start, client, line_emulator):
    url = start(client, next="/accounts/line/account/")
    page = come_back(client, line_emulator.authorize(url, line_emulator.add_user(), outcome="auto_login_failure"))
    assert b'name="next" value="/accounts/line/account/"' in page.content
