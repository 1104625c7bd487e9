"""The LINE channels a site has, and how the one for a login, a token or a request is found.

A LINE user ID is issued per *provider*: every channel under one provider sees
the same ID for a person, channels under different providers never do. So a
channel carries its provider, and accounts of one person are joined by
(provider, LINE user ID), never across providers.

A site configured the social-auth way (``SOCIAL_AUTH_LINE_KEY`` and
``SOCIAL_AUTH_LINE_SECRET``) has one channel, named ``default``; a site with
several declares them in ``LINE_AUTH_CHANNELS`` (docs/channels.md). Sites that
keep their channels in their own database (one per tenant or ``Site``) add them
with ``LINE_AUTH_CHANNEL_LOADER`` and narrow what a request may use with
``LINE_AUTH_CHANNEL_SELECTOR``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.module_loading import import_string

from line_auth.conf import line_settings
from line_auth.exceptions import ErrorCode, LineAuthError

logger = logging.getLogger("line_auth.channels")
QuerySetT = TypeVar("QuerySetT", bound=QuerySet[Any])

DEFAULT_NAME = "default"
# Channels listed only in the deprecated LINE_AUTH_ALLOWED_AUDIENCES are named with this prefix.
LEGACY_AUDIENCE_PREFIX = "audience-"
DEFAULT_PROVIDER = "default"
# A short name appears in URLs and CSS classes, so it stays a slug.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# LINE channel IDs are decimal numbers (10 digits today).
CHANNEL_ID_PATTERN = re.compile(r"^[0-9]{1,32}$")
KEYS = frozenset({
    "CHANNEL_ID", "CHANNEL_SECRET", "KIND", "PROVIDER", "LABEL", "SCOPE", "AUTHORIZATION_OPTIONS",
    "MESSAGING_CHANNEL_SECRET", "MESSAGING_DESTINATION",
})


class ChannelKind(StrEnum):
    """What a channel is for; the values are public and appear in settings."""

    WEB = "web"  # a LINE Login channel: web logins, and native apps using the LINE SDK
    LIFF = "liff"  # a LINE Login channel whose LIFF apps send their tokens to the server
    MINI_APP = "mini_app"  # a LINE MINI App channel (its own channel, LIFF tokens)


class UnknownChannel(LineAuthError, LookupError):
    """No configured channel (or none this request may use) has that name or ID."""

    code = ErrorCode.UNKNOWN_CHANNEL


@dataclass(frozen=True)
class Channel:
    """One channel's identity and credentials; secrets never appear in its repr."""

    name: str
    channel_id: str
    secret: str = field(default="", repr=False)
    kind: ChannelKind = ChannelKind.WEB
    provider: str = DEFAULT_PROVIDER
    label: str = ""
    scope: tuple[str, ...] = ("profile", "openid")
    authorization_options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # The Messaging API channel linked to this one (its friends are this channel's friends).
    messaging_secret: str = field(default="", repr=False)
    messaging_destination: str = ""

    @property
    def display_name(self) -> str:
        """What a LINE button says for this channel."""
        return self.label or self.name

    @property
    def serves_web_login(self) -> bool:
        """LINE MINI App channels have no browser login of their own, and none without a secret."""
        return self.kind is not ChannelKind.MINI_APP and bool(self.secret)


