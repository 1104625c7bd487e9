"""Native logins on a site with several channels of each kind: a second LINE Login channel
(LINE SDK app), a LIFF channel, and LINE MINI App channels, one of them with the
simplified (``openid``-only) consent of new Japanese MINI Apps. Each login is filed
under the channel its token was issued for, through the emulator."""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.utils import timezone

from line_auth import tokens
from line_auth.checks import TAG, liff
from line_auth.models import AccessTokenKind, LineAccount
from line_auth.testing.liff import OPENID_ONLY

pytestmark = pytest.mark.django_db

WEB, LIFF, MINI, MINI_JP, STRANGER = "2100000001", "2100000002", "2100000003", "2100000004", "2100000009"
VERIFY, PROFILE, USERINFO, FRIENDSHIP, CERTS = (
    "/oauth2/v2.1/verify", "/v2/profile", "/oauth2/v2.1/userinfo", "/friendship/v1/status", "/oauth2/v2.1/certs",
)
# The order of the P-256 group: (r, n - s) is a second valid ECDSA signature of the same token.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@pytest.fixture
def site(settings, line_emulator):
    """The site's channels, each also registered with the emulated LINE Platform."""
    settings.LINE_AUTH_CHANNELS = {
        "tw": {"CHANNEL_ID": WEB, "CHANNEL_SECRET": "1" * 32},
        "shop": {"CHANNEL_ID": LIFF, "CHANNEL_SECRET": "2" * 32, "KIND": "liff"},
        "game": {"CHANNEL_ID": MINI, "CHANNEL_SECRET": "3" * 32, "KIND": "mini_app"},
        "game-jp": {"CHANNEL_ID": MINI_JP, "CHANNEL_SECRET": "4" * 32, "KIND": "mini_app"},
    }
    line_emulator.add_channel(WEB, "1" * 32, app_types=("web", "mobile"))
    line_emulator.add_liff_channel(LIFF, "2" * 32)
    line_emulator.add_liff_channel(MINI, "3" * 32)
    line_emulator.add_liff_channel(MINI_JP, "4" * 32, scopes=OPENID_ONLY)
    line_emulator.add_liff_channel(STRANGER, "9" * 32)  # another site's LIFF app
    return line_emulator


@pytest.fixture
def liff_mode(settings):
    settings.LINE_AUTH_LIFF_ID_TOKENS = True


def paths(emulator) -> list[str]:
    return [call.path for call in emulator.calls]


# -- one native flow per channel kind --


def test_a_line_sdk_id_token_of_a_second_login_channel_is_filed_under_it(site, client, new_nonce, native_post):
    user = site.add_user(name="Chen")
    nonce = new_nonce(client)
    token = site.make_id_token(user, WEB, nonce=nonce, alg="ES256")

    response = native_post(client, {"id_token": token, "nonce": nonce})

    assert response.status_code == 200, response.content
    account = LineAccount.objects.get()
    assert (account.channel_id, account.line_user_id, account.display_name) == (WEB, user.user_id, "Chen")
    assert paths(site) == [CERTS]


def test_a_line_sdk_access_token_is_kept_as_an_app_token(site, client, native_post):
    user = site.add_user()
    issued = site.issue_tokens(user, WEB)
    assert native_post(client, {"access_token": issued["access_token"]}).status_code == 200
    account = LineAccount.objects.get()
    assert account.channel_id == WEB and account.access_token_kind == AccessTokenKind.APP


def test_a_liff_access_token_logs_in_and_is_stored_as_a_liff_token(site, client, native_post):
    user = site.add_user(name="Hanako")
    session = site.liff_session(user, LIFF)

    response = native_post(client, {"access_token": session.access_token})

    assert response.status_code == 200, response.content
    account = LineAccount.objects.get()
    assert account.channel_id == LIFF and account.display_name == "Hanako"
    assert account.access_token == session.access_token and account.refresh_token == ""
    assert account.access_token_kind == AccessTokenKind.LIFF and account.scopes == "profile openid"
    # LINE said 12 hours (the emulated clock does not move during the login).
    assert timedelta(hours=11, minutes=59) < account.access_token_expires_at - timezone.now() <= timedelta(hours=12)
    assert paths(site) == [VERIFY, PROFILE]  # friendship only when the site asks (LINE_AUTH_FETCH_FRIENDSHIP)


