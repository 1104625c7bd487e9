"""Pipelines a site writes itself (docs/pipeline.md): one shared with another provider, one
without sign-up, a site's own step after ``save_line_account`` that reads the account, and a
partial pipeline whose form the login comes back from."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponseRedirect
from django.test.utils import CaptureQueriesContext
from social_core.backends.username import UsernameAuth
from social_core.pipeline.partial import partial
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from line_auth.internal import login_pipeline, steps
from line_auth.models import Friendship, LineAccount

pytestmark = pytest.mark.django_db


def tag_friends(line_account=None, **kwargs):
    """docs/pipeline.md's recipe "Do something after the account is saved"."""
    if line_account and line_account.friendship == Friendship.FRIEND:
        line_account.user.groups.add(Group.objects.get(name="friends"))


def test_a_step_after_save_line_account_gets_the_account_of_a_first_login(login, client, line_emulator, settings):
    settings.SOCIAL_AUTH_PIPELINE = [*steps.LINE_AUTH_PIPELINE, f"{__name__}.tag_friends"]
    friends = Group.objects.create(name="friends")
    taro = line_emulator.add_user()
    assert login(client, line_emulator, taro, begin={"bot_prompt": "normal"}, add_friend=True).status_code == 302
    assert list(friends.user_set.all()) == [LineAccount.objects.get(friendship=Friendship.FRIEND).user]


def test_a_pipeline_shared_with_another_provider_saves_no_line_account_for_its_logins(rf, settings):
    """SOCIAL_AUTH_PIPELINE serves every provider: a username login runs save_line_account too."""
    username_auth = "social_core.backends.username.UsernameAuth"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, username_auth]
    settings.SOCIAL_AUTH_PIPELINE = list(steps.LINE_AUTH_PIPELINE)
    request = rf.post("/complete/username/", {"username": "hanako"})
    request.session = SessionStore()
    strategy = load_strategy(request)
    backend = UsernameAuth(strategy)
    user = authenticate(request, backend=backend, strategy=strategy, response={"username": "hanako"})
    assert user == get_user_model().objects.get(username="hanako")
    assert UserSocialAuth.objects.get().provider == "username"
    assert not LineAccount.objects.exists()


def test_a_pipeline_without_sign_up_saves_no_line_account_for_an_unknown_line_user(
    login, client, line_emulator, settings
):
    """Without create_user a LINE user nobody linked yet reaches save_line_account without a user."""
    settings.SOCIAL_AUTH_PIPELINE = [step for step in steps.LINE_AUTH_PIPELINE if step != steps.CREATE_USER]
    response = login(client, line_emulator, line_emulator.add_user())
    assert (response.status_code, response["Location"]) == (302, settings.LOGIN_URL)
    assert not LineAccount.objects.exists() and not get_user_model().objects.exists()
    assert "_auth_user_id" not in client.session


STARTED: list[str] = []


def note_start(uid, **kwargs):
    """A site's step before its form: it must run once per login, not again when the form returns."""
    STARTED.append(uid)


@partial
def accept_terms(strategy, backend, current_partial, **kwargs):
    """A site's form between LINE and the account, as a partial step (docs/pipeline.md)."""
    if strategy.request_data().get("terms") == "accepted":
        return None
    return HttpResponseRedirect(f"/terms/?{urlencode({'partial_token': current_partial.token})}")


def test_a_partial_pipeline_resumes_at_its_form_and_finishes_the_login(login, client, line_emulator, settings):
    settings.SOCIAL_AUTH_PIPELINE = [
        *steps.LINE_AUTH_PIPELINE[:5], f"{__name__}.note_start", f"{__name__}.accept_terms",
        *steps.LINE_AUTH_PIPELINE[5:],
    ]
    STARTED.clear()
    taro = line_emulator.add_user()
    form = login(client, line_emulator, taro)
    assert form.status_code == 302 and form["Location"].startswith("/terms/?partial_token=")
    assert not LineAccount.objects.exists() and "_auth_user_id" not in client.session

    token = parse_qs(urlsplit(form["Location"]).query)["partial_token"][0]
    with CaptureQueriesContext(connection) as resumed:
        done = client.get("/accounts/line/complete/", {"partial_token": token, "terms": "accepted"})
    assert done.status_code == 302 and done["Location"] == settings.SOCIAL_AUTH_LOGIN_REDIRECT_URL
    account = LineAccount.objects.get(line_user_id=taro.user_id)
    assert client.session["_auth_user_id"] == str(account.user.pk)
    # It goes on from the form: neither the steps before it nor the look-up of the LINE user run again.
    assert STARTED == [taro.user_id]
    assert not [query for query in resumed.captured_queries if "channel_account" in query["sql"]]


