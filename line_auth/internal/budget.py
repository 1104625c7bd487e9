"""One budget of requests per second to LINE, shared by every process doing batch work.

LINE's development guidelines forbid mass requests, and a refresh run spread
over many workers must not multiply its rate by the number of workers. So every
batch call to LINE first takes a slot here, in the shared cache (Redis in
production), where all processes count against the same figure:

- Time is cut into windows of about 0.1 second (longer below 10 per second),
  each allowing a whole number of requests that makes the rate exact; a
  process that finds its window full waits for the next one. Windows are
  numbered from the epoch, so every machine (clocks kept by NTP) counts in
  the same window.
- When LINE answers 429, :func:`hold_off` stops every process until the
  ``Retry-After`` it gave (or the client's own back-off) has passed.

With ``LINE_AUTH_LINE_REQUESTS_PER_SECOND = None`` nothing is counted, but a
429 still holds every process off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from line_auth.conf import line_settings
from line_auth.internal.cache import shared_cache

KEY_PREFIX = "line_auth:budget:"
HOLD_KEY = KEY_PREFIX + "hold-until"
WINDOW = 0.1  # seconds, about: long enough to count several requests per cache round trip

# Seams: tests move the clock and record the waits instead of sleeping.
clock: Callable[[], float] = time.time
sleep: Callable[[float], None] = time.sleep


def window_for(rate: float) -> tuple[float, int]:
    """The window length in seconds and the requests allowed in each, for ``rate`` per second.

    A whole number of requests per window, and the window made to fit it exactly: rounding
    the requests instead (1.5 to 2 at 15 per second) would let a third more through.
    """
    allowed = max(1, math.floor(rate * WINDOW))
    return allowed / rate, allowed


def spend() -> None:
    """Take one request from the shared budget, waiting as long as it takes."""
    while (wait := _try_spend()) > 0:
        sleep(wait)


def _try_spend() -> float:
    """0 when a request may go now, else the seconds to wait before trying again."""
    cache = shared_cache()
    now = clock()
    held_until = cache.get(HOLD_KEY)
    if held_until is not None and held_until > now:
        return float(held_until - now)
    rate = line_settings.line_requests_per_second
    if rate is None:
        return 0.0
    seconds, allowed = window_for(rate)
    window = math.floor(now / seconds)
    key = f"{KEY_PREFIX}{window}"
    # add() then incr() is atomic on Redis and on Django's local-memory cache; the key
    # outlives its window briefly, so no process can start counting it again from zero.
    cache.add(key, 0, timeout=math.ceil(seconds) + 1)
    try:
        taken = cache.incr(key)
    except ValueError:  # expired between add() and incr(): try again once the window is over
        return max((window + 1) * seconds - clock(), 0.0)
    if taken <= allowed:
        return 0.0
    return max((window + 1) * seconds - clock(), 0.001)


def hold_off(seconds: float) -> None:
    """Stop every process's batch calls for ``seconds`` (LINE answered 429)."""
    if seconds <= 0:
        return
    until = clock() + seconds
    cache = shared_cache()
    # Never shorten a hold another process set: keep the later of the two.
    current = cache.get(HOLD_KEY)
    if current is None or current < until:
        cache.set(HOLD_KEY, until, timeout=math.ceil(seconds) + 1)