def test_a_mini_app_id_token_with_a_nonce_logs_in_under_the_mini_app_channel(site, client, new_nonce, native_post):
    user = site.add_user(name="Mini")
    nonce = new_nonce(client)
    token = site.make_id_token(user, MINI, nonce=nonce, alg="ES256")
    assert native_post(client, {"id_token": token, "nonce": nonce}).status_code == 200
    assert LineAccount.objects.get().channel_id == MINI


def test_the_same_person_on_two_channels_gets_one_account_per_channel(site, client, native_post):
    web_user, mini_user = site.add_user(), site.add_user()
    assert native_post(client, {"access_token": site.issue_tokens(web_user, WEB)["access_token"]}).status_code == 200
    client.logout()
    assert native_post(client, {"access_token": site.liff_session(mini_user, MINI).access_token}).status_code == 200
    assert sorted(LineAccount.objects.values_list("channel_id", flat=True)) == [WEB, MINI]


# -- openid-only consent (new Japanese LINE MINI Apps) --


def test_an_openid_only_token_reads_userinfo_and_never_asks_for_friendship(site, client, native_post):
    user = site.add_user(name="Not Shared")
    session = site.liff_session(user, MINI_JP)

    response = native_post(client, {"access_token": session.access_token})

    assert response.status_code == 200, response.content
    account = LineAccount.objects.get()
    assert (account.channel_id, account.line_user_id) == (MINI_JP, user.user_id)
    assert account.display_name == "" and account.scopes == "openid"
    assert account.friendship == "unknown"
    assert paths(site) == [VERIFY, USERINFO]


def test_the_emulator_refuses_profile_and_friendship_to_an_openid_only_token(site):
    import requests

    session = site.liff_session(site.add_user(), MINI_JP)
    headers = {"Authorization": f"Bearer {session.access_token}"}
    assert requests.get(f"{site.api_base_url}{PROFILE}", headers=headers, timeout=5).status_code == 401
    assert requests.get(f"{site.api_base_url}{FRIENDSHIP}", headers=headers, timeout=5).status_code == 401
    assert set(requests.get(f"{site.api_base_url}{USERINFO}", headers=headers, timeout=5).json()) == {"sub"}


def test_a_token_granting_neither_profile_nor_openid_is_refused(site, client, native_post, assert_refused):
    issued = site.issue_tokens(site.add_user(), WEB, scope="email")
    response = native_post(client, {"access_token": issued["access_token"]})
    assert_refused(response, 401, "invalid_access_token")
    assert response.json()["error_description"] == "the token grants neither profile nor openid, so it names no user"


def test_an_access_token_of_a_foreign_channel_is_refused_before_any_profile_call(
    site, client, native_post, assert_refused
):
    session = site.liff_session(site.add_user(), STRANGER)
    assert_refused(native_post(client, {"access_token": session.access_token}), 401, "invalid_access_token")
    assert paths(site) == [VERIFY]


# -- the LIFF ID-token mode (opt-in) --


def test_liff_mode_accepts_a_fresh_liff_id_token_once(site, liff_mode, client, native_post, assert_refused):
    user = site.add_user(name="Liff")
    session = site.liff_session(user, LIFF)

    response = native_post(client, {"id_token": session.id_token})

    assert response.status_code == 200, response.content
    assert LineAccount.objects.get().channel_id == LIFF
    assert paths(site) == [CERTS]  # verified locally: no other call to LINE
    client.logout()
    replayed = native_post(client, {"id_token": session.id_token})
    assert_refused(replayed, 401, "id_token_replayed", accounts=1)


def test_a_replay_with_a_rewritten_signature_is_still_a_replay(site, liff_mode, client, native_post, assert_refused):
    session = site.liff_session(site.add_user(), LIFF)
    assert native_post(client, {"id_token": session.id_token}).status_code == 200
    head, payload, signature = session.id_token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    twin = base64.urlsafe_b64encode(r + (P256_ORDER - s).to_bytes(32, "big")).rstrip(b"=").decode()
    response = native_post(client, {"id_token": f"{head}.{payload}.{twin}"})
    assert_refused(response, 401, "id_token_replayed", accounts=1)