def channel_from_setting(name: str, value: Mapping[str, Any]) -> Channel:
    """Build one channel from its ``LINE_AUTH_CHANNELS`` entry, refusing what LINE can't use."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ImproperlyConfigured(
            f"LINE_AUTH_CHANNELS: {name!r} is not a channel name: use 1-32 lowercase letters, "
            "digits, '-' or '_'."
        )
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"LINE_AUTH_CHANNELS[{name!r}] must be a dict.")
    unknown = sorted(set(value) - KEYS)
    if unknown:
        raise ImproperlyConfigured(f"LINE_AUTH_CHANNELS[{name!r}] has unknown keys {unknown}; known: {sorted(KEYS)}.")
    channel_id = str(value.get("CHANNEL_ID") or "").strip()
    if not CHANNEL_ID_PATTERN.match(channel_id):
        raise ImproperlyConfigured(f"LINE_AUTH_CHANNELS[{name!r}]['CHANNEL_ID'] must be the channel's numeric ID.")
    try:
        kind = ChannelKind(value.get("KIND", ChannelKind.WEB))
    except ValueError:
        allowed = ", ".join(repr(kind.value) for kind in ChannelKind)
        raise ImproperlyConfigured(f"LINE_AUTH_CHANNELS[{name!r}]['KIND'] must be one of {allowed}.") from None
    options = value.get("AUTHORIZATION_OPTIONS", {})
    if not isinstance(options, Mapping):
        raise ImproperlyConfigured(f"LINE_AUTH_CHANNELS[{name!r}]['AUTHORIZATION_OPTIONS'] must be a dict.")
    return Channel(
        name=name,
        channel_id=channel_id,
        secret=str(value.get("CHANNEL_SECRET") or "").strip(),
        kind=kind,
        provider=str(value.get("PROVIDER") or DEFAULT_PROVIDER),
        label=str(value.get("LABEL") or ""),
        scope=_scope(value.get("SCOPE"), default=line_settings.scope),
        authorization_options=MappingProxyType(dict(options)),
        messaging_secret=str(value.get("MESSAGING_CHANNEL_SECRET") or "").strip(),
        messaging_destination=str(value.get("MESSAGING_DESTINATION") or "").strip(),
    )


def _scope(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    return tuple(value.split()) if isinstance(value, str) else tuple(str(item) for item in value)


def _social_auth_channel() -> Channel | None:
    """The channel a site configured the social-auth way, with today's site-wide settings."""
    if not line_settings.channel_id:
        return None
    return Channel(
        name=DEFAULT_NAME,
        channel_id=line_settings.channel_id,
        secret=line_settings.channel_secret,
        scope=line_settings.scope,
        authorization_options=MappingProxyType(line_settings.authorization_options),
        messaging_secret=line_settings.webhook_secret,
    )


def _declared() -> list[Channel]:
    declared = line_settings.channels
    if not isinstance(declared, Mapping):
        raise ImproperlyConfigured("LINE_AUTH_CHANNELS must be a dict of channel name to settings.")
    channels = [channel_from_setting(name, value) for name, value in declared.items()]
    legacy = _social_auth_channel()
    if legacy is not None and all(channel.channel_id != legacy.channel_id for channel in channels):
        channels.insert(0, legacy)
    return channels


def _legacy_audiences(known: list[Channel]) -> list[Channel]:
    """IDs listed only in the deprecated ``LINE_AUTH_ALLOWED_AUDIENCES`` (check W025): LIFF
    apps' channels under the site's provider, whose secret the site never had."""
    ids = {channel.channel_id for channel in known}
    return [
        Channel(name=f"{LEGACY_AUDIENCE_PREFIX}{channel_id}", channel_id=channel_id, kind=ChannelKind.LIFF)
        for channel_id in dict.fromkeys(line_settings.allowed_audiences) if channel_id not in ids
    ]


def is_legacy_audience(channel: Channel) -> bool:
    """Whether the channel comes from ``LINE_AUTH_ALLOWED_AUDIENCES`` rather than being declared."""
    return channel.name.startswith(LEGACY_AUDIENCE_PREFIX) and not channel.secret


def _loaded() -> list[Channel]:
    try:
        loader: Callable[[], Iterable[Channel]] = import_string(line_settings.channel_loader)
    except ImportError as error:
        raise ImproperlyConfigured(str(error)) from error
    return list(loader())


def all_channels() -> tuple[Channel, ...]:
    """Every channel: the declared ones, the social-auth one and the loader's, default first.

    Raises ``ImproperlyConfigured`` when two share a name or a channel ID, since a token or
    a callback could then be filed under the wrong credentials. The settings' channels are
    read once (a login looks them up several times); a loader is asked every time.
    """
    if line_settings.channel_loader:
        return _assembled(_declared() + _loaded())
    return _from_settings()


