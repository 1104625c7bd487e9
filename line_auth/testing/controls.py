"""Observing and breaking the emulated API: the call log, injected faults, held requests."""

from __future__ import annotations

from .holds import Hold
from .platform_state import PlatformState
from .state import EmulatorError, Fault, RecordedCall

FAULT_KINDS = ("status", "html", "truncated", "timeout", "connection_refused")


class ApiControls:
    """``LineEmulator``'s test controls over the requests its platform answers."""

    platform: PlatformState

    @property
    def calls(self) -> list[RecordedCall]:
        with self.platform.lock:
            return list(self.platform.calls)

    def reset_calls(self) -> None:
        with self.platform.lock:
            self.platform.calls.clear()

    def count_calls(self, path: str | None = None) -> int:
        with self.platform.lock:
            return sum(1 for call in self.platform.calls if path is None or call.path == path)

    def fail_next(
        self,
        path: str,
        *,
        status: int | None = None,
        body: str | bytes | None = None,
        content_type: str = "application/json",
        kind: str = "status",
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """Make the next ``times`` requests to ``path`` fail in the way ``kind`` names.

        ``status`` defaults to 500, except 200 for ``truncated`` (a cut-off success body).
        """
        if kind not in FAULT_KINDS:
            raise EmulatorError(f"kind must be one of {FAULT_KINDS}, got {kind!r}")
        if status is None:
            status = 200 if kind == "truncated" else 500
        data = body.encode() if isinstance(body, str) else body
        fault = Fault(
            path, kind, status, data, content_type, method.upper() if method else None, times
        )
        with self.platform.lock:
            self.platform.faults.append(fault)

    def hold_next(self, path: str, *, method: str | None = None) -> Hold:
        """Stop the next request to ``path`` before LINE answers it, until ``release()``.

        This puts two requests in one critical section without timing them: hold the
        first at LINE, run the second to its end, then release the first.
        """
        hold = Hold(path, method.upper() if method else None)
        with self.platform.lock:
            self.platform.holds.append(hold)
        return hold

    def release_holds(self) -> None:
        """Let every held request go on and forget holds no request reached."""
        with self.platform.lock:
            holds, self.platform.holds = self.platform.holds, []
        for hold in holds:
            hold.release()