def test_liff_mode_refuses_a_token_issued_before_the_window(site, liff_mode, client, native_post, assert_refused):
    stale = site.liff_session(site.add_user(), MINI, issued_ago=330)
    assert_refused(native_post(client, {"id_token": stale.id_token}), 401, "id_token_too_old")
    fresh = site.liff_session(site.add_user(), MINI, issued_ago=270)
    assert native_post(client, {"id_token": fresh.id_token}).status_code == 200


def test_the_window_is_a_setting(site, liff_mode, settings, client, native_post, assert_refused):
    settings.LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE = 60
    session = site.liff_session(site.add_user(), MINI, issued_ago=120)
    assert_refused(native_post(client, {"id_token": session.id_token}), 401, "id_token_too_old")
    settings.LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE = 600
    assert native_post(client, {"id_token": session.id_token}).status_code == 200


def test_a_stale_token_is_not_spent(site, liff_mode, settings, client, native_post):
    """A refusal for age leaves no mark, so only the checks that passed spend a token."""
    settings.LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE = 60
    session = site.liff_session(site.add_user(), MINI, issued_ago=120)
    assert native_post(client, {"id_token": session.id_token}).json()["error"] == "id_token_too_old"
    settings.LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE = 300
    assert native_post(client, {"id_token": session.id_token}).status_code == 200


def test_an_expired_liff_token_is_refused(site, liff_mode, client, native_post, assert_refused):
    now = int(time.time())
    # Issued inside the window, but past its exp by more than LINE_AUTH_ID_TOKEN_LEEWAY (60 s).
    token = site.make_id_token(site.add_user(), LIFF, alg="ES256", iat=now - 200, exp=now - 100)
    response = native_post(client, {"id_token": token})
    assert_refused(response, 401, "invalid_id_token")
    assert response.json()["error_description"] == "expired"


def test_liff_mode_refuses_a_foreign_channels_token(site, liff_mode, client, native_post, assert_refused):
    session = site.liff_session(site.add_user(), STRANGER)
    response = native_post(client, {"id_token": session.id_token})
    assert_refused(response, 401, "invalid_id_token")
    assert response.json()["error_description"] == "wrong audience"
    assert site.calls == []


def test_liff_mode_refuses_a_web_channels_token_without_a_nonce(site, liff_mode, client, native_post, assert_refused):
    token = site.make_id_token(site.add_user(), WEB, alg="ES256")
    assert_refused(native_post(client, {"id_token": token}), 401, "not_a_liff_channel")
    assert site.calls == []


def test_without_liff_mode_a_token_without_a_nonce_is_a_bad_request(site, client, native_post, assert_refused):
    session = site.liff_session(site.add_user(), LIFF)
    assert_refused(native_post(client, {"id_token": session.id_token}), 400, "invalid_request")


def test_liff_mode_keeps_nonce_logins(site, liff_mode, client, new_nonce, native_post, assert_refused):
    """A nonce, when sent, is checked as always: LIFF mode only adds a way in."""
    user = site.add_user()
    token = site.make_id_token(user, WEB, nonce="not-ours", alg="ES256")
    assert_refused(native_post(client, {"id_token": token, "nonce": new_nonce(client)}), 401, "invalid_id_token")


def test_liff_mode_with_remote_verification_asks_line_for_the_tokens_channel(
    site, liff_mode, settings, client, native_post
):
    settings.LINE_AUTH_NATIVE_VERIFY = "remote"
    session = site.liff_session(site.add_user(), MINI)
    assert native_post(client, {"id_token": session.id_token}).status_code == 200
    (call,) = site.calls
    assert (call.method, call.path, call.sent("client_id"), call.sent("nonce")) == ("POST", VERIFY, MINI, None)


# -- the deprecated LINE_AUTH_ALLOWED_AUDIENCES --


