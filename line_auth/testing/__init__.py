"""An emulated LINE Platform (LINE Login v2.1) for tests and local development.

Framework-free: it runs without Django settings, configured only through
``LineEmulator``'s constructor, in-process through ``requests`` (``LineEmulator.intercept``,
which refuses hosts it does not emulate unless told to pass them through) or as a live
loopback server (``line_auth.testing.server``).
"""

from __future__ import annotations

from .authorize import AuthorizationResult
from .emulator import LineEmulator
from .recording import mask
from .state import Channel, EmulatedUser, EmulatorError, RecordedCall
from .transport import UnemulatedHostError

__all__ = [
    "AuthorizationResult",
    "Channel",
    "EmulatedUser",
    "EmulatorError",
    "LineEmulator",
    "RecordedCall",
    "UnemulatedHostError",
    "mask",
]
