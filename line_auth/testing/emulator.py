"""``LineEmulator``: the public face of the emulated LINE Platform for tests and local servers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from .app import AUTHORIZE_PATH, EmulatorApp
from .authorize import AuthorizationResult, decide, parse_request
from .channel_tokens import new_key_id, public_assertion_key
from .controls import ApiControls
from .keys import KeyRing
from .minting import TokenMinting
from .platform_state import PlatformState, check_error_case
from .state import DEFAULT_PICTURE_URL, DEFAULT_PROVIDER, Channel, EmulatedUser, EmulatorError
from .transport import Passthrough, intercept


class LineEmulator(TokenMinting, ApiControls):
    """An in-memory LINE Login platform: channels, users, the browser flow and the APIs.

    Everything it needs comes through the constructor: the ``channels`` and ``users``
    it starts with, where the two LINE hosts are, ``error_case`` ("upper", as LINE
    documents, or "lower"), ``latency`` (seconds added to each API call, for
    benchmarks), ``passthrough`` (hosts that ``intercept()`` lets reach the network;
    by default every host it does not emulate is refused) and ``clock`` (where "now"
    comes from, ``time.time`` unless a test wants it to stand still; ``advance()``
    moves it on).

    Use ``intercept()`` to answer ``requests`` calls in-process, or
    ``line_auth.testing.server.serve`` to expose it over HTTP.
    """

    def __init__(
        self,
        channels: Iterable[Channel] = (),
        users: Iterable[EmulatedUser] = (),
        *,
        access_base_url: str = "https://access.line.me",
        api_base_url: str = "https://api.line.me",
        error_case: str = "upper",
        latency: float = 0.0,
        passthrough: Passthrough = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = PlatformState(access_base_url, api_base_url, error_case, clock)
        for channel in channels:
            self.platform.add_channel(channel)
        for user in users:
            self.platform.add_user(user)
        self.app = EmulatorApp(self.platform, latency)
        self.passthrough = passthrough
        self._extra_base_urls: list[str] = []

    # Configuration --------------------------------------------------------

    @property
    def access_base_url(self) -> str:
        return self.platform.access_base_url

    @property
    def api_base_url(self) -> str:
        return self.platform.api_base_url

    def point_at(self, url: str) -> None:
        """Serve both LINE hosts from ``url`` (a live server's root), in the links it gives."""
        with self.platform.lock:
            self.platform.access_base_url = self.platform.api_base_url = url.rstrip("/")

    @property
    def error_case(self) -> str:
        return self.platform.error_case

    @error_case.setter
    def error_case(self, value: str) -> None:
        check_error_case(value)
        with self.platform.lock:
            self.platform.error_case = value

    @property
    def latency(self) -> float:
        return self.app.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.app.latency = seconds

    @property
    def key_ring(self) -> KeyRing:
        return self.platform.key_ring

    # Channels and users -------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        secret: str,
        callback_urls: list[str] | None = None,
        app_types: tuple[str, ...] = ("web",),
        has_bot: bool = True,
        provider: str = DEFAULT_PROVIDER,
    ) -> None:
        """Register a LINE Login channel; ``callback_urls=None`` accepts any http(s) callback.

        Each channel has its own ID and secret; tokens are bound to the channel that
        issued them. Channels of one ``provider`` see a user under one ID
        (``user_id_for``), channels of different providers under different ones.
        """
        channel = Channel(
            channel_id,
            secret,
            list(callback_urls) if callback_urls is not None else None,
            tuple(app_types),
            has_bot,
            provider=provider,
        )
        with self.platform.lock:
            self.platform.add_channel(channel)

    def add_assertion_key(self, channel_id: str, public_jwk: dict[str, Any]) -> str:
        """Register an Assertion Signing Key's public half, as the Developers Console does;
        returns the ``kid`` a JWT assertion for ``/oauth2/v3/token`` must carry.

        ``public_jwk`` is a 2048-bit RSA JWK with ``"alg": "RS256"`` and ``"use": "sig"``.
        """
        key = public_assertion_key(public_jwk)
        kid = new_key_id()
        with self.platform.lock:
            self.platform.require_channel(channel_id).assertion_keys[kid] = key
        return kid

    def add_user(
        self,
        name: str = "Taro Line",
        picture_url: str | None = DEFAULT_PICTURE_URL,
        email: str | None = None,
        user_id: str | None = None,
    ) -> EmulatedUser:
        with self.platform.lock:
            return self.platform.create_user(name, picture_url, email, user_id)

    def user_id_for(self, user: EmulatedUser, channel_id: str) -> str:
        """The ID LINE gives ``user`` on ``channel_id``: one per provider, as on LINE."""
        with self.platform.lock:
            return self.platform.subject(user, channel_id)

    def set_friend(self, user_id: str, channel_id: str, is_friend: bool) -> None:
        """Set whether the user has added (and not blocked) the channel's linked bot."""
        with self.platform.lock:
            if is_friend:
                self.platform.friends.add((user_id, channel_id))
            else:
                self.platform.friends.discard((user_id, channel_id))

    def is_friend(self, user_id: str, channel_id: str) -> bool:
        with self.platform.lock:
            return (user_id, channel_id) in self.platform.friends

    # Browser flow -------------------------------------------------------

    def authorize(
        self,
        url: str,
        user: EmulatedUser | None = None,
        *,
        outcome: str = "approve",
        add_friend: bool = False,
        grant_email: bool = True,
        amr: list[str] | None = None,
    ) -> AuthorizationResult:
        """Log in without a browser: validate ``url`` like the authorize page, then act as ``user``.

        ``amr`` defaults to ``["pwd"]``; pass ``[]`` to omit the claim.
        """
        parts = urlsplit(url)
        bases = [self.access_base_url, *self._extra_base_urls]
        if not any(
            f"{parts.scheme}://{parts.netloc}{parts.path}" == base + AUTHORIZE_PATH
            for base in bases
        ):
            raise EmulatorError(f"{url!r} is not this emulator's authorization endpoint")
        with self.platform.lock:
            request = parse_request(parts.query, self.platform)
            if user is None:
                user = self.platform.create_user("Taro Line", DEFAULT_PICTURE_URL, None, None)
            elif user.user_id not in self.platform.users:
                raise EmulatorError(f"unknown user {user.user_id}")
            return decide(
                request,
                self.platform,
                user,
                outcome=outcome,
                add_friend=add_friend,
                grant_email=grant_email,
                amr=amr,
            )

    # Clock --------------------------------------------------------------

    def now(self) -> float:
        with self.platform.lock:
            return self.platform.now()

    def advance(self, seconds: float) -> None:
        """Move the emulated clock forward, to expire codes and tokens without waiting."""
        with self.platform.lock:
            self.platform.clock_offset += seconds

    # Transport ----------------------------------------------------------

    @contextmanager
    def intercept(self, *extra_base_urls: str) -> Iterator[LineEmulator]:
        """Answer ``requests`` calls to the base URLs (and ``extra_base_urls``) in-process;
        refuse calls to any other host unless ``passthrough`` lets them through."""
        extras = [url.rstrip("/") for url in extra_base_urls if url]
        self._extra_base_urls.extend(extras)
        emulated = [self.access_base_url, self.api_base_url, *extras]
        try:
            with intercept(self.app, emulated, self.passthrough):
                yield self
        finally:
            for url in extras:
                self._extra_base_urls.remove(url)
