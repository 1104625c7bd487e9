"""In-memory records of the emulated LINE Platform: channels, users, codes and tokens.

Everything here is plain data plus a lock; the HTTP handlers and the public
``LineEmulator`` methods take ``Store.lock`` before touching it, so a live
server thread and the test thread can share one store safely.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .holds import Hold

# Lifetimes from spec §6.4.
CODE_TTL = 10 * 60
ACCESS_TOKEN_TTL = 30 * 24 * 3600
REFRESH_TOKEN_TTL = 90 * 24 * 3600
ID_TOKEN_TTL = 3600
CHANNEL_TOKEN_TTL = 15 * 60

ISSUER = "https://access.line.me"
DEFAULT_PICTURE_URL = "https://profile.line-scdn.net/0hEmulatedLineUserPicture"
USER_ID_RE = re.compile(r"U[0-9a-f]{32}")

# Access tokens look like a JWS with header {"alg":"HS256"} and an opaque payload (spec §6.1).
_JWS_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256"}').rstrip(b"=").decode()
_ALNUM = string.ascii_letters + string.digits


class EmulatorError(Exception):
    """Misuse of the emulator, or a request LINE answers with its own page, not a redirect."""


@dataclass
class EmulatedUser:
    """A LINE account known to the emulator."""

    user_id: str
    name: str
    picture_url: str | None = DEFAULT_PICTURE_URL
    email: str | None = None


@dataclass
class Channel:
    """A LINE Login channel as configured in the LINE Developers Console."""

    channel_id: str
    secret: str
    callback_urls: list[str] | None
    app_types: tuple[str, ...]
    has_bot: bool

    @property
    def secret_required(self) -> bool:
        """Web-only channels must send ``client_secret``; others may omit it (spec §4.3)."""
        return "mobile" not in self.app_types


@dataclass
class AuthCode:
    """An issued authorization code and everything the token request must match."""

    code: str
    channel_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    auth_time: int | None
    amr: list[str]
    email_granted: bool
    expires_at: float
    used: bool = False


@dataclass
class Grant:
    """One login: the refresh token and what it may mint, with its fixed 90-day deadline."""

    channel_id: str
    user_id: str
    scopes: tuple[str, ...]
    refresh_token: str
    refresh_expires_at: float
    revoked: bool = False


@dataclass
class AccessToken:
    """A user access token; it dies with its grant."""

    token: str
    grant: Grant
    expires_at: float
    revoked: bool = False

    def is_revoked(self) -> bool:
        return self.revoked or self.grant.revoked


@dataclass(frozen=True)
class RecordedCall:
    """One API request the emulator answered: what was asked, and what was sent where.

    ``query``, ``body`` (form fields or top-level JSON members) and ``headers`` are
    name/value pairs with every credential replaced by ``recording.mask(value)``.
    """

    method: str
    path: str
    status: int
    host: str
    query: tuple[tuple[str, str], ...] = ()
    body: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()

    def sent(self, name: str, part: str = "body") -> str | None:
        """The (masked) value of ``name`` in ``part`` ("body", "query" or "headers")."""
        return dict(getattr(self, part)).get(name)


@dataclass
class Fault:
    """A failure queued by ``LineEmulator.fail_next``."""

    path: str
    kind: str
    status: int
    body: bytes | None
    content_type: str
    method: str | None
    times: int


@dataclass
class Store:
    """All mutable emulator state, guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    clock_offset: float = 0.0
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

    def now(self) -> float:
        return time.time() + self.clock_offset

    def channel(self, channel_id: str | None) -> Channel | None:
        return self.channels.get(channel_id or "")

    def create_user(
        self, name: str, picture_url: str | None, email: str | None, user_id: str | None
    ) -> EmulatedUser:
        user_id = user_id or "U" + secrets.token_hex(16)
        if not USER_ID_RE.fullmatch(user_id):
            raise EmulatorError(f"LINE user IDs are 'U' + 32 lowercase hex digits, got {user_id!r}")
        if user_id in self.users:
            raise EmulatorError(f"user {user_id} already exists")
        user = self.users[user_id] = EmulatedUser(user_id, name, picture_url, email)
        return user

    def issue_grant(self, channel_id: str, user_id: str, scopes: tuple[str, ...]) -> AccessToken:
        """Start a new login session: a fresh refresh token and its first access token."""
        now = self.now()
        grant = Grant(channel_id, user_id, scopes, new_refresh_token(), now + REFRESH_TOKEN_TTL)
        self.grants[grant.refresh_token] = grant
        self.consents.add((user_id, channel_id))
        return self.issue_access_token(grant)

    def issue_access_token(self, grant: Grant) -> AccessToken:
        token = AccessToken(new_access_token(), grant, self.now() + ACCESS_TOKEN_TTL)
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


def new_access_token() -> str:
    return f"{_JWS_HEADER}.{secrets.token_urlsafe(96)}.{secrets.token_urlsafe(32)}"


def looks_like_jws(token: str) -> bool:
    return token.count(".") == 2 and token.startswith(_JWS_HEADER + ".")


def new_refresh_token() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(20))


def new_code() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(20))
