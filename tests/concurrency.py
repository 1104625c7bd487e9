"""Prove that calls run in parallel without timing them: the first few calls wait for
each other at a barrier, which they pass only if that many are in flight together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

# Only a safety net: a barrier that is never reached fails the test instead of hanging it.
BARRIER_TIMEOUT = 30


class ParallelProbe:
    """Wraps ``function``; records the peak number of calls in flight at once.

    The first ``together`` calls block until all of them have started, so a caller
    that runs fewer than ``together`` calls at a time makes them fail
    (``BrokenBarrierError``) rather than pass slowly.
    """

    def __init__(self, function: Callable[..., Any], together: int) -> None:
        self.function = function
        self.together = threading.Barrier(together, timeout=BARRIER_TIMEOUT)
        self.lock = threading.Lock()
        self.started = self.active = self.peak = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.started += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
            meets = self.started <= self.together.parties
        try:
            if meets:
                self.together.wait()
            return self.function(*args, **kwargs)
        finally:
            with self.lock:
                self.active -= 1
