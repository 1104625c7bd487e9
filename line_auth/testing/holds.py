"""Holding a request at the emulated LINE until the test lets it go.

A test that must put two requests inside the same critical section cannot do it by
timing (sleeps, added latency): a slow machine reorders them and the test passes
without testing anything. Instead one request is stopped where it reaches LINE, the
test runs the other while the first is provably mid-flight, then releases the first.
"""

from __future__ import annotations

import threading
from types import TracebackType

from .state import EmulatorError

# Only a safety net: a request that never arrives fails the test instead of hanging it.
ARRIVAL_TIMEOUT = 30


class Hold:
    """Stops one request to ``path`` (and ``method``, if given) until ``release()``.

    Used as a context manager it releases on exit, so a failing test never leaves a
    request (or a live server's thread) waiting.
    """

    def __init__(self, path: str, method: str | None = None) -> None:
        self.path = path
        self.method = method
        self.taken = False  # a request has been picked to stop here; guarded by PlatformState.lock
        self._arrived = threading.Event()
        self._released = threading.Event()

    def __enter__(self) -> Hold:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def applies_to(self, method: str, path: str) -> bool:
        return not self.taken and self.path == path and self.method in (None, method)

    @property
    def arrived(self) -> bool:
        """A request is (or was) stopped here; LINE has not answered it before ``release()``."""
        return self._arrived.is_set()

    def wait_for_arrival(self, timeout: float = ARRIVAL_TIMEOUT) -> None:
        """Block until the request is stopped here; ``timeout`` only guards against a hang."""
        if not self._arrived.wait(timeout):
            raise EmulatorError(f"no request to {self.path} reached the emulator in {timeout} s")

    def release(self) -> None:
        """Let the stopped request (or the next one, if none arrived yet) go on."""
        self._released.set()

    def stop_here(self) -> None:
        """Called by the emulator in the request's own thread."""
        self._arrived.set()
        self._released.wait()
