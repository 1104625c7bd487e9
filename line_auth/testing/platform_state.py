"""``PlatformState``: everything the emulated LINE Platform knows, under one lock.

Request handlers receive this, never the ``LineEmulator``: they see LINE's data
(channels, users, codes, tokens, keys) and the controls queued against it (faults,
holds, the call log), so they can run behind any front (in-process, live server).
The HTTP handlers and the public ``LineEmulator`` methods take ``lock`` before
touching it, so a live server thread and the test thread can share it safely.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .holds import Hold
from .keys import KeyRing
from .state import (
    ACCESS_TOKEN_TTL,
    REFRESH_TOKEN_TTL,
    USER_ID_RE,
    AccessToken,
    AuthCode,
    Channel,
    EmulatedUser,
    EmulatorError,
    Fault,
    Grant,
    RecordedCall,
    new_access_token,
    new_refresh_token,
    new_user_id,
)

APP_TYPES = ("web", "mobile")
ERROR_CASES = ("upper", "lower")


@dataclass
class PlatformState:
    """LINE's data, where it is reachable, and how it phrases errors."""

    access_base_url: str = "https://access.line.me"
    api_base_url: str = "https://api.line.me"
    # LINE documents upper-case error codes on the callback; "lower" imitates what some
    # clients have observed, to test case-insensitive handling.
    error_case: str = "upper"
    # Where "now" comes from; ``LineEmulator.advance`` adds ``clock_offset`` to it.
    clock: Callable[[], float] = time.time
    lock: threading.Lock = field(default_factory=threading.Lock)
    clock_offset: float = 0.0
    key_ring: KeyRing = field(default_factory=KeyRing)
    channels: dict[str, Channel] = field(default_factory=dict)
    users: dict[str, EmulatedUser] = field(default_factory=dict)
    friends: set[tuple[str, str]] = field(default_factory=set)
    consents: set[tuple[str, str]] = field(default_factory=set)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    channel_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    calls: list[RecordedCall] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_error_case(self.error_case)
        self.access_base_url = self.access_base_url.rstrip("/")
        self.api_base_url = self.api_base_url.rstrip("/")

    def now(self) -> float:
        return self.clock() + self.clock_offset

    def channel(self, channel_id: str | None) -> Channel | None:
        return self.channels.get(channel_id or "")

    def subject(self, user: EmulatedUser, channel_id: str) -> str:
        """The ID LINE gives ``user`` on this channel: the same on every channel of its provider."""
        return user.id_for(self.require_channel(channel_id).provider)

    def require_channel(self, channel_id: str) -> Channel:
        """The channel a test named, which must exist."""
        channel = self.channel(channel_id)
        if channel is None:
            raise EmulatorError(f"unknown channel {channel_id}")
        return channel

    def add_channel(self, channel: Channel) -> None:
        if not channel.app_types or not set(channel.app_types) <= set(APP_TYPES):
            raise EmulatorError(
                f"app_types must be drawn from {APP_TYPES}, got {channel.app_types!r}"
            )
        self.channels[channel.channel_id] = channel

    def add_user(self, user: EmulatedUser) -> EmulatedUser:
        if not USER_ID_RE.fullmatch(user.user_id):
            raise EmulatorError(
                f"LINE user IDs are 'U' + 32 lowercase hex digits, got {user.user_id!r}"
            )
        if user.user_id in self.users:
            raise EmulatorError(f"user {user.user_id} already exists")
        self.users[user.user_id] = user
        return user

    def create_user(
        self, name: str, picture_url: str | None, email: str | None, user_id: str | None
    ) -> EmulatedUser:
        return self.add_user(EmulatedUser(user_id or new_user_id(), name, picture_url, email))

    def issue_grant(
        self,
        channel_id: str,
        user_id: str,
        scopes: tuple[str, ...],
        access_ttl: int = ACCESS_TOKEN_TTL,
    ) -> AccessToken:
        """Start a new login session: a fresh refresh token and its first access token."""
        now = self.now()
        grant = Grant(channel_id, user_id, scopes, new_refresh_token(), now + REFRESH_TOKEN_TTL)
        self.grants[grant.refresh_token] = grant
        self.consents.add((user_id, channel_id))
        return self.issue_access_token(grant, access_ttl)

    def issue_access_token(self, grant: Grant, ttl: int = ACCESS_TOKEN_TTL) -> AccessToken:
        token = AccessToken(new_access_token(), grant, self.now() + ttl)
        self.access_tokens[token.token] = token
        return token

    def deauthorize(self, user_id: str, channel_id: str) -> None:
        """Unlink the app for the user: every token dies and consent is forgotten (spec §6.3)."""
        for grant in self.grants.values():
            if grant.user_id == user_id and grant.channel_id == channel_id:
                grant.revoked = True
        self.consents.discard((user_id, channel_id))

    def pop_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path == path and fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def take_hold(self, method: str, path: str) -> Hold | None:
        for hold in self.holds:
            if hold.applies_to(method, path):
                hold.taken = True
                return hold
        return None


def check_error_case(error_case: str) -> None:
    if error_case not in ERROR_CASES:
        raise EmulatorError(f"error_case must be one of {ERROR_CASES}, got {error_case!r}")
