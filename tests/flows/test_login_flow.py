"""A visitor logs in with LINE, end to end through the emulator."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils.encoding import iri_to_uri
from social_core.pipeline import DEFAULT_AUTH_PIPELINE
from social_django.models import UserSocialAuth
from social_django.utils import load_backend, load_strategy

from line_auth.models import Friendship, FriendshipSource, LineAccount

BEGIN_URL = "/accounts/line/login/"

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"


def test_first_login_creates_a_logged_in_user_with_a_linked_line_account(login, client, line_emulator):
    taro = line_emulator.add_user(name="Taro Line", email="taro@example.com")
    response = login(client, line_emulator, taro)

    assert response.status_code == 302 and response["Location"] == "/done/"
    account = LineAccount.objects.get()
    assert account.line_user_id == taro.user_id
    assert account.display_name == "Taro Line"
    assert account.picture_url == taro.picture_url
    assert account.channel_id == "1234567890"
    assert account.access_token and account.refresh_token
    assert account.refresh_token_expires_at and account.access_token_expires_at
    assert int(client.session["_auth_user_id"]) == account.user_id
    assert UserSocialAuth.objects.get().uid == taro.user_id


def test_a_pipeline_setting_equal_to_social_cores_default_runs_as_written(client, line_emulator, settings, login):
    """Configured is configured: LINE's own pipeline replaces only a missing setting, never an
    equal one, so this login saves no LineAccount (check line_auth.W002 says so)."""
    settings.SOCIAL_AUTH_PIPELINE = list(DEFAULT_AUTH_PIPELINE)
    taro = line_emulator.add_user(name="Taro Line")
    response = login(client, line_emulator, taro)

    assert response.status_code == 302 and response["Location"] == "/done/"
    assert UserSocialAuth.objects.get().uid == taro.user_id
    assert int(client.session["_auth_user_id"]) == UserSocialAuth.objects.get().user_id
    assert not LineAccount.objects.exists()


def test_without_a_pipeline_setting_line_runs_its_own_pipeline(client, line_emulator, settings, login):
    for name in ("SOCIAL_AUTH_PIPELINE", "SOCIAL_AUTH_LINE_PIPELINE", "PIPELINE"):
        if hasattr(settings, name):
            delattr(settings, name)
    taro = line_emulator.add_user(name="Taro Line")
    login(client, line_emulator, taro)

    assert LineAccount.objects.get().line_user_id == taro.user_id


def test_authorization_request_carries_state_nonce_and_pkce(query, start, client, line_emulator):
    url = start(client)
    params = query(url)
    assert "&scope=profile%20openid" in url  # percent-encoded as in LINE's documentation, not "+"
    assert re.fullmatch(r"[A-Za-z0-9]{20,}", params["state"])
    assert len(params["nonce"]) >= 32
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["scope"] == "profile openid"
    assert params["response_type"] == "code"
    assert params["client_id"] == "1234567890"
    assert params["redirect_uri"] == "http://testserver/accounts/line/complete/"
    assert query(start(client))["state"] != params["state"]


@pytest.mark.parametrize(
    "callback",
    [
        "http://testserver/accounts/line/complete/?site=jp",
        "http://testserver/accounts/line/complete/?site=jp&lang=ja",
        "http://testserver/accounts/line/complete/?next=%2Fjp%2F",
        "http://testserver/accounts/line/complete/?q=a+b%26c",
    ],
)
def test_a_callback_url_with_its_own_query_string_logs_in(query, rf, line_emulator, callback):
    """LINE accepts callback URLs with a query (spec §3.2): the authorization URL must carry
    it encoded, so LINE sees, sends back and later compares exactly the same URL."""
    taro = line_emulator.add_user()
    begin = rf.post(BEGIN_URL)
    begin.session = SessionStore()
    url = load_backend(load_strategy(begin), "line", redirect_uri=callback).auth_url()
    assert query(url)["redirect_uri"] == callback

    result = line_emulator.authorize(url, taro)
    assert result.url.startswith(callback + "&code=")
    back = rf.get(result.url)
    back.session = begin.session
    user = load_backend(load_strategy(back), "line", redirect_uri=callback).complete()

    assert LineAccount.objects.get(line_user_id=taro.user_id).user == user
    exchange = line_emulator.calls[0]
    assert exchange.path == TOKEN and exchange.sent("redirect_uri") == callback


def test_a_login_with_openid_makes_one_call_to_line(login, client, line_emulator):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    assert [call.path for call in line_emulator.calls] == [TOKEN]
    (exchange,) = line_emulator.calls
    assert exchange.method == "POST" and exchange.sent("grant_type") == "authorization_code"
    assert exchange.sent("accept", "headers") == "application/json"
    assert exchange.sent("content-type", "headers") == "application/x-www-form-urlencoded"
    assert LineAccount.objects.get().friendship == Friendship.UNKNOWN

    line_emulator.reset_calls()
    client.logout()
    assert login(client, line_emulator, taro).status_code == 302
    assert [call.path for call in line_emulator.calls] == [TOKEN]
    assert LineAccount.objects.count() == 1 and get_user_model().objects.count() == 1


def test_without_openid_the_profile_api_identifies_the_user(login, client, line_emulator):
    taro = line_emulator.add_user(name="Profile Only")
    response = login(client, line_emulator, taro, begin={"scope": "profile"})
    assert response.status_code == 302
    assert LineAccount.objects.get().display_name == "Profile Only"
    assert line_emulator.count_calls("/v2/profile") == 1


def test_email_is_kept_on_the_line_account_as_unverified(login, client, line_emulator):
    taro = line_emulator.add_user(email="taro@example.com")
    login(client, line_emulator, taro, begin={"scope": "profile openid email"})
    account = LineAccount.objects.get()
    assert account.email == "taro@example.com"
    assert account.user.email == ""  # LINE_AUTH_TRUST_EMAIL is off by default


def test_every_option_from_the_begin_url_reaches_line(query, start, client, line_emulator):
    options = {"prompt": "consent", "max_age": "600", "ui_locales": "ja th", "bot_prompt": "aggressive",
               "initial_amr_display": "lineqr", "switch_amr": "false", "disable_auto_login": "true",
               "disable_ios_auto_login": "true"}
    params = query(start(client, **options))
    assert {name: params[name] for name in options} == options


def test_options_from_settings_reach_line(query, start, client, line_emulator, settings):
    settings.LINE_AUTH_AUTHORIZATION_OPTIONS = {"bot_prompt": "normal", "ui_locales": "zh-TW"}
    params = query(start(client))
    assert params["bot_prompt"] == "normal" and params["ui_locales"] == "zh-TW"


@pytest.mark.AR_07
def test_an_invalid_option_is_a_clear_error_and_never_reaches_line(client, line_emulator):
    response = client.post(BEGIN_URL, {"bot_prompt": "always"})
    assert response.status_code == 400
    assert b"bot_prompt" in response.content
    assert line_emulator.calls == []
    assert not [key for key in client.session.keys() if "state" in key]


def test_the_login_page_shows_a_button_and_starts_nothing_on_get(client, line_emulator):
    response = client.get(BEGIN_URL)
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.AR_06
def test_login_cannot_be_started_by_a_cross_site_post(line_emulator):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(BEGIN_URL).status_code == 403


@pytest.mark.CB_01
@pytest.mark.parametrize("case", ["upper", "lower"])
def test_cancel_on_the_consent_page_is_a_friendly_cancel(login, client, line_emulator, case):
    line_emulator.error_case = case
    response = login(client, line_emulator, outcome="deny")
    assert response.status_code == 403
    assert b"You cancelled the LINE login" in response.content
    assert get_user_model().objects.count() == 0 and LineAccount.objects.count() == 0
    assert line_emulator.count_calls(TOKEN) == 0


def test_auto_login_failure_offers_a_retry_without_auto_login(come_back, login, query, start, client, line_emulator):
    taro = line_emulator.add_user()
    response = login(client, line_emulator, taro, outcome="auto_login_failure")
    assert response.status_code == 400
    assert b'name="disable_auto_login" value="true"' in response.content
    assert line_emulator.count_calls(TOKEN) == 0

    retry_url = start(client, disable_auto_login="true")
    assert query(retry_url)["disable_auto_login"] == "true"
    result = line_emulator.authorize(retry_url, taro, outcome="auto_login_failure")
    assert come_back(client, result).status_code == 302
    assert LineAccount.objects.get().line_user_id == taro.user_id


@pytest.mark.ST_05
def test_a_replayed_callback_is_refused_without_a_second_token_call(come_back, start, client, line_emulator):
    result = line_emulator.authorize(start(client), line_emulator.add_user())
    assert come_back(client, result).status_code == 302
    replay = come_back(client, result)
    assert replay.status_code == 400
    assert line_emulator.count_calls(TOKEN) == 1


@pytest.mark.ST_01
def test_a_callback_without_state_is_refused(start, client, line_emulator):
    result = line_emulator.authorize(start(client), line_emulator.add_user())
    response = client.get("/accounts/line/complete/", {"code": result.params["code"]})
    assert response.status_code == 400
    assert line_emulator.count_calls(TOKEN) == 0


def test_a_login_begun_before_its_options_were_kept_finishes_through_the_profile_api(
    query, start, come_back, client, line_emulator
):
    """Without the options it started with, the callback cannot know that it asked for
    ``openid``, so it trusts no ID token and asks LINE's profile API who logged in."""
    url = start(client)
    result = line_emulator.authorize(url, line_emulator.add_user(name="Kept Before"))
    session = client.session
    key = f"line_oauth2_state_{query(url)['state']}"
    session[key] = {name: value for name, value in session[key].items() if name != "options"}
    session.save()
    assert come_back(client, result).status_code == 302
    assert [call.path for call in line_emulator.calls] == [TOKEN, "/v2/profile"]
    assert LineAccount.objects.get().display_name == "Kept Before"