def test_a_listed_audience_still_logs_in_under_its_own_channel_with_a_warning(
    settings, line_emulator, client, sdk_login
):
    settings.LINE_AUTH_ALLOWED_AUDIENCES = ["2000000000"]
    line_emulator.add_liff_channel("2000000000", "5" * 32)
    assert sdk_login(client, line_emulator, aud="2000000000").status_code == 200
    assert LineAccount.objects.get().channel_id == "2000000000"
    assert liff.allowed_audiences_deprecated(["2000000000"]) in run_checks(tags=[TAG])


def test_a_listed_audience_is_a_liff_channel_for_liff_mode(settings, line_emulator, liff_mode, client, native_post):
    settings.LINE_AUTH_ALLOWED_AUDIENCES = ["2000000000"]
    line_emulator.add_liff_channel("2000000000", "5" * 32)
    session = line_emulator.liff_session(line_emulator.add_user(), "2000000000")
    assert native_post(client, {"id_token": session.id_token}).status_code == 200


# -- LIFF tokens are never refreshed --


def test_a_liff_token_is_not_refreshed_and_says_why(site, client, native_post):
    session = site.liff_session(site.add_user(), LIFF)
    assert native_post(client, {"access_token": session.access_token}).status_code == 200
    account = LineAccount.objects.get()
    site.reset_calls()

    assert tokens.refresh(account) == tokens.Outcome.NOT_REFRESHABLE
    assert not tokens.due_for_refresh(window=24 * 3600).exists()
    assert site.calls == []  # nothing was sent with an empty refresh token


def test_the_account_page_and_the_admin_say_liff_token_no_refresh(site, client, native_post, admin_client):
    session = site.liff_session(site.add_user(), LIFF)
    assert native_post(client, {"access_token": session.access_token}).status_code == 200
    assert "LIFF token, no refresh" in client.get("/accounts/line/account/").content.decode()
    account = LineAccount.objects.get()
    change = admin_client.get(f"/admin/line_auth/lineaccount/{account.pk}/change/").content.decode()
    assert "LIFF token, no refresh" in change


def test_a_name_with_a_lone_surrogate_is_stored_readable(site, liff_mode, client, native_post):
    """JSON can carry "\\ud800", which no database column takes: it is stored as "?"."""
    token = site.make_id_token(site.add_user(), LIFF, alg="ES256", name="Ta\ud800ro", picture="https://x/\udfff")
    assert native_post(client, {"id_token": token}).status_code == 200
    account = LineAccount.objects.get()
    assert (account.display_name, account.picture_url) == ("Ta?ro", "")


def test_one_person_on_the_web_channel_and_a_liff_channel_is_one_user(site, client, sdk_login, native_post):
    """Channels of one provider see one LINE user ID: the LIFF login reaches the same user."""
    person = site.add_user()
    assert sdk_login(client, site, person).status_code == 200
    client.logout()
    response = native_post(client, {"access_token": site.liff_session(person, LIFF).access_token})
    assert response.status_code == 200, response.content
    assert response.json()["is_new"] is False
    accounts = LineAccount.objects.order_by("pk")
    assert [account.channel_id for account in accounts] == ["1234567890", LIFF]
    assert len({account.user_id for account in accounts}) == 1


def test_a_web_login_stores_a_refreshable_token_and_a_refresh_keeps_it_so(
    line_emulator, client, login, native_post, settings
):
    """A LIFF token on the web channel gives way to LINE Login's once the web login's
    refresh token renews it: the account then says so, and the refresh jobs take it."""
    person = line_emulator.add_user()
    assert login(client, line_emulator, person).status_code == 302
    account = LineAccount.objects.get()
    assert account.access_token_kind == AccessTokenKind.LOGIN

    settings.LINE_AUTH_CHANNELS = {"default": {"CHANNEL_ID": "1234567890", "KIND": "liff",
                                               "CHANNEL_SECRET": settings.SOCIAL_AUTH_LINE_SECRET}}
    liff_token = line_emulator.liff_access_token(person, "1234567890")
    assert native_post(client, {"access_token": liff_token}).status_code == 200
    account.refresh_from_db()
    assert account.access_token_kind == AccessTokenKind.LIFF and account.refresh_token

    assert tokens.refresh(account) == tokens.Outcome.REFRESHED
    account.refresh_from_db()
    assert account.access_token_kind == AccessTokenKind.LOGIN and account.access_token != liff_token