@lru_cache(maxsize=1)
def _from_settings() -> tuple[Channel, ...]:
    return _assembled(_declared())


def forget_settings(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver: channels read from the settings are read again."""
    if setting.startswith(("LINE_AUTH_", "SOCIAL_AUTH_")):
        _from_settings.cache_clear()


def _assembled(channels: list[Channel]) -> tuple[Channel, ...]:
    channels += _legacy_audiences(channels)
    _refuse_duplicates(channels)
    preferred = line_settings.default_channel
    if preferred:
        channels.sort(key=lambda channel: channel.name != preferred)
        if channels and channels[0].name != preferred:
            raise ImproperlyConfigured(f"LINE_AUTH_DEFAULT_CHANNEL names no channel: {preferred!r}.")
    return tuple(channels)


def _refuse_duplicates(channels: list[Channel]) -> None:
    for attribute in ("name", "channel_id"):
        counted = Counter(getattr(channel, attribute) for channel in channels)
        repeated = sorted(value for value, count in counted.items() if count > 1)
        if repeated:
            raise ImproperlyConfigured(f"Two LINE channels have the {attribute} {repeated[0]!r}.")


def default_channel() -> Channel:
    """The channel of a login that names none: ``LINE_AUTH_DEFAULT_CHANNEL``, else the first."""
    channels = all_channels()
    if not channels:
        raise UnknownChannel("No LINE channel is configured.")
    return channels[0]


def get(name: str) -> Channel:
    """The channel called ``name``."""
    for channel in all_channels():
        if channel.name == name:
            return channel
    raise UnknownChannel(f"No LINE channel is called {name!r}.")


def by_id(channel_id: str) -> Channel | None:
    """The channel with this LINE channel ID (an account's, or a token's ``aud``), if any."""
    for channel in all_channels():
        if channel.channel_id == channel_id:
            return channel
    return None


def of_account(account: Any, known: Mapping[str, Channel] | None = None) -> Channel | None:
    """The channel whose credentials an account's tokens need, or ``None`` (logged) if gone.

    Never another channel: LINE would refuse its credentials, and they must not
    travel with this account's tokens. ``known`` maps IDs to channels, read once
    for a batch.
    """
    channel = known.get(account.channel_id) if known is not None else by_id(account.channel_id)
    if channel is None:
        logger.warning("LINE account %s is left alone: its channel %s is not configured",
                       account.line_user_id, account.channel_id)
    return channel


def limit_to(accounts: QuerySetT, name: str | None) -> QuerySetT:
    """The LINE accounts of ``accounts`` on the channel called ``name`` (all for ``None``).

    Raises ``UnknownChannel`` for a name no channel has: a typo fails loudly rather than
    quietly limiting a run to nothing.
    """
    return accounts if name is None else accounts.filter(channel_id=get(name).channel_id)


def any_webhook() -> bool:
    """Whether any channel receives webhook events, so friendship may be waiting for a first login."""
    return any(channel.messaging_secret for channel in all_channels())


def for_request(request: HttpRequest) -> tuple[Channel, ...]:
    """The channels this request may log in with: all of them, or what the selector allows.

    ``LINE_AUTH_CHANNEL_SELECTOR`` names a function ``(request, channels)`` returning
    the ones to offer, e.g. those of the current ``Site`` or tenant.
    """
    channels = all_channels()
    if not line_settings.channel_selector:
        return channels
    selector: Callable[[HttpRequest, tuple[Channel, ...]], Iterable[Channel]] = import_string(
        line_settings.channel_selector
    )
    return tuple(selector(request, channels))


def for_web_login(request: HttpRequest, name: str | None) -> Channel:
    """The channel a browser login uses: the named one, or the request's first; never a MINI App."""
    offered = [channel for channel in for_request(request) if channel.serves_web_login]
    for channel in offered:
        if name is None or channel.name == name:
            return channel
    raise UnknownChannel(f"No LINE channel {name!r} takes web logins here.")
