"""The records the emulated LINE Platform keeps: channels, users, codes and tokens.

Plain data and LINE's constants only; ``platform_state.PlatformState`` holds them
together under one lock.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

# Lifetimes from spec §6.4.
CODE_TTL = 10 * 60
ACCESS_TOKEN_TTL = 30 * 24 * 3600
REFRESH_TOKEN_TTL = 90 * 24 * 3600
ID_TOKEN_TTL = 3600
CHANNEL_TOKEN_TTL = 15 * 60
# liff.getAccessToken()'s token lives 12 hours, not a web login's 30 days (spec §6.4).
LIFF_ACCESS_TOKEN_TTL = 12 * 3600

ISSUER = "https://access.line.me"
# Channels added without a provider share this one, where a user's ID is ``EmulatedUser.user_id``.
DEFAULT_PROVIDER = "default"
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

    def id_for(self, provider: str) -> str:
        """The user's ID as channels of ``provider`` see it: LINE issues one ID per provider.

        ``user_id`` under the default provider; under another, a stable ID of the
        same shape derived from both, so two providers never see the same one.
        """
        if provider == DEFAULT_PROVIDER:
            return self.user_id
        digest = hashlib.sha256(f"{provider}\0{self.user_id}".encode()).hexdigest()
        return f"U{digest[:32]}"


@dataclass
class Channel:
    """A LINE Login channel as configured in the LINE Developers Console.

    ``callback_urls=None`` accepts any http(s) callback; ``assertion_keys`` maps the kid
    LINE gave each registered Assertion Signing Key to its public key. ``provider``
    is the LINE provider the channel belongs to: a user has one ID per provider.
    """

    channel_id: str
    secret: str
    callback_urls: list[str] | None = None
    app_types: tuple[str, ...] = ("web",)
    has_bot: bool = True
    assertion_keys: dict[str, Any] = field(default_factory=dict)
    provider: str = DEFAULT_PROVIDER

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


def new_user_id() -> str:
    return "U" + secrets.token_hex(16)


def new_access_token() -> str:
    return f"{_JWS_HEADER}.{secrets.token_urlsafe(96)}.{secrets.token_urlsafe(32)}"


def looks_like_jws(token: str) -> bool:
    return token.count(".") == 2 and token.startswith(_JWS_HEADER + ".")


def new_refresh_token() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(20))


def new_code() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(20))