@pytest.mark.CB_05
def test_a_code_from_another_browser_fails_pkce_and_creates_nothing(query, start, client, line_emulator):
    victim_flow = line_emulator.authorize(start(Client()), line_emulator.add_user())
    own_state = query(start(client))["state"]
    response = client.get("/accounts/line/complete/", {"code": victim_flow.params["code"], "state": own_state})
    assert response.status_code == 400
    assert LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0


@pytest.mark.RL_01
@pytest.mark.RL_02
@pytest.mark.RL_04
@pytest.mark.RL_05
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"status": 500, "body": '{"error":"server_error"}'}, b"LINE"),
        ({"kind": "timeout"}, b"not responding"),
        ({"kind": "connection_refused"}, b"not responding"),
        ({"kind": "html", "status": 502}, b"not responding"),
        ({"kind": "truncated"}, b"not responding"),
        ({"status": 429, "body": '{"message":"rate limit"}'}, b"not responding"),
    ],
)
def test_line_faults_at_token_exchange_end_on_a_friendly_page(
    come_back, login, start, client, line_emulator, fault, message
):
    url = start(client)
    line_emulator.fail_next(TOKEN, **fault)
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert message in response.content
    assert LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0
    assert login(client, line_emulator, line_emulator.add_user()).status_code == 302


