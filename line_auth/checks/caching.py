"""Checks on the shared cache, the rate limits and a deployment with many processes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import InvalidCacheBackendError
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from line_auth.checks.messages import TAG, Codes
from line_auth.conf import line_settings
from line_auth.internal.cache import shared_cache

# Each rate-limit setting, as line_settings names it, and the ID of an invalid value.
RATE_LIMIT_SETTINGS = {
    "rate_limits": Codes.INVALID_RATE_LIMITS,
    "rate_limit_window": Codes.INVALID_RATE_LIMIT_WINDOW,
    "trusted_proxies": Codes.INVALID_TRUSTED_PROXIES,
}


def unknown_cache(alias: str) -> CheckMessage:
    return Error(
        f"LINE_AUTH_CACHE names the cache {alias!r}, which is not in CACHES.",
        hint="Name a cache from CACHES; native logins keep their nonces there.",
        id=Codes.UNKNOWN_CACHE,
    )


def dummy_cache(alias: str) -> CheckMessage:
    return Error(
        f"The cache {alias!r} is a DummyCache, which cannot keep nonces or LINE's keys.",
        hint="Use a shared cache (Redis, Memcached or the database cache) for LINE_AUTH_CACHE.",
        id=Codes.DUMMY_CACHE,
    )


def invalid_rate_limit_setting(setting: str, problem: str) -> CheckMessage:
    return Error(problem, hint="See docs/settings.md, Rate limits.", id=RATE_LIMIT_SETTINGS[setting])


def process_local_cache(alias: str) -> CheckMessage:
    return Warning(
        f"The cache {alias!r} is local to each process.",
        hint="Each process would keep its own spent nonces (a nonce could be used once per process), "
        "its own rate-limit counters (limits multiplied by the number of processes) and its own copy of "
        "LINE's keys. Use a shared cache (Redis, Memcached or the database cache) for LINE_AUTH_CACHE.",
        id=Codes.PROCESS_LOCAL_CACHE,
    )


def proxy_not_trusted() -> CheckMessage:
    return Warning(
        "The site is behind a reverse proxy, but rate limits count every request under REMOTE_ADDR.",
        hint="If REMOTE_ADDR is the proxy's address, every visitor shares one per-address limit. Set "
        "LINE_AUTH_TRUSTED_PROXIES to the number of proxies that append to X-Forwarded-For (often 1); "
        "silence this check if your server already puts the client's address in REMOTE_ADDR.",
        id=Codes.PROXY_NOT_TRUSTED,
    )


@register(TAG, Tags.caches)
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Native logins keep nonces, rate-limit counters and LINE's keys in this cache."""
    alias = line_settings.cache_alias
    try:
        backend = shared_cache()
    except InvalidCacheBackendError:
        return [unknown_cache(alias)]
    return [dummy_cache(alias)] if isinstance(backend, DummyCache) else []


@register(TAG, Tags.security)
def check_rate_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The rate-limit settings parse; at run time a bad one lifts the limits (and logs)."""
    messages = []
    for setting in RATE_LIMIT_SETTINGS:
        try:
            getattr(line_settings, setting)
        except ImproperlyConfigured as error:
            messages.append(invalid_rate_limit_setting(setting, str(error)))
    return messages


@register(TAG, Tags.caches, Tags.security, deploy=True)
def check_process_local_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Fine for one development process; with several, each keeps its own nonces and counters."""
    alias = line_settings.cache_alias
    if alias not in settings.CACHES or not isinstance(shared_cache(), LocMemCache):
        return []
    return [process_local_cache(alias)]


@register(TAG, Tags.security, deploy=True)
def check_proxy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Behind a proxy, REMOTE_ADDR may be the proxy's: every visitor would share one limit."""
    behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) or getattr(
        settings, "USE_X_FORWARDED_HOST", False
    )
    try:
        if not behind_proxy or line_settings.trusted_proxies:
            return []
    except ImproperlyConfigured:
        return []  # reported by check_rate_limits
    return [proxy_not_trusted()]
