"""Checks on the shared cache, the rate limits and a deployment with many processes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import InvalidCacheBackendError
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from line_auth.checks.messages import Codes, collect
from line_auth.conf import line_settings
from line_auth.internal.cache import shared_cache


def cache() -> CheckMessage | None:
    alias = line_settings.cache_alias
    try:
        backend = shared_cache()
    except InvalidCacheBackendError:
        return Error(
            f"LINE_AUTH_CACHE names the cache {alias!r}, which is not in CACHES.",
            hint="Name a cache from CACHES; native logins keep their nonces there.",
            id=Codes.UNUSABLE_CACHE,
        )
    if type(backend).__name__ == "DummyCache":
        return Error(
            f"The cache {alias!r} is a DummyCache, which cannot keep nonces or LINE's keys.",
            hint="Use a shared cache (Redis, Memcached or the database cache) for LINE_AUTH_CACHE.",
            id=Codes.UNUSABLE_CACHE,
        )
    return None


@register(Tags.security)
def check_rate_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The rate-limit settings parse; at run time a bad one lifts the limits (and logs)."""
    messages: list[CheckMessage] = []
    for setting in ("rate_limits", "rate_limit_window", "trusted_proxies"):
        try:
            getattr(line_settings, setting)
        except ImproperlyConfigured as error:
            messages.append(Error(str(error), hint="See docs/settings.md, Rate limits.", id=Codes.INVALID_RATE_LIMIT))
    return messages


@register(Tags.security, deploy=True)
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """What only matters once several processes serve the site behind a proxy."""
    return collect(_process_local_cache(), _proxy_not_trusted())


def _process_local_cache() -> CheckMessage | None:
    alias = line_settings.cache_alias
    if alias not in settings.CACHES or not isinstance(shared_cache(), LocMemCache):
        return None
    return Warning(
        f"The cache {alias!r} is local to each process.",
        hint="Each process would keep its own spent nonces (a nonce could be used once per process), "
        "its own rate-limit counters (limits multiplied by the number of processes) and its own copy of "
        "LINE's keys. Use a shared cache (Redis, Memcached or the database cache) for LINE_AUTH_CACHE.",
        id=Codes.PROCESS_LOCAL_CACHE,
    )


def _proxy_not_trusted() -> CheckMessage | None:
    behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) or getattr(
        settings, "USE_X_FORWARDED_HOST", False
    )
    try:
        if not behind_proxy or line_settings.trusted_proxies:
            return None
    except ImproperlyConfigured:
        return None  # reported by check_rate_limits (E011)
    return Warning(
        "The site is behind a reverse proxy, but rate limits count every request under REMOTE_ADDR.",
        hint="If REMOTE_ADDR is the proxy's address, every visitor shares one per-address limit. Set "
        "LINE_AUTH_TRUSTED_PROXIES to the number of proxies that append to X-Forwarded-For (often 1); "
        "silence this check if your server already puts the client's address in REMOTE_ADDR.",
        id=Codes.PROXY_NOT_TRUSTED,
    )