@pytest.mark.IT_15
def test_a_token_response_without_id_token_fails_closed(come_back, start, client, line_emulator):
    url = start(client)
    line_emulator.fail_next(TOKEN, status=200, body='{"access_token":"a.b.c","token_type":"Bearer",'
                                                    '"expires_in":2592000,"scope":"profile openid"}')
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert LineAccount.objects.count() == 0


@pytest.mark.IT_02
def test_an_id_token_signed_with_another_secret_is_refused(
    come_back, query, start, client, line_emulator, id_token_factory
):
    url = start(client)
    forged = id_token_factory(key="f" * 32, nonce=query(url)["nonce"])
    line_emulator.fail_next(TOKEN, status=200, body='{"access_token":"a.b.c","token_type":"Bearer",'
                            f'"expires_in":2592000,"scope":"profile openid","id_token":"{forged}"}}')
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400
    assert b"could not verify" in response.content.lower()
    assert LineAccount.objects.count() == 0


def test_form_post_response_mode_logs_in_when_the_session_cookie_crosses_sites(
    come_back, start, client, line_emulator, settings
):
    settings.SESSION_COOKIE_SAMESITE, settings.SESSION_COOKIE_SECURE = "None", True
    url = start(client, response_mode="form_post")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["samesite"] == "None" and cookie["secure"]  # what lets a browser send it on LINE's POST
    result = line_emulator.authorize(url, line_emulator.add_user())
    assert result.method == "POST"
    response = come_back(client, result)
    assert response.status_code == 302 and LineAccount.objects.count() == 1


@pytest.mark.parametrize("cookie", [{}, {"SESSION_COOKIE_SAMESITE": "None"},
                                    {"SESSION_COOKIE_SAMESITE": None, "SESSION_COOKIE_SECURE": True},
                                    {"SESSION_COOKIE_SAMESITE": "Strict", "SESSION_COOKIE_SECURE": True}])
def test_a_per_login_form_post_the_session_cookie_cannot_follow_is_refused_before_line(
        query, start, client, line_emulator, settings, cookie):
    for name, value in cookie.items():
        setattr(settings, name, value)
    response = client.post(BEGIN_URL, {"response_mode": "form_post"})
    assert response.status_code == 400
    assert b"line-auth-failure-invalid_option" in response.content and b"response_mode" in response.content
    assert line_emulator.calls == []
    assert Session.objects.count() == 0
    assert query(start(client, response_mode="query"))["response_mode"] == "query"


