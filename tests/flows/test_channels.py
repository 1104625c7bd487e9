"""A site with several LINE channels: web logins through each, linking by provider, and each
account's tokens kept with its own channel's credentials, end to end through the emulator."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponseRedirect
from django.template import TemplateSyntaxError, engines
from django.test import Client
from django.utils import timezone
from social_core.pipeline.partial import partial
from social_django.models import UserSocialAuth

from line_auth import deauthorization, tasks, tokens
from line_auth.deauthorization import Outcome as Deauthorized
from line_auth.internal import steps
from line_auth.models import REFRESH_TOKEN_LIFETIME, AuditKind, AuditRecord, LineAccount
from line_auth.testing.recording import mask
from line_auth.tokens import Outcome

pytestmark = pytest.mark.django_db

TOKEN = "/oauth2/v2.1/token"
CHANNEL_TOKEN = "/oauth2/v3/token"
DEAUTHORIZE = "/user/v1/deauthorize"
FRIENDSHIP = "/friendship/v1/status"

JAPAN = {"CHANNEL_ID": "2000000001", "CHANNEL_SECRET": "a" * 32, "PROVIDER": "retail", "LABEL": "Japan"}
TAIWAN = {
    "CHANNEL_ID": "2000000002",
    "CHANNEL_SECRET": "b" * 32,
    "PROVIDER": "retail",
    "LABEL": "Taiwan",
    "SCOPE": "profile openid email",
    "AUTHORIZATION_OPTIONS": {"bot_prompt": "aggressive"},
}
KOREA = {"CHANNEL_ID": "2000000003", "CHANNEL_SECRET": "c" * 32, "PROVIDER": "korea-brand"}
MINI = {"CHANNEL_ID": "2000000004", "CHANNEL_SECRET": "d" * 32, "KIND": "mini_app", "PROVIDER": "retail"}
DECLARED = {"jp": JAPAN, "tw": TAIWAN, "kr": KOREA, "mini": MINI}


@pytest.fixture
def site_channels(settings):
    settings.LINE_AUTH_CHANNELS = DECLARED
    return DECLARED


@pytest.fixture
def line_emulator_options(site_channels):
    """The emulator is built after the channels are declared, so it serves all of them."""
    return {}


def begin(client, name=None, **options):
    url = f"/accounts/line/login/{name}/" if name else "/accounts/line/login/"
    response = client.post(url, options)
    assert response.status_code == 302, response.content
    return response["Location"]


def log_in(client, emulator, name, user, come_back, **consent):
    return come_back(client, emulator.authorize(begin(client, name), user, **consent))


def token_calls(emulator, grant_type):
    return [call for call in emulator.calls if call.path == TOKEN and call.sent("grant_type") == grant_type]


def state_key(url, query):
    return f"line_oauth2_state_{query(url)['state']}"


# -- logging in through each web channel --


@pytest.mark.parametrize("name", ["jp", "tw", "kr"])
def test_a_login_through_each_channel_uses_that_channels_id_and_secret(
    name, client, line_emulator, come_back, query
):
    declared = DECLARED[name]
    taro = line_emulator.add_user(name="Taro Line", email="taro@example.com")
    url = begin(client, name)
    assert query(url)["client_id"] == declared["CHANNEL_ID"]

    response = come_back(client, line_emulator.authorize(url, taro))

    assert response.status_code == 302 and response["Location"] == "/done/"
    account = LineAccount.objects.get()
    assert account.channel_id == declared["CHANNEL_ID"]
    assert account.provider == declared["PROVIDER"]
    assert account.line_user_id == line_emulator.user_id_for(taro, declared["CHANNEL_ID"])
    assert int(client.session["_auth_user_id"]) == account.user_id
    (exchange,) = token_calls(line_emulator, "authorization_code")
    assert exchange.sent("client_id") == declared["CHANNEL_ID"]
    assert exchange.sent("client_secret") == mask(declared["CHANNEL_SECRET"])
    logged = AuditRecord.objects.exclude(kind=AuditKind.API_CALL).values_list("kind", "channel_id")
    assert sorted(logged) == [(AuditKind.AUTHORIZATION, declared["CHANNEL_ID"]),
                              (AuditKind.CALLBACK, declared["CHANNEL_ID"])]


def test_each_channel_asks_for_its_own_scope_and_options(client, line_emulator, query):
    taiwan, japan = query(begin(client, "tw")), query(begin(client, "jp"))

    assert taiwan["scope"] == "profile openid email" and taiwan["bot_prompt"] == "aggressive"
    assert japan["scope"] == "profile openid" and "bot_prompt" not in japan


def test_the_plain_login_url_uses_the_default_channel(client, line_emulator, query, settings):
    assert query(begin(client))["client_id"] == settings.SOCIAL_AUTH_LINE_KEY
    settings.LINE_AUTH_DEFAULT_CHANNEL = "kr"
    assert query(begin(client))["client_id"] == KOREA["CHANNEL_ID"]


@pytest.mark.parametrize("name", ["mini", "nowhere"])
def test_a_mini_app_channel_or_an_unknown_name_takes_no_web_login(name, client, line_emulator):
    for response in (client.get(f"/accounts/line/login/{name}/"), client.post(f"/accounts/line/login/{name}/")):
        assert response.status_code == 404
        assert b"line-auth-failure-unknown_channel" in response.content
    assert not any(key.startswith("line_oauth2_state_") for key in client.session.keys())
    assert line_emulator.calls == []


def test_the_login_page_of_a_channel_shows_its_button(client, line_emulator):
    page = client.get("/accounts/line/login/tw/").content.decode()

    assert 'action="/accounts/line/login/tw/"' in page and "Taiwan" in page
    plain = client.get("/accounts/line/login/").content.decode()
    assert 'action="/accounts/line/login/"' in plain and "line-auth-line-button__channel" not in plain


@pytest.mark.parametrize(("name", "retry"), [("tw", "/accounts/line/login/tw/"), (None, "/accounts/line/login/")])
def test_try_again_after_a_failed_login_uses_the_same_channel(name, retry, client, line_emulator, come_back):
    response = log_in(client, line_emulator, name, line_emulator.add_user(), come_back, outcome="server_error")

    assert response.status_code == 400
    assert f'<form method="post" action="{retry}">' in response.content.decode()


@pytest.mark.parametrize(("name", "complaint"), [("nowhere", "no LINE channel"), ("mini", "no web login")])
def test_a_button_for_a_channel_without_web_login_is_a_template_error(name, complaint, site_channels):
    button = engines["django"].from_string(f'{{% load line_auth %}}{{% line_login_button channel="{name}" %}}')

    with pytest.raises(TemplateSyntaxError, match=complaint):
        button.render({})


# -- a callback cannot switch channel --


def test_a_code_issued_for_another_channel_is_refused_and_nothing_is_written(
    client, line_emulator, come_back, query
):
    taro = line_emulator.add_user()
    started_on_japan = begin(client, "jp")
    elsewhere = Client()
    taiwan_code = line_emulator.authorize(begin(elsewhere, "tw"), taro).params["code"]

    response = client.get("/accounts/line/complete/", {"code": taiwan_code, "state": query(started_on_japan)["state"]})

    assert response.status_code == 400
    assert b"line-auth-failure-session" in response.content
    (exchange,) = token_calls(line_emulator, "authorization_code")
    assert exchange.sent("client_id") == JAPAN["CHANNEL_ID"]  # the state's channel, not the code's
    assert not LineAccount.objects.exists() and not get_user_model().objects.exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "stored",
    [
        {"name": "jp", "channel_id": TAIWAN["CHANNEL_ID"]},  # name and ID disagree
        {"name": "gone", "channel_id": "2999999999"},  # no such channel
        {"name": "mini", "channel_id": MINI["CHANNEL_ID"]},  # takes no web login
        {"name": "jp"},  # no ID
        "jp",  # not what the login stored
    ],
)
def test_a_tampered_stored_channel_is_refused_before_line_is_asked(
    stored, client, line_emulator, come_back, query, caplog
):
    url = begin(client, "jp")
    result = line_emulator.authorize(url, line_emulator.add_user())
    session = client.session
    key = state_key(url, query)
    session[key] = {**session[key], "channel": stored}
    session.save()
    caplog.clear()

    response = come_back(client, result)

    assert response.status_code == 400
    assert b"line-auth-failure-verification" in response.content
    assert [(r.name, r.getMessage()) for r in caplog.records if r.name.startswith("line_auth")] == [
        ("line_auth.backends", "LINE callback refused: its stored channel is not a configured web channel"),
        ("line_auth.login", "LINE login failed: kind=verification code=channel_mismatch stage=callback parameter=-"),
    ]
    assert token_calls(line_emulator, "authorization_code") == []
    assert not LineAccount.objects.exists() and not get_user_model().objects.exists()


def test_a_stored_channel_switched_to_another_real_one_is_refused_by_line(client, line_emulator, come_back, query):
    url = begin(client, "jp")
    result = line_emulator.authorize(url, line_emulator.add_user())
    session = client.session
    key = state_key(url, query)
    session[key] = {**session[key], "channel": {"name": "tw", "channel_id": TAIWAN["CHANNEL_ID"]}}
    session.save()

    response = come_back(client, result)

    assert response.status_code == 400
    assert not LineAccount.objects.exists() and not get_user_model().objects.exists()


def test_a_login_begun_before_channels_existed_finishes_on_the_default_channel(
    client, line_emulator, come_back, query, settings
):
    url = begin(client)
    result = line_emulator.authorize(url, line_emulator.add_user())
    session = client.session
    key = state_key(url, query)
    session[key] = {name: value for name, value in session[key].items() if name != "channel"}
    session.save()

    assert come_back(client, result).status_code == 302
    assert LineAccount.objects.get().channel_id == settings.SOCIAL_AUTH_LINE_KEY


# -- linking: one user per provider --


def test_two_channels_of_one_provider_link_to_one_user(line_emulator, come_back):
    taro = line_emulator.add_user()
    log_in(Client(), line_emulator, "jp", taro, come_back)
    log_in(Client(), line_emulator, "tw", taro, come_back)

    japan, taiwan = (LineAccount.objects.get(channel_id=c["CHANNEL_ID"]) for c in (JAPAN, TAIWAN))
    assert japan.user_id == taiwan.user_id and get_user_model().objects.count() == 1
    assert japan.line_user_id == taiwan.line_user_id
    social = UserSocialAuth.objects.get()
    assert japan.social_id == taiwan.social_id == social.pk


def test_channels_of_different_providers_never_link_to_one_user(line_emulator, come_back):
    taro = line_emulator.add_user()
    log_in(Client(), line_emulator, "jp", taro, come_back)
    log_in(Client(), line_emulator, "kr", taro, come_back)

    japan, korea = (LineAccount.objects.get(channel_id=c["CHANNEL_ID"]) for c in (JAPAN, KOREA))
    assert japan.user_id != korea.user_id and get_user_model().objects.count() == 2
    assert japan.line_user_id != korea.line_user_id
    assert (japan.provider, korea.provider) == ("retail", "korea-brand")


def test_an_account_filed_before_its_provider_was_named_takes_it_at_the_next_login(
    line_emulator, come_back, line_account_factory
):
    taro = line_emulator.add_user()
    seen_by_japan = line_emulator.user_id_for(taro, JAPAN["CHANNEL_ID"])
    account = line_account_factory(channel_id=JAPAN["CHANNEL_ID"], line_user_id=seen_by_japan, provider="default")
    account.social = UserSocialAuth.objects.create(user=account.user, provider="line", uid=seen_by_japan,
                                                   id_key="sub")
    account.save()

    log_in(Client(), line_emulator, "jp", taro, come_back)

    assert LineAccount.objects.get().provider == "retail"


def test_a_returning_login_on_a_second_channel_finds_its_own_account(line_emulator, come_back):
    taro = line_emulator.add_user()
    for name in ("jp", "tw", "jp", "tw"):
        log_in(Client(), line_emulator, name, taro, come_back)

    assert LineAccount.objects.count() == 2 and get_user_model().objects.count() == 1


@partial
def ask_first(strategy, current_partial, **kwargs):
    """A site's form before line_auth's ``social_user`` (a partial step, docs/pipeline.md)."""
    if strategy.request_data().get("answered") == "yes":
        return None
    return HttpResponseRedirect(f"/ask/?{urlencode({'partial_token': current_partial.token})}")


def test_a_returning_login_resumed_before_its_look_up_writes_its_own_channels_account(
    line_emulator, come_back, settings, query
):
    """A resumed pipeline brings no look-up from its start: ``social_user`` looks the LINE
    user up itself, for the channel of this login, not the default one."""
    settings.LINE_AUTH_DEFAULT_CHANNEL = "jp"  # the same provider: one user, an account on each channel
    taro = line_emulator.add_user()
    for name in ("jp", "tw"):
        log_in(Client(), line_emulator, name, taro, come_back)
    before = dict(LineAccount.objects.values_list("channel_id", "access_token"))
    settings.SOCIAL_AUTH_PIPELINE = [*steps.LINE_AUTH_PIPELINE[:4], f"{__name__}.ask_first",
                                     *steps.LINE_AUTH_PIPELINE[4:]]
    client = Client()
    form = log_in(client, line_emulator, "tw", taro, come_back)
    assert form.status_code == 302 and form["Location"].startswith("/ask/?")

    done = client.get("/accounts/line/complete/", {"partial_token": query(form["Location"])["partial_token"],
                                                   "answered": "yes"})

    assert done.status_code == 302 and done["Location"] == "/done/"
    user = get_user_model().objects.get()
    assert client.session["_auth_user_id"] == str(user.pk) and UserSocialAuth.objects.get().user == user
    renewed = {channel for channel, token in LineAccount.objects.values_list("channel_id", "access_token")
               if token != before[channel]}
    assert renewed == {TAIWAN["CHANNEL_ID"]}  # this login's token, on this login's account only


def test_unlinking_one_channel_keeps_the_association_the_other_channel_uses(line_emulator, come_back):
    taro = line_emulator.add_user()
    client = Client()
    log_in(client, line_emulator, "jp", taro, come_back)
    log_in(client, line_emulator, "tw", taro, come_back)
    japan = LineAccount.objects.get(channel_id=JAPAN["CHANNEL_ID"])

    assert tokens.can_unlink(japan)  # the Taiwan account still logs the user in
    response = client.post("/accounts/line/disconnect/", {"account": japan.pk})

    assert response.status_code == 302
    taiwan = LineAccount.objects.get()
    assert taiwan.channel_id == TAIWAN["CHANNEL_ID"]
    assert UserSocialAuth.objects.get().pk == taiwan.social_id
    (issued,) = [call for call in line_emulator.calls if call.path == CHANNEL_TOKEN]
    assert issued.sent("client_id") == JAPAN["CHANNEL_ID"]
    assert issued.sent("client_secret") == mask(JAPAN["CHANNEL_SECRET"])

    deauthorization.unlink(taiwan)
    assert not UserSocialAuth.objects.exists()


def test_the_account_page_names_each_accounts_channel_and_provider(line_emulator, come_back):
    taro = line_emulator.add_user()
    client = Client()
    log_in(client, line_emulator, "jp", taro, come_back)
    log_in(client, line_emulator, "tw", taro, come_back)

    page = client.get("/accounts/line/account/").content.decode()

    assert "Japan" in page and "Taiwan" in page
    assert page.count('data-line-provider="retail"') == 2


# -- tokens: each account with its own channel's credentials --


@pytest.fixture
def account_on(line_emulator, line_account_factory):
    """A LineAccount of the named channel holding live tokens that channel issued."""

    def make(name, *, expires_in=timedelta(hours=1)):
        declared = DECLARED[name]
        user = line_emulator.add_user()
        issued = line_emulator.issue_tokens(user, declared["CHANNEL_ID"], scope="profile")
        now = timezone.now()
        return line_account_factory(
            channel_id=declared["CHANNEL_ID"],
            provider=declared["PROVIDER"],
            line_user_id=line_emulator.user_id_for(user, declared["CHANNEL_ID"]),
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            access_token_expires_at=now + expires_in,
            refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
            scopes="profile",
        )

    return make


def test_each_refresh_sends_its_own_channels_credentials(account_on, line_emulator):
    accounts = {name: account_on(name) for name in ("jp", "kr")}

    assert tokens.refresh_many(LineAccount.objects.all())[Outcome.REFRESHED] == 2

    sent = {call.sent("client_id"): call.sent("client_secret") for call in token_calls(line_emulator, "refresh_token")}
    assert sent == {
        JAPAN["CHANNEL_ID"]: mask(JAPAN["CHANNEL_SECRET"]),
        KOREA["CHANNEL_ID"]: mask(KOREA["CHANNEL_SECRET"]),
    }
    assert tokens.refresh(accounts["kr"]) is Outcome.REFRESHED
    assert token_calls(line_emulator, "refresh_token")[-1].sent("client_id") == KOREA["CHANNEL_ID"]


def test_deauthorize_uses_a_channel_token_of_the_accounts_channel(account_on, line_emulator):
    korea = account_on("kr", expires_in=timedelta(seconds=-1))  # refreshed first, with Korea's credentials

    assert deauthorization.unlink(korea) is Deauthorized.DONE

    (issued,) = [call for call in line_emulator.calls if call.path == CHANNEL_TOKEN]
    assert issued.sent("client_id") == KOREA["CHANNEL_ID"]
    assert issued.sent("client_secret") == mask(KOREA["CHANNEL_SECRET"])
    (refreshed,) = token_calls(line_emulator, "refresh_token")
    assert refreshed.sent("client_id") == KOREA["CHANNEL_ID"]
    assert refreshed.sent("client_secret") == mask(KOREA["CHANNEL_SECRET"])
    assert line_emulator.calls[-1].path == DEAUTHORIZE and line_emulator.calls[-1].status == 204
    assert not LineAccount.objects.exists()


def test_verify_accepts_only_a_token_of_the_accounts_own_channel(account_on, line_emulator):
    korea = account_on("kr")
    assert tokens.verify(korea).valid

    LineAccount.objects.filter(pk=korea.pk).update(channel_id=JAPAN["CHANNEL_ID"])
    assert not tokens.verify(LineAccount.objects.get()).valid


def test_an_account_whose_channel_is_gone_is_never_sent_with_other_credentials(account_on, line_emulator, settings):
    korea = account_on("kr", expires_in=timedelta(seconds=-1))
    settings.LINE_AUTH_CHANNELS = {"jp": JAPAN, "tw": TAIWAN}
    korea = LineAccount.objects.get()

    assert tokens.refresh(korea) is Outcome.NO_CHANNEL
    assert tokens.refresh_many(LineAccount.objects.all()) == {Outcome.NO_CHANNEL: 1}
    assert not tokens.verify(korea).valid
    assert tokens.revoke(korea) is False
    assert line_emulator.calls == []
    assert deauthorization.unlink(korea) is Deauthorized.QUEUED  # kept for when the channel is back
    assert line_emulator.calls == []
    assert deauthorization.unlink(account_on("jp")) is Deauthorized.DONE  # another channel's still works


# -- commands and tasks limited to one channel --


def test_the_refresh_command_can_be_limited_to_one_channel(account_on, line_emulator, capsys):
    account_on("jp")
    account_on("kr")

    call_command("line_auth_refresh_tokens", "--channel", "kr")

    assert [call.sent("client_id") for call in token_calls(line_emulator, "refresh_token")] == [KOREA["CHANNEL_ID"]]
    assert "Refreshed 1," in capsys.readouterr().out
    with pytest.raises(CommandError, match="nowhere"):
        call_command("line_auth_refresh_tokens", "--channel", "nowhere")


def test_the_friendship_sync_can_be_limited_to_one_channel(account_on, line_emulator, capsys):
    japan, korea = account_on("jp"), account_on("kr")

    call_command("line_auth_sync_friendships", "--channel", "jp", "--older-than", "0")

    assert LineAccount.objects.get(pk=japan.pk).friendship_checked_at is not None
    assert LineAccount.objects.get(pk=korea.pk).friendship_checked_at is None
    assert line_emulator.count_calls(FRIENDSHIP) == 1
    with pytest.raises(CommandError):
        call_command("line_auth_sync_friendships", "--channel", "nowhere")


def test_the_tasks_take_a_channel_limit(account_on, line_emulator, settings):
    account_on("jp")
    account_on("kr")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.LINE_AUTH_TASK_ENGINE = "django"
    queued = tasks.run_batch_chunk.get_backend().results
    queued.clear()

    assert tasks.refresh_due_line_tokens.call(channel="jp") == {"chunks": 1}
    japan = LineAccount.objects.get(channel_id=JAPAN["CHANNEL_ID"]).pk
    assert [result.args for result in queued] == [["refresh_tokens", japan, japan, {"window": None, "channel": "jp"}]]
    settings.LINE_AUTH_TASK_ENGINE = None
    assert tasks.sync_friendships.call(older_than_seconds=0, channel="kr")["checked"] == 1


def test_a_friendship_learned_at_login_is_recorded_on_that_channels_account(line_emulator, come_back):
    taro = line_emulator.add_user()
    log_in(Client(), line_emulator, "jp", taro, come_back)
    log_in(Client(), line_emulator, "tw", taro, come_back, add_friend=True)

    assert LineAccount.objects.get(channel_id=TAIWAN["CHANNEL_ID"]).friendship == "friend"
    assert LineAccount.objects.get(channel_id=JAPAN["CHANNEL_ID"]).friendship != "friend"
