"""pytest fixtures for projects using ``line_auth``.

Enable with ``pytest_plugins = ["line_auth.testing.pytest_plugin"]``. Channel credentials
come from the Django settings social-core already uses, so the app under test and the
emulator agree without extra configuration.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from line_auth.internal import jwks

from .emulator import LineEmulator
from .server import DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_SECRET, RunningServer, serve


def _setting(name: str) -> Any:
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not (settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE")):
        return None
    return getattr(settings, name, None)


def _emulator() -> LineEmulator:
    jwks.forget()  # each emulator signs with new keys: forget the ones a previous one published
    emulator = LineEmulator()
    emulator.add_channel(
        _setting("SOCIAL_AUTH_LINE_KEY") or DEFAULT_CHANNEL_ID,
        _setting("SOCIAL_AUTH_LINE_SECRET") or DEFAULT_CHANNEL_SECRET,
        callback_urls=None,
        has_bot=True,
    )
    return emulator


@pytest.fixture
def line_emulator() -> Iterator[LineEmulator]:
    """A LineEmulator answering ``requests`` calls to LINE and to LINE base URLs from settings."""
    emulator = _emulator()
    extra = [_setting("LINE_AUTH_ACCESS_BASE_URL"), _setting("LINE_AUTH_API_BASE_URL")]
    with emulator.intercept(*[url for url in extra if url]):
        yield emulator


@pytest.fixture
def line_emulator_server() -> Iterator[RunningServer]:
    """The same emulator served on a free loopback port; both base URLs are ``server.url``."""
    emulator = _emulator()
    server = serve(emulator, force=True)
    emulator.access_base_url = emulator.api_base_url = server.url
    try:
        yield server
    finally:
        server.stop()
