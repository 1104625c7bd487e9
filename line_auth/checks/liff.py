"""Checks on the channels of LIFF apps and LINE MINI Apps, and on each channel's webhook."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from line_auth import channels
from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings

# A LIFF ID token lives an hour; a window longer than that no longer limits anything.
LIFF_MAX_AGE_RANGE = (1, 3600)
LIFF_KINDS = (channels.ChannelKind.LIFF, channels.ChannelKind.MINI_APP)


def allowed_audiences_deprecated(undeclared: Iterable[str]) -> CheckMessage:
    return Warning(
        "LINE_AUTH_ALLOWED_AUDIENCES is deprecated; its channels are still accepted, each "
        f"filed under its own channel ID: {', '.join(undeclared) or '(none)'}.",
        hint="Declare each in LINE_AUTH_CHANNELS with its KIND ('liff' or 'mini_app') and remove "
        "LINE_AUTH_ALLOWED_AUDIENCES (docs/migrating.md).",
        id=Codes.ALLOWED_AUDIENCES_DEPRECATED,
    )


def liff_mode_without_liff_channel() -> CheckMessage:
    return Warning(
        "LINE_AUTH_LIFF_ID_TOKENS is on, but no channel has KIND 'liff' or 'mini_app', so every "
        "ID token sent without a nonce is refused.",
        hint="Declare your LIFF and LINE MINI App channels in LINE_AUTH_CHANNELS (docs/liff.md).",
        id=Codes.LIFF_MODE_WITHOUT_LIFF_CHANNEL,
    )


def invalid_liff_id_token_max_age(value: object) -> CheckMessage:
    low, high = LIFF_MAX_AGE_RANGE
    return Error(
        f"LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE must be a whole number of seconds from {low} to {high}, "
        f"not {value!r}.",
        hint="Keep it short: 300 seconds is enough for an app to send the token it just got.",
        id=Codes.INVALID_LIFF_ID_TOKEN_MAX_AGE,
    )


def messaging_secret_is_login_secret(name: str) -> CheckMessage:
    return Error(
        f"LINE_AUTH_CHANNELS[{name!r}]['MESSAGING_CHANNEL_SECRET'] is the channel's own secret.",
        hint="LINE signs webhooks with the secret of the linked Official Account's Messaging API "
        "channel (its Basic settings), never the LINE Login channel's.",
        id=Codes.MESSAGING_SECRET_IS_LOGIN_SECRET,
    )


def messaging_channel_across_providers(names: Iterable[str]) -> CheckMessage:
    return Warning(
        f"Channels of different providers share one Messaging API channel: {', '.join(names)}.",
        hint="LINE user IDs differ between providers, so an Official Account's webhook events can "
        "name only the users of its own provider's channels; check each channel's PROVIDER.",
        id=Codes.MESSAGING_CHANNEL_ACROSS_PROVIDERS,
    )


@register(TAG, Tags.security)
def check_liff(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The deprecated audience list, and the LIFF ID-token mode's window and channels."""
    found = _configured()
    declared = {channel.channel_id for channel in found if not channels.is_legacy_audience(channel)}
    audiences = getattr(settings, "LINE_AUTH_ALLOWED_AUDIENCES", ())
    max_age = getattr(settings, "LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE", 300)
    low, high = LIFF_MAX_AGE_RANGE
    max_age_valid = isinstance(max_age, int) and not isinstance(max_age, bool) and low <= max_age <= high
    has_liff = bool(audiences) or any(channel.kind in LIFF_KINDS for channel in found)
    return collect(
        allowed_audiences_deprecated(sorted(set(line_settings.allowed_audiences) - declared)) if audiences else None,
        None if max_age_valid else invalid_liff_id_token_max_age(max_age),
        liff_mode_without_liff_channel() if line_settings.liff_id_tokens and not has_liff else None,
    )


@register(TAG, Tags.security)
def check_channel_webhooks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each channel's Messaging API secret is not its login secret, nor shared across providers."""
    messages: list[CheckMessage | None] = []
    by_secret: dict[str, list[channels.Channel]] = {}
    for channel in _configured():
        # The legacy LINE_AUTH_WEBHOOK_SECRET has its own check (E010).
        legacy = channel.messaging_secret == line_settings.webhook_secret
        if channel.messaging_secret and channel.messaging_secret == channel.secret and not legacy:
            messages.append(messaging_secret_is_login_secret(channel.name))
        if channel.messaging_secret:
            by_secret.setdefault(channel.messaging_secret, []).append(channel)
    for linked in by_secret.values():
        if len({channel.provider for channel in linked}) > 1:
            messages.append(messaging_channel_across_providers(channel.name for channel in linked))
    return collect(*messages)


def _configured() -> tuple[channels.Channel, ...]:
    # A broken LINE_AUTH_CHANNELS raises at its first use, with its own message; these
    # checks have nothing to add about it.
    try:
        return channels.all_channels()
    except ImproperlyConfigured:
        return ()