def test_max_age_logs_in_a_user_who_just_authenticated(login, client, line_emulator):
    response = login(client, line_emulator, line_emulator.add_user(), begin={"max_age": "600"})
    assert response.status_code == 302 and response["Location"] == "/done/"
    assert int(client.session["_auth_user_id"]) == LineAccount.objects.get().user_id


@pytest.mark.parametrize(("authenticated_ago", "logged_in"), [(30, True), (3600, False)])
def test_max_age_is_enforced_through_auth_time(
    come_back, query, start, client, line_emulator, id_token_factory, authenticated_ago, logged_in
):
    """LINE answers with an ID token whose auth_time is fresh or older than max_age (600 s)."""
    user = line_emulator.add_user()
    url = start(client, max_age="600")
    id_token = id_token_factory(
        sub=user.user_id, nonce=query(url)["nonce"], auth_time=int(time.time()) - authenticated_ago
    )
    access_token = line_emulator.issue_tokens(user, "1234567890")["access_token"]
    line_emulator.fail_next(TOKEN, status=200, body=json.dumps({
        "access_token": access_token, "token_type": "Bearer", "expires_in": 2592000,
        "refresh_token": "r" * 20, "scope": "profile openid", "id_token": id_token,
    }))
    response = come_back(client, line_emulator.authorize(url, user))

    assert ("_auth_user_id" in client.session) is logged_in
    assert LineAccount.objects.exists() is logged_in
    if not logged_in:
        assert response.status_code == 400
        assert b"line-auth-failure-verification" in response.content
        assert b"could not verify the login" in response.content


def test_adding_the_friend_on_the_consent_page_is_recorded(login, client, line_emulator):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro, begin={"bot_prompt": "aggressive"}, add_friend=True)
    account = LineAccount.objects.get()
    assert account.friendship == Friendship.FRIEND
    assert account.friendship_source == FriendshipSource.LOGIN
    assert account.friendship_checked_at is not None


def test_friendship_is_refetched_only_when_line_says_it_changed(login, client, line_emulator):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro, begin={"bot_prompt": "normal"})
    assert LineAccount.objects.get().friendship == Friendship.NOT_FRIEND
    client.logout()
    line_emulator.reset_calls()
    login(client, line_emulator, taro, begin={"bot_prompt": "normal"}, add_friend=True)
    assert line_emulator.count_calls("/friendship/v1/status") == 1
    assert LineAccount.objects.get().friendship == Friendship.FRIEND


def test_a_friendship_api_failure_does_not_fail_the_login(come_back, start, client, line_emulator):
    url = start(client)
    line_emulator.fail_next("/friendship/v1/status", status=500, body='{"message":"oops"}', times=3)
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 302
    assert LineAccount.objects.get().friendship == Friendship.UNKNOWN


@pytest.mark.EN_01
def test_no_token_is_stored_in_social_auth_extra_data(login, client, line_emulator):
    login(client, line_emulator, line_emulator.add_user())
    extra = UserSocialAuth.objects.get().extra_data
    account = LineAccount.objects.get()
    assert not {"access_token", "refresh_token", "id_token"} & set(extra)
    assert account.access_token not in str(extra) and account.refresh_token not in str(extra)


@pytest.mark.BR_03
def test_session_key_changes_at_login(come_back, start, client, line_emulator):
    url = start(client)
    before = client.session.session_key
    come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert client.session.session_key != before


