"""pytest fixtures for projects using ``line_auth``.

Enable with ``pytest_plugins = ["line_auth.testing.pytest_plugin"]``. The channels come
from the Django settings (social-core's ``SOCIAL_AUTH_LINE_KEY``/``_SECRET`` and
``LINE_AUTH_CHANNELS``), so the app under test and the emulator agree without extra
configuration; this plugin reads them and hands them to
``LineEmulator``'s constructor, which reads no settings itself. Override the
``line_emulator_options`` fixture to pass other constructor arguments (``passthrough``,
``error_case``, ``latency``...).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from line_auth import channels
from line_auth.internal import jwks

from .emulator import LineEmulator
from .server import DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_SECRET, RunningServer, serve
from .state import Channel


def _setting(name: str) -> Any:
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not (settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE")):
        return None
    return getattr(settings, name, None)


def _site_channels() -> list[Channel]:
    """The site's channels (``LINE_AUTH_CHANNELS`` and the social-auth one), each with its
    own ID, secret and provider, so a login through any of them works."""
    if _setting("LINE_AUTH_CHANNELS") is None and _setting("LINE_AUTH_CHANNEL_LOADER") is None:
        return []
    return [
        Channel(channel.channel_id, channel.secret, provider=channel.provider)
        for channel in channels.all_channels()
    ]


def _emulator(options: dict[str, Any]) -> LineEmulator:
    jwks.forget()  # each emulator signs with new keys: forget the ones a previous one published
    site = _site_channels()
    if not site:
        site = [
            Channel(
                _setting("SOCIAL_AUTH_LINE_KEY") or DEFAULT_CHANNEL_ID,
                _setting("SOCIAL_AUTH_LINE_SECRET") or DEFAULT_CHANNEL_SECRET,
            )
        ]
    return LineEmulator(site, **options)


@pytest.fixture
def line_emulator_options() -> dict[str, Any]:
    """Extra ``LineEmulator`` constructor arguments; override it in a ``conftest.py``."""
    return {}


@pytest.fixture
def line_emulator(line_emulator_options: dict[str, Any]) -> Iterator[LineEmulator]:
    """A LineEmulator answering ``requests`` calls to LINE and to LINE base URLs from settings;
    calls to any other host are refused unless ``passthrough`` lets them through."""
    emulator = _emulator(line_emulator_options)
    extra = [_setting("LINE_AUTH_ACCESS_BASE_URL"), _setting("LINE_AUTH_API_BASE_URL")]
    with emulator.intercept(*[url for url in extra if url]):
        yield emulator


@pytest.fixture
def line_emulator_server(line_emulator_options: dict[str, Any]) -> Iterator[RunningServer]:
    """The same emulator served on a free loopback port; both base URLs are ``server.url``."""
    server = serve(_emulator(line_emulator_options), force=True)
    try:
        yield server
    finally:
        server.stop()