def test_a_login_resumed_after_its_channel_was_removed_is_refused(login, client, line_emulator, settings, caplog):
    """Its account must never be filed under another channel, even the new default one."""
    settings.SOCIAL_AUTH_PIPELINE = [*steps.LINE_AUTH_PIPELINE[:5], f"{__name__}.accept_terms",
                                     *steps.LINE_AUTH_PIPELINE[5:]]
    form = login(client, line_emulator, line_emulator.add_user())
    token = parse_qs(urlsplit(form["Location"]).query)["partial_token"][0]
    settings.SOCIAL_AUTH_LINE_KEY = "1111111111"  # the site moved to another channel meanwhile
    caplog.clear()
    refused = client.get("/accounts/line/complete/", {"partial_token": token, "terms": "accepted"})
    assert refused.status_code == 400 and b"line-auth-failure-verification" in refused.content
    assert [record.getMessage() for record in caplog.records if record.name == "line_auth.login"] == [
        "LINE login failed: kind=verification code=unknown_channel stage=pipeline parameter=channel_id"
    ]
    assert not LineAccount.objects.exists() and not get_user_model().objects.exists()


def test_a_resumed_login_that_runs_again_goes_on_from_its_form(login, client, line_emulator, settings, monkeypatch):
    """The backend runs a login again when its write finds the account unlinked (or a parallel
    login linked it) after the look-up; a resumed login runs again from its form, so the
    site's steps before the form still run once."""
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    client.logout()
    settings.SOCIAL_AUTH_PIPELINE = [*steps.LINE_AUTH_PIPELINE[:4], f"{__name__}.note_start",
                                     f"{__name__}.accept_terms", *steps.LINE_AUTH_PIPELINE[4:]]
    STARTED.clear()
    form = login(client, line_emulator, taro)
    token = parse_qs(urlsplit(form["Location"]).query)["partial_token"][0]
    looked_up, attempts = login_pipeline.look_up, []

    def unlinked_after_first_look_up(*args, **kwargs):
        found = looked_up(*args, **kwargs)
        attempts.append(found)
        if len(attempts) == 1:
            LineAccount.objects.all().delete()  # undone with the failed attempt's transaction
        return found

    monkeypatch.setattr(login_pipeline, "look_up", unlinked_after_first_look_up)
    done = client.get("/accounts/line/complete/", {"partial_token": token, "terms": "accepted"})
    assert done.status_code == 302 and done["Location"] == settings.SOCIAL_AUTH_LOGIN_REDIRECT_URL
    assert len(attempts) == 2 and client.session["_auth_user_id"] == str(LineAccount.objects.get().user_id)
    assert STARTED == [taro.user_id]


FOUND: list[tuple] = []


def note_what_social_user_found(user, social, is_new, new_association, **kwargs):
    """A site's step right after social_user, taking what docs/pipeline.md says every step gets."""
    FOUND.append((user, social, is_new, new_association))


def test_a_step_after_social_user_learns_whether_the_line_user_is_new(sdk_login, client, line_emulator, settings):
    """A native login starts its pipeline without a ``user``: social_user hands one on, as social-core's does."""
    settings.SOCIAL_AUTH_PIPELINE = [*steps.LINE_AUTH_PIPELINE[:5], f"{__name__}.note_what_social_user_found",
                                     *steps.LINE_AUTH_PIPELINE[5:]]
    FOUND.clear()
    taro = line_emulator.add_user()
    assert sdk_login(client, line_emulator, taro).status_code == 200
    assert sdk_login(client, line_emulator, taro).status_code == 200
    social = UserSocialAuth.objects.get()
    assert FOUND == [(None, None, True, True), (social.user, social, False, False)]
