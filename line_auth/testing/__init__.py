"""An emulated LINE Platform (LINE Login v2.1) for tests and local development.

Framework-free: it runs without Django settings, in-process through ``requests``
(``LineEmulator.intercept``) or as a live loopback server (``line_auth.testing.server``).
"""

from __future__ import annotations

from .authorize import AuthorizationResult
from .emulator import LineEmulator
from .recording import mask
from .state import EmulatedUser, EmulatorError, RecordedCall

__all__ = [
    "AuthorizationResult",
    "EmulatedUser",
    "EmulatorError",
    "LineEmulator",
    "RecordedCall",
    "mask",
]
