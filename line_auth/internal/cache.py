"""The one cache line_auth keeps state in between requests: nonces spent, LINE's keys, rate limits."""

from __future__ import annotations

from django.core.cache import BaseCache, caches

from line_auth.conf import line_settings


def shared_cache() -> BaseCache:
    """The cache named by ``LINE_AUTH_CACHE``; every web process must share it."""
    return caches[line_settings.cache_alias]
