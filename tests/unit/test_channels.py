"""The channel registry: how settings become channels, and how one is found."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from line_auth import channels
from line_auth.channels import Channel, ChannelKind, UnknownChannel

JAPAN = {"CHANNEL_ID": "2000000001", "CHANNEL_SECRET": "a" * 32, "PROVIDER": "retail", "LABEL": "LINE Japan"}
TAIWAN = {"CHANNEL_ID": "2000000002", "CHANNEL_SECRET": "b" * 32, "PROVIDER": "retail", "SCOPE": "openid"}
MINI_APP = {"CHANNEL_ID": "2000000003", "CHANNEL_SECRET": "c" * 32, "KIND": "mini_app", "PROVIDER": "shop"}


def tenant_channels() -> list[Channel]:
    return [Channel(name="tenant", channel_id="2000000009", secret="t" * 32)]


def only_taiwan(request, offered):
    return [channel for channel in offered if channel.name == "tw"]


@override_settings(SOCIAL_AUTH_LINE_KEY="1234567890", SOCIAL_AUTH_LINE_SECRET="s" * 32, LINE_AUTH_CHANNELS={})
def test_a_social_auth_site_has_one_default_channel_with_its_site_wide_settings():
    with override_settings(LINE_AUTH_WEBHOOK_SECRET="w" * 32, LINE_AUTH_AUTHORIZATION_OPTIONS={"prompt": "consent"}):
        (channel,) = channels.all_channels()
        assert channels.default_channel() == channel
    assert channel.name == "default"
    assert (channel.channel_id, channel.secret, channel.kind) == ("1234567890", "s" * 32, ChannelKind.WEB)
    assert channel.messaging_secret == "w" * 32
    assert dict(channel.authorization_options) == {"prompt": "consent"}


@override_settings(
    SOCIAL_AUTH_LINE_KEY="1234567890",
    SOCIAL_AUTH_LINE_SECRET="s" * 32,
    LINE_AUTH_CHANNELS={"jp": JAPAN, "tw": TAIWAN, "mini": MINI_APP},
)
def test_declared_channels_join_the_social_auth_one_which_stays_the_default():
    names = [channel.name for channel in channels.all_channels()]
    assert names == ["default", "jp", "tw", "mini"]
    assert channels.get("tw").scope == ("openid",)
    assert channels.get("jp").display_name == "LINE Japan"
    assert channels.get("tw").display_name == "tw"
    assert channels.by_id("2000000003").kind is ChannelKind.MINI_APP
    assert channels.by_id("999") is None
    with pytest.raises(UnknownChannel):
        channels.get("kr")


@override_settings(
    SOCIAL_AUTH_LINE_KEY="2000000001", SOCIAL_AUTH_LINE_SECRET="a" * 32, LINE_AUTH_CHANNELS={"jp": JAPAN}
)
def test_a_declared_channel_with_the_social_auth_id_replaces_the_default_one():
    assert [channel.name for channel in channels.all_channels()] == ["jp"]


@override_settings(
    SOCIAL_AUTH_LINE_KEY="", LINE_AUTH_CHANNELS={"jp": JAPAN, "tw": TAIWAN}, LINE_AUTH_DEFAULT_CHANNEL="tw"
)
def test_the_default_channel_setting_chooses_the_default():
    assert channels.default_channel().name == "tw"
    with override_settings(LINE_AUTH_DEFAULT_CHANNEL="kr"), pytest.raises(ImproperlyConfigured, match="kr"):
        channels.default_channel()


@override_settings(SOCIAL_AUTH_LINE_KEY="", LINE_AUTH_CHANNELS={})
def test_no_channel_at_all_is_an_unknown_channel():
    with pytest.raises(UnknownChannel):
        channels.default_channel()


@pytest.mark.parametrize(
    ("declared", "complaint"),
    [
        ({"JP": JAPAN}, "not a channel name"),
        ({"jp": {**JAPAN, "CHANNEL_ID": "abc"}}, "numeric ID"),
        ({"jp": {**JAPAN, "KIND": "bot"}}, "KIND"),
        ({"jp": {**JAPAN, "SECRET": "x"}}, "unknown keys"),
        ({"jp": {**JAPAN, "AUTHORIZATION_OPTIONS": ["prompt"]}}, "AUTHORIZATION_OPTIONS"),
        ({"jp": JAPAN, "jp2": JAPAN}, "channel_id"),
        ({"jp": "2000000001"}, "must be a dict"),
        (["jp"], "must be a dict"),
    ],
)
def test_settings_line_cannot_use_are_refused_with_what_to_fix(declared, complaint):
    with override_settings(SOCIAL_AUTH_LINE_KEY="", LINE_AUTH_CHANNELS=declared):
        with pytest.raises(ImproperlyConfigured, match=complaint):
            channels.all_channels()


@override_settings(SOCIAL_AUTH_LINE_KEY="", LINE_AUTH_CHANNELS={"jp": JAPAN})
def test_a_loader_adds_channels_and_may_not_reuse_a_name():
    with override_settings(LINE_AUTH_CHANNEL_LOADER=f"{__name__}.tenant_channels"):
        assert channels.get("tenant").channel_id == "2000000009"
        assert channels.by_id("2000000009").secret == "t" * 32
    loader = f"{__name__}.tenant_channels"
    with override_settings(LINE_AUTH_CHANNELS={"tenant": JAPAN}, LINE_AUTH_CHANNEL_LOADER=loader):
        with pytest.raises(ImproperlyConfigured, match="name"):
            channels.all_channels()


@override_settings(SOCIAL_AUTH_LINE_KEY="", LINE_AUTH_CHANNELS={"jp": JAPAN, "tw": TAIWAN, "mini": MINI_APP})
def test_a_web_login_uses_the_named_channel_the_request_may_use_and_never_a_mini_app():
    request = RequestFactory().get("/")
    assert channels.for_web_login(request, None).name == "jp"
    assert channels.for_web_login(request, "tw").name == "tw"
    with pytest.raises(UnknownChannel):
        channels.for_web_login(request, "mini")
    with override_settings(LINE_AUTH_CHANNEL_SELECTOR=f"{__name__}.only_taiwan"):
        assert [channel.name for channel in channels.for_request(request)] == ["tw"]
        assert channels.for_web_login(request, None).name == "tw"
        with pytest.raises(UnknownChannel):
            channels.for_web_login(request, "jp")


def test_secrets_stay_out_of_a_channels_repr():
    channel = Channel(name="jp", channel_id="1", secret="topsecret", messaging_secret="alsosecret")
    assert "topsecret" not in repr(channel)
    assert "alsosecret" not in repr(channel)
