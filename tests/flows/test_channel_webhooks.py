"""A webhook per Messaging API channel: ``webhook/<channel>/`` verifies with that channel's
Messaging API secret and changes only the accounts of the Login channels linked to its
Official Account; ``webhook/`` stays the default channel's."""

from __future__ import annotations

import json
import time

import pytest

from line_auth.models import Friendship, FriendshipChange, LineAccount, WebhookEvent
from line_auth.views.webhook import signature

pytestmark = pytest.mark.django_db

TW_BOT, TH_BOT, LEGACY_BOT = "a" * 32, "b" * 32, "c" * 32
TW, TW_MINI, TH = "2100000001", "2100000003", "2100000005"
USER = "U" + "7" * 32


@pytest.fixture(autouse=True)
def channels(settings):
    """Taiwan's web channel and MINI App share one Official Account; Thailand has its own;
    the LIFF channel has no Official Account of its own."""
    settings.LINE_AUTH_CHANNELS = {
        "tw": {"CHANNEL_ID": TW, "CHANNEL_SECRET": "1" * 32, "MESSAGING_CHANNEL_SECRET": TW_BOT},
        "tw-mini": {"CHANNEL_ID": TW_MINI, "KIND": "mini_app", "MESSAGING_CHANNEL_SECRET": TW_BOT},
        "th": {"CHANNEL_ID": TH, "CHANNEL_SECRET": "5" * 32, "MESSAGING_CHANNEL_SECRET": TH_BOT},
        "shop": {"CHANNEL_ID": "2100000002", "KIND": "liff"},
    }


@pytest.fixture
def accounts(settings, line_account_factory):
    """The same LINE user (one provider) on every channel, the default one included."""
    return {
        channel_id: line_account_factory(line_user_id=USER, channel_id=channel_id)
        for channel_id in (settings.SOCIAL_AUTH_LINE_KEY, TW, TW_MINI, TH, "2100000002")
    }


def follow(event_id: str = "01HFOLLOW") -> bytes:
    event = {"type": "follow", "mode": "active", "timestamp": int(time.time() * 1000),
             "source": {"type": "user", "userId": USER}, "webhookEventId": event_id, "follow": {"isUnblocked": False}}
    return json.dumps({"destination": "U" + "e" * 32, "events": [event]}).encode()


def deliver(client, url: str, raw: bytes, secret: str):
    return client.generic("POST", url, raw, content_type="application/json",
                          HTTP_X_LINE_SIGNATURE=signature(raw, secret))


def friends() -> set[str]:
    return set(LineAccount.objects.filter(friendship=Friendship.FRIEND).values_list("channel_id", flat=True))


def test_a_channels_webhook_accepts_its_own_secret_and_befriends_its_linked_channels(client, accounts):
    assert deliver(client, "/accounts/line/webhook/tw/", follow(), TW_BOT).status_code == 200
    assert friends() == {TW, TW_MINI}  # not Thailand's, the LIFF channel's or the default's


def test_the_same_endpoint_is_reached_through_any_linked_channel(client, accounts):
    assert deliver(client, "/accounts/line/webhook/tw-mini/", follow(), TW_BOT).status_code == 200
    assert friends() == {TW, TW_MINI}


def test_another_channels_secret_is_refused_and_writes_nothing(client, accounts):
    assert deliver(client, "/accounts/line/webhook/tw/", follow(), TH_BOT).status_code == 403
    assert deliver(client, "/accounts/line/webhook/th/", follow(), TW_BOT).status_code == 403
    assert deliver(client, "/accounts/line/webhook/tw/", follow(), "1" * 32).status_code == 403  # login secret
    assert friends() == set() and WebhookEvent.objects.count() == 0 and FriendshipChange.objects.count() == 0


def test_each_official_account_befriends_only_its_own_channels(client, accounts):
    assert deliver(client, "/accounts/line/webhook/th/", follow("01HTH"), TH_BOT).status_code == 200
    assert friends() == {TH}


@pytest.mark.parametrize("name", ["shop", "nowhere"])
def test_a_channel_without_a_messaging_secret_or_unknown_has_no_webhook(client, name):
    assert deliver(client, f"/accounts/line/webhook/{name}/", follow(), TW_BOT).status_code == 404


def test_the_legacy_webhook_is_the_default_channels(client, settings, accounts):
    settings.LINE_AUTH_WEBHOOK_SECRET = LEGACY_BOT
    assert deliver(client, "/accounts/line/webhook/", follow(), TW_BOT).status_code == 403
    assert deliver(client, "/accounts/line/webhook/", follow(), LEGACY_BOT).status_code == 200
    assert friends() == {settings.SOCIAL_AUTH_LINE_KEY}


def test_the_legacy_webhook_still_reaches_listed_audiences(client, settings, line_account_factory):
    settings.LINE_AUTH_WEBHOOK_SECRET = LEGACY_BOT
    settings.LINE_AUTH_ALLOWED_AUDIENCES = ["2000000000"]
    line_account_factory(line_user_id=USER, channel_id="2000000000")
    assert deliver(client, "/accounts/line/webhook/", follow(), LEGACY_BOT).status_code == 200
    assert friends() == {"2000000000"}


def test_a_declared_default_channel_brings_its_own_webhook_secret(client, settings, accounts):
    settings.SOCIAL_AUTH_LINE_KEY = ""
    settings.LINE_AUTH_DEFAULT_CHANNEL = "th"
    assert deliver(client, "/accounts/line/webhook/", follow(), TH_BOT).status_code == 200
    assert friends() == {TH}


def test_without_any_secret_the_default_webhook_is_off(client, settings):
    settings.LINE_AUTH_CHANNELS = {}
    assert deliver(client, "/accounts/line/webhook/", follow(), TW_BOT).status_code == 404


def test_a_follow_before_the_first_login_waits_for_a_linked_channel_only(
    client, settings, line_emulator, native_post
):
    """Thailand's Official Account was followed before any login: the user's first account
    on Taiwan's channel does not take that status; their first one on Thailand's does."""
    settings.LINE_AUTH_FETCH_FRIENDSHIP = False
    person = line_emulator.add_user(user_id=USER)
    line_emulator.add_channel(TW, "1" * 32, app_types=("web", "mobile"))
    line_emulator.add_channel(TH, "5" * 32, app_types=("web", "mobile"))
    assert deliver(client, "/accounts/line/webhook/th/", follow("01HTHFIRST"), TH_BOT).status_code == 200

    for channel_id in (TW, TH):
        token = line_emulator.issue_tokens(person, channel_id)["access_token"]
        assert native_post(client, {"access_token": token}).status_code == 200
        client.logout()

    statuses = dict(LineAccount.objects.values_list("channel_id", "friendship"))
    assert statuses == {TW: Friendship.UNKNOWN, TH: Friendship.FRIEND}