@pytest.mark.BR_01
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
     "http://testserver@evil.example/", "javascript:alert(1)", "https:evil.example"],
)
def test_next_cannot_redirect_off_site(login, client, line_emulator, target):
    response = login(client, line_emulator, line_emulator.add_user(), begin={"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/done/"


def test_a_safe_next_is_honoured(login, client, line_emulator):
    response = login(client, line_emulator, line_emulator.add_user(), begin={"next": "/accounts/line/account/"})
    assert response["Location"] == "/accounts/line/account/"


def test_the_login_redirect_may_be_a_url_name_as_django_allows(login, client, line_emulator, settings):
    settings.SOCIAL_AUTH_LOGIN_REDIRECT_URL = "line_auth:account"
    page = client.get("/accounts/line/login/").content.decode()
    assert 'name="next" value="/accounts/line/account/"' in page
    response = login(client, line_emulator, line_emulator.add_user(), begin={"next": "https://evil.example/"})
    assert response["Location"] == "/accounts/line/account/"


def test_signals_announce_link_and_login_without_tokens(
    login, client, line_emulator, django_capture_on_commit_callbacks
):
    from line_auth import signals

    received = []

    def record(signal_name):
        def receiver(sender, **kwargs):
            received.append((signal_name, kwargs))
        return receiver

    receivers = {name: record(name) for name in ("linked", "login", "friendship")}
    signals.line_account_linked.connect(receivers["linked"])
    signals.line_login.connect(receivers["login"])
    signals.friendship_changed.connect(receivers["friendship"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            login(client, line_emulator, line_emulator.add_user(), begin={"bot_prompt": "normal"})
    finally:
        signals.line_account_linked.disconnect(receivers["linked"])
        signals.line_login.disconnect(receivers["login"])
        signals.friendship_changed.disconnect(receivers["friendship"])
    assert [name for name, _ in received] == ["linked", "friendship", "login"]
    account = LineAccount.objects.get()
    for _, kwargs in received:
        assert account.access_token not in repr(sorted(kwargs))
        assert "token" not in " ".join(kwargs)


def test_disconnect_deauthorizes_at_line_and_removes_the_link(login, client, line_emulator, django_user_model):
    login(client, line_emulator, line_emulator.add_user())
    user = django_user_model.objects.get()
    user.set_password("a-password")
    user.save()
    client.force_login(user)
    account = LineAccount.objects.get()
    response = client.post("/accounts/line/disconnect/", {"account": account.pk})
    assert response.status_code == 302
    assert LineAccount.objects.count() == 0 and UserSocialAuth.objects.count() == 0
    assert line_emulator.count_calls("/user/v1/deauthorize") == 1
    assert line_emulator.calls[-1].status == 204


@pytest.mark.parametrize("value", ["abc", "", "1.5", "1e3", " ", "\x00", "1\x00", "-1", "٣",
                                   str(2**63), "9" * 5000, ["1", "abc"], None])
def test_disconnect_with_a_malformed_account_is_a_400_page_and_changes_nothing(
        login, client, line_emulator, django_user_model, value):
    login(client, line_emulator, line_emulator.add_user())
    user = django_user_model.objects.get()
    user.set_password("a-password")  # so only the malformed value can stop the unlink
    user.save()
    client.force_login(user)
    line_emulator.reset_calls()
    response = client.post("/accounts/line/disconnect/", {} if value is None else {"account": value})
    assert response.status_code == 400
    assert b"That LINE account is not linked to you." in response.content
    assert b"Unlink this LINE account" in response.content  # the account page, with the account still there
    assert LineAccount.objects.count() == 1 and UserSocialAuth.objects.count() == 1
    assert line_emulator.calls == []


def test_disconnect_with_a_lone_surrogate_or_invalid_utf8_is_a_400_page(login, client, line_emulator):
    """Django's client will not encode a lone surrogate, so the body is written by hand."""
    login(client, line_emulator, line_emulator.add_user())
    for body in ("account=%ED%A0%80", "account=%FF%FE", "account=1%00&account=%ED%BF%BF"):
        response = client.generic("POST", "/accounts/line/disconnect/", body,
                                  content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
    assert LineAccount.objects.count() == 1


def test_disconnect_of_someone_elses_account_is_refused(login, client, line_emulator, line_account_factory):
    login(client, line_emulator, line_emulator.add_user())
    other = line_account_factory()
    response = client.post("/accounts/line/disconnect/", {"account": other.pk})
    assert response.status_code == 400
    assert LineAccount.objects.count() == 2


@pytest.mark.parametrize("next_url", ["abc", "\ufffd", "line_auth:account"])
def test_disconnect_treats_next_as_a_url_never_as_a_view_name(login, client, line_emulator, next_url):
    login(client, line_emulator, line_emulator.add_user())
    account = LineAccount.objects.get()
    response = client.post("/accounts/line/disconnect/", {"account": account.pk, "next": next_url})
    assert response.status_code == 302 and response["Location"] == iri_to_uri(next_url)
    assert LineAccount.objects.count() == 1  # no password: refused, whatever the next


def test_disconnect_is_refused_when_it_would_lock_the_user_out(login, client, line_emulator):
    login(client, line_emulator, line_emulator.add_user())
    account = LineAccount.objects.get()
    response = client.post("/accounts/line/disconnect/", {"account": account.pk}, follow=True)
    assert b"Set a password first" in response.content
    assert LineAccount.objects.count() == 1
