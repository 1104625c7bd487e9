"""Rate limits for the endpoints anyone can call: login start, native nonce, native login.

Each endpoint allows ``per_address`` requests from one client address and ``overall``
requests from everyone per ``LINE_AUTH_RATE_LIMIT_WINDOW`` seconds (fixed windows).
The counters live in the ``LINE_AUTH_CACHE`` cache and are counted with ``cache.add``
then ``cache.incr``, both atomic in Redis and Memcached, so the limits hold across
every process sharing that cache. A request refused by its address's limit is not
counted against the overall one, so one address cannot spend everyone's budget.

The client address is ``REMOTE_ADDR``. Behind reverse proxies, ``LINE_AUTH_TRUSTED_PROXIES``
says how many of them append to ``X-Forwarded-For``; the address the outermost one saw
is used, and any earlier entry (which the client wrote itself) is ignored. IPv6
addresses count per /64, the block one subscriber is usually given.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from line_auth.conf import line_settings
from line_auth.exceptions import RateLimited
from line_auth.internal.cache import shared_cache

logger = logging.getLogger("line_auth.ratelimit")

Refusal = Callable[[HttpRequest, RateLimited], HttpResponseBase]
View = Callable[..., HttpResponseBase]


def rate_limit(endpoint: str, refuse: Refusal) -> Callable[[View], View]:
    """Decorate a view: over the endpoint's limits, answer ``refuse(request, error)`` instead.

    ``refuse`` renders (and logs) the refusal; the decorator adds ``Retry-After``.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                check(request, endpoint)
            except RateLimited as error:
                response = refuse(request, error)
                response["Retry-After"] = str(error.retry_after)
                return response
            return view(request, *args, **kwargs)

        return limited

    return decorator


def check(request: HttpRequest, endpoint: str, *, now: float | None = None) -> None:
    """Count this request; raise :class:`RateLimited` when a limit of ``endpoint`` is exceeded."""
    try:
        limit = line_settings.rate_limits[endpoint]
        window = line_settings.rate_limit_window
        address = client_address(request)
    except ImproperlyConfigured as error:
        # Reported by manage.py check (line_auth.E011); a bad setting must not break logins.
        logger.error("Rate limits not applied: %s", error)
        return
    now = time.time() if now is None else now
    start = int(now // window) * window
    retry_after = max(1, math.ceil(start + window - now))
    prefix = f"line_auth:ratelimit:{endpoint}:{start}"
    digest = hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    if limit.per_address is not None and _count(f"{prefix}:{digest}", window) > limit.per_address:
        raise RateLimited(retry_after)
    if limit.overall is not None and _count(f"{prefix}:all", window) > limit.overall:
        raise RateLimited(retry_after)


def client_address(request: HttpRequest) -> str:
    """The address requests are counted under (see the module docstring)."""
    address = forwarded_address(request)
    ip = _ip(address)
    if ip is None:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def forwarded_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or what the outermost trusted proxy saw."""
    address = str(request.META.get("REMOTE_ADDR") or "")
    proxies = line_settings.trusted_proxies
    if proxies:
        forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        # Fewer entries than proxies: the request did not come through all of them.
        if len(forwarded) >= proxies and _ip(forwarded[-proxies]) is not None:
            address = forwarded[-proxies]
    return address


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _count(key: str, window: int) -> int:
    """This window's count under ``key``, this request included."""
    cache = shared_cache()
    timeout = window + 1  # outlives the rest of the window from any moment inside it
    if cache.add(key, 1, timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired or evicted between add and incr
        cache.add(key, 1, timeout)
        return 1
