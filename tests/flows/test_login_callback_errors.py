"""Why a web login failed, as the developer reads it in the log line, for each way the
callback can go wrong; and the visitor's page and an untouched database in every case."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"
CALLBACK = "/accounts/line/complete/"


def failures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("LINE login failed:")]


def nothing_created() -> bool:
    return not LineAccount.objects.exists() and not get_user_model().objects.exists()


def token_response(**fields) -> str:
    body = {"access_token": "a.b.c", "token_type": "Bearer", "expires_in": 2592000, "scope": "profile openid"}
    body.update(fields)
    return json.dumps({name: value for name, value in body.items() if value is not None})


@pytest.fixture
def with_id_token(start, query, come_back):
    """A login whose token response carries an ID token signed here, with ``claims``."""

    def log_in(client, line_emulator, factory, caplog, **claims):
        url = start(client)
        claims.setdefault("nonce", query(url)["nonce"])
        line_emulator.fail_next(TOKEN, status=200, body=token_response(id_token=factory(**claims)))
        caplog.clear()
        return come_back(client, line_emulator.authorize(url, line_emulator.add_user()))

    return log_in


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        ("ACCESS_DENIED", "kind=cancelled code=authorization_declined stage=callback"),
        ("access_denied", "kind=cancelled code=authorization_declined stage=callback"),
        ("INVALID_REQUEST", "kind=configuration code=invalid_setting stage=callback"),
        ("SERVER_ERROR", "kind=unavailable code=unavailable stage=callback"),
        ("SOMETHING_NEW", "kind=line_error code=http_error stage=callback"),
    ],
)
def test_an_error_from_line_is_classified_case_insensitively(
    client, line_emulator, caplog, error, logged, start, query
):
    state = query(start(client))["state"]
    caplog.clear()
    response = client.get(CALLBACK, {"state": state, "error": error, "error_description": "x"})
    assert response.status_code in (400, 403)
    assert len(failures(caplog)) == 1 and logged in failures(caplog)[0], failures(caplog)
    assert nothing_created() and line_emulator.count_calls(TOKEN) == 0


def test_a_callback_without_a_code_names_the_missing_parameter(client, line_emulator, caplog, start, query):
    state = query(start(client))["state"]
    caplog.clear()
    response = client.get(CALLBACK, {"state": state})
    assert response.status_code == 400
    assert failures(caplog) == [
        "LINE login failed: kind=verification code=missing_parameter stage=callback parameter=code"
    ]
    assert nothing_created() and line_emulator.count_calls(TOKEN) == 0


def test_a_token_response_without_id_token_names_the_missing_claim(client, line_emulator, caplog, start, come_back):
    url = start(client)
    line_emulator.fail_next(TOKEN, status=200, body=token_response())
    caplog.clear()
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert failures(caplog) == [
        "LINE login failed: kind=verification code=missing_claim stage=token_validation parameter=id_token"
    ]
    assert nothing_created()


def test_a_bad_signature_and_a_bad_claim_are_told_apart(client, line_emulator, id_token_factory, caplog, with_id_token):
    with_id_token(client, line_emulator, id_token_factory, caplog, key="f" * 32)
    assert failures(caplog) == [
        "LINE login failed: kind=verification code=invalid_signature stage=token_validation parameter=-"
    ]
    with_id_token(client, line_emulator, id_token_factory, caplog, nonce="another-login")
    assert failures(caplog) == [
        "LINE login failed: kind=verification code=invalid_claim stage=token_validation parameter=-"
    ]
    rejected = [r.getMessage() for r in caplog.records if r.name == "line_auth.backends"]
    assert rejected == ["LINE ID token rejected: nonce mismatch"]
    assert nothing_created()


def test_the_id_token_is_checked_against_this_channel_and_issuer(
    client, line_emulator, id_token_factory, caplog, with_id_token
):
    with_id_token(client, line_emulator, id_token_factory, caplog, aud="999")
    assert [r.getMessage() for r in caplog.records if r.name == "line_auth.backends"] == [
        "LINE ID token rejected: wrong audience"]
    with_id_token(client, line_emulator, id_token_factory, caplog, iss="https://evil.example")
    assert [r.getMessage() for r in caplog.records if r.name == "line_auth.backends"] == [
        "LINE ID token rejected: wrong issuer"]
    assert nothing_created()


def test_the_leeway_setting_applies_to_the_web_login_id_token(
    client, line_emulator, id_token_factory, caplog, with_id_token, settings
):
    """With no leeway, a token that expired 30 seconds ago is refused (the default 60 s would pass it)."""
    settings.LINE_AUTH_ID_TOKEN_LEEWAY = 0
    now = int(time.time())
    response = with_id_token(client, line_emulator, id_token_factory, caplog, iat=now - 600, exp=now - 30)
    assert response.status_code == 400
    assert [r.getMessage() for r in caplog.records if r.name == "line_auth.backends"] == [
        "LINE ID token rejected: expired"]
    assert nothing_created()


def test_max_age_from_the_login_start_is_enforced_at_the_callback(
    client, line_emulator, id_token_factory, caplog, start, query, come_back
):
    url = start(client, max_age="300")
    nonce = query(url)["nonce"]
    stale = id_token_factory(nonce=nonce, auth_time=int(time.time()) - 3600)
    line_emulator.fail_next(TOKEN, status=200, body=token_response(id_token=stale))
    caplog.clear()
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert [r.getMessage() for r in caplog.records if r.name == "line_auth.backends"] == [
        "LINE ID token rejected: authentication older than max_age"]
    assert nothing_created()


@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        ({"status": 429, "body": '{"message":"rate limit"}'},
         "kind=unavailable code=rate_limited stage=token_exchange"),
        ({"status": 500, "body": '{"message":"oops"}'}, "kind=unavailable code=unavailable stage=token_exchange"),
        ({"status": 400, "body": '{"error":"invalid_grant"}'},
         "kind=session code=authorization_code_rejected stage=token_exchange"),
        ({"status": 403, "body": '{"message":"forbidden"}'}, "kind=line_error code=http_error stage=token_exchange"),
        ({"kind": "timeout"}, "kind=unavailable code=unavailable stage=token_exchange"),
        ({"kind": "connection_refused"}, "kind=unavailable code=unavailable stage=token_exchange"),
    ],
)
def test_a_failed_token_exchange_is_classified(client, line_emulator, caplog, fault, logged, start, come_back):
    """The code is single-use, so the token request is never retried, whatever LINE said."""
    url = start(client)
    line_emulator.fail_next(TOKEN, **fault)
    caplog.clear()
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert len(failures(caplog)) == 1 and logged in failures(caplog)[0], failures(caplog)
    assert nothing_created() and line_emulator.count_calls(TOKEN) == 1


@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        ({"status": 200, "body": '{"displayName":"Taro"}'},
         "kind=verification code=missing_claim stage=user_info parameter=userId"),
        ({"status": 401, "body": '{"message":"invalid token"}'}, "kind=line_error code=http_error stage=user_info"),
        ({"status": 500, "body": '{"message":"oops"}', "times": 3},
         "kind=unavailable code=unavailable stage=user_info"),
    ],
)
def test_a_failed_profile_call_without_openid_is_classified(
    client, line_emulator, caplog, fault, logged, start, come_back
):
    url = start(client, scope="profile")
    line_emulator.fail_next("/v2/profile", **fault)
    caplog.clear()
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert len(failures(caplog)) == 1 and logged in failures(caplog)[0], failures(caplog)
    assert nothing_created()


# -- what a successful login copies to the user --


def test_the_display_name_becomes_the_username_and_first_name(client, line_emulator, login):
    assert login(client, line_emulator, line_emulator.add_user(name="Hanako")).status_code == 302
    user = get_user_model().objects.get()
    assert (user.username, user.first_name, user.last_name, user.email) == ("Hanako", "Hanako", "", "")


def test_a_display_name_of_several_words_is_kept_whole_in_first_name(client, line_emulator, login):
    """LINE names are not "first last" (Japanese order, nicknames): nothing is split off."""
    assert login(client, line_emulator, line_emulator.add_user(name="Yamada Taro")).status_code == 302
    user = get_user_model().objects.get()
    assert (user.first_name, user.last_name) == ("Yamada Taro", "")


def test_without_a_display_name_the_line_user_id_is_the_username(client, line_emulator, login):
    hanako = line_emulator.add_user(name="")
    assert login(client, line_emulator, hanako).status_code == 302
    user = get_user_model().objects.get()
    assert (user.username, user.first_name) == (hanako.user_id, "")


def test_email_reaches_the_user_only_when_trusted(client, line_emulator, settings, login):
    assert login(client, line_emulator, line_emulator.add_user(name="A", email="a@example.com"),
                 begin={"scope": "profile openid email"}).status_code == 302
    assert get_user_model().objects.get(username="A").email == ""
    settings.LINE_AUTH_TRUST_EMAIL = True
    client.logout()
    assert login(client, line_emulator, line_emulator.add_user(name="B", email="b@example.com"),
                 begin={"scope": "profile openid email"}).status_code == 302
    assert get_user_model().objects.get(username="B").email == "b@example.com"


def test_the_social_auth_row_keeps_expiry_scope_and_type_but_no_token_or_login_time(client, line_emulator, login):
    assert login(client, line_emulator, line_emulator.add_user(), begin={"max_age": "600"}).status_code == 302
    from social_django.models import UserSocialAuth

    extra = UserSocialAuth.objects.get().extra_data
    assert extra["token_type"] == "Bearer" and extra["scope"] and extra["expires"]
    assert not {"access_token", "refresh_token", "id_token", "auth_time"} & set(extra)
    assert settings.SOCIAL_AUTH_LINE_KEY not in json.dumps(extra)
