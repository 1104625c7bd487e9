"""Checks on the site's LINE channels (``LINE_AUTH_CHANNELS``, the loader, the selector):
a channel that cannot be read, cannot log anyone in, or would file accounts wrongly is
reported at ``manage.py check``, not at a visitor's login.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.utils.module_loading import import_string

from line_auth import channels
from line_auth.channels import DEFAULT_NAME, DEFAULT_PROVIDER, Channel, ChannelKind
from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings
from line_auth.exceptions import InvalidOption
from line_auth.internal.options import validate_options
from line_auth.models import LineAccount


def channels_unreadable(problem: str) -> CheckMessage:
    return Error(
        f"The LINE channels cannot be read: {problem}",
        hint="Fix LINE_AUTH_CHANNELS, LINE_AUTH_DEFAULT_CHANNEL or LINE_AUTH_CHANNEL_LOADER (docs/channels.md).",
        id=Codes.CHANNELS_UNREADABLE,
    )


def channel_without_secret(name: str) -> CheckMessage:
    return Error(
        f"The LINE channel {name!r} has no channel secret: its logins and tokens would all be refused.",
        hint=f"Set LINE_AUTH_CHANNELS[{name!r}]['CHANNEL_SECRET'] from the LINE Developers Console.",
        id=Codes.CHANNEL_WITHOUT_SECRET,
    )


def channel_invalid_option(name: str, problem: str) -> CheckMessage:
    return Error(
        f"The LINE channel {name!r} asks for what LINE does not accept: {problem}",
        hint=f"Fix LINE_AUTH_CHANNELS[{name!r}]['SCOPE'] or ['AUTHORIZATION_OPTIONS'] (docs/channels.md).",
        id=Codes.CHANNEL_INVALID_OPTION,
    )


def selector_unimportable(path: str) -> CheckMessage:
    return Error(
        f"LINE_AUTH_CHANNEL_SELECTOR {path!r} cannot be imported: every login would fail.",
        hint="Name a function (request, channels) -> channels by its dotted path.",
        id=Codes.CHANNEL_SELECTOR_UNIMPORTABLE,
    )


def providers_unnamed(names: Iterable[str]) -> CheckMessage:
    return Warning(
        f"The LINE channels {', '.join(names)} name no PROVIDER while other channels do: "
        "their accounts are filed under the provider 'default'.",
        hint="Set PROVIDER to the LINE provider each channel belongs to (docs/channels.md).",
        id=Codes.CHANNEL_PROVIDER_UNNAMED,
    )


def accounts_of_unknown_channels(count: int, channel_ids: Iterable[str], alias: str) -> CheckMessage:
    return Warning(
        f"{count} LINE accounts in database {alias!r} belong to channels no longer configured "
        f"({', '.join(channel_ids)}): their tokens are never refreshed, revoked or deauthorized.",
        hint="Configure those channels again, or unlink those accounts.",
        id=Codes.ACCOUNTS_OF_UNKNOWN_CHANNELS,
    )


@register(TAG)
def check_channels(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The channels can be read, and each can do its job."""
    try:
        found = channels.all_channels()
    except (ImproperlyConfigured, ImportError) as error:
        return [channels_unreadable(str(error))]
    messages = [message for channel in found for message in _problems(channel)]
    unnamed = [channel.name for channel in found if channel.provider == DEFAULT_PROVIDER]
    if unnamed and len(unnamed) < len(found):
        messages.append(providers_unnamed(unnamed))
    return messages


def _problems(channel: Channel) -> list[CheckMessage]:
    if _from_social_auth(channel):
        return []  # its settings have their own checks (E001, E003, E016)
    options = {"scope": " ".join(channel.scope), **channel.authorization_options}
    try:
        validate_options(options)
        invalid = None
    except InvalidOption as error:
        invalid = channel_invalid_option(channel.name, str(error))
    # A MINI App channel's tokens come from LIFF and are verified at LINE without the secret.
    needs_secret = channel.kind is not ChannelKind.MINI_APP
    return collect(channel_without_secret(channel.name) if needs_secret and not channel.secret else None, invalid)


def _from_social_auth(channel: Channel) -> bool:
    """The channel made from ``SOCIAL_AUTH_LINE_KEY``, not declared in ``LINE_AUTH_CHANNELS``."""
    declared = line_settings.channels
    return channel.name == DEFAULT_NAME and channel.channel_id == line_settings.channel_id and (
        not isinstance(declared, dict) or DEFAULT_NAME not in declared
    )


@register(TAG)
def check_channel_selector(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The selector is imported at each login; a wrong path would fail them all."""
    path = line_settings.channel_selector
    if not path:
        return []
    try:
        import_string(path)
    except ImportError:
        return [selector_unimportable(path)]
    return []


@register(TAG, Tags.database)
def check_accounts_channels(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Accounts whose channel left the configuration: line_auth leaves their tokens alone."""
    try:
        known = {channel.channel_id for channel in channels.all_channels()}
    except (ImproperlyConfigured, ImportError):
        return []  # check_channels reports it
    found = []
    for alias in databases or ():
        if not router.allow_migrate_model(alias, LineAccount):
            continue
        if LineAccount._meta.db_table not in connections[alias].introspection.table_names():
            continue  # not migrated yet
        orphans = LineAccount.objects.using(alias).exclude(channel_id__in=known)
        ids = sorted(set(orphans.values_list("channel_id", flat=True).distinct()[:10]))
        if ids:
            found.append(accounts_of_unknown_channels(orphans.count(), ids, alias))
    return found
