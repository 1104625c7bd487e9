"""The channel registry's settings, mixed into :class:`line_auth.conf.LineAuthSettings`.

They live here so ``conf.py`` stays one screenful per concern; they are still read
only through ``line_auth.conf.line_settings``, and :mod:`line_auth.channels` parses them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ChannelSettings:
    """Accessors for ``LINE_AUTH_CHANNELS`` and the hooks that add or choose channels."""

    # The settings reader, which LineAuthSettings (conf.py) supplies.
    _get: Callable[[str, Any], Any]

    @property
    def channels(self) -> Any:
        """The site's LINE channels by short name (docs/channels.md); parsed by ``line_auth.channels``."""
        return self._get("LINE_AUTH_CHANNELS", {})

    @property
    def default_channel(self) -> str:
        """The name of the channel a login that names none uses; empty: the first channel."""
        return str(self._get("LINE_AUTH_DEFAULT_CHANNEL", "") or "")

    @property
    def channel_loader(self) -> str:
        """Dotted path of a function returning more channels, e.g. from the site's database."""
        return str(self._get("LINE_AUTH_CHANNEL_LOADER", "") or "")

    @property
    def channel_selector(self) -> str:
        """Dotted path of ``(request, channels) -> channels``: which ones a request may use."""
        return str(self._get("LINE_AUTH_CHANNEL_SELECTOR", "") or "")
