"""``LineEmulator``: the public face of the emulated LINE Platform for tests and local servers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from .app import AUTHORIZE_PATH, EmulatorApp
from .authorize import AuthorizationResult, decide, parse_request
from .holds import Hold
from .keys import KeyRing, id_token_claims
from .oauth import token_response
from .state import (
    DEFAULT_PICTURE_URL,
    Channel,
    EmulatedUser,
    EmulatorError,
    Fault,
    RecordedCall,
    Store,
)
from .transport import intercept

FAULT_KINDS = ("status", "html", "truncated", "timeout", "connection_refused")


class LineEmulator:
    """An in-memory LINE Login platform: channels, users, the browser flow and the APIs.

    Use ``intercept()`` to answer ``requests`` calls in-process, or
    ``line_auth.testing.server.serve`` to expose it over HTTP.
    """

    def __init__(
        self,
        access_base_url: str = "https://access.line.me",
        api_base_url: str = "https://api.line.me",
    ) -> None:
        self.access_base_url = access_base_url.rstrip("/")
        self.api_base_url = api_base_url.rstrip("/")
        self.error_case = "upper"
        # Seconds added to every API call, for benchmarks; tests order requests with hold_next.
        self.latency = 0.0
        self.store = Store()
        self.key_ring = KeyRing()
        self.app = EmulatorApp(self)
        self._extra_base_urls: list[str] = []

    # Channels and users -------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        secret: str,
        callback_urls: list[str] | None = None,
        app_types: tuple[str, ...] = ("web",),
        has_bot: bool = True,
    ) -> None:
        """Register a LINE Login channel; ``callback_urls=None`` accepts any http(s) callback."""
        if not set(app_types) <= {"web", "mobile"} or not app_types:
            raise EmulatorError(
                f"app_types must be drawn from ('web', 'mobile'), got {app_types!r}"
            )
        with self.store.lock:
            self.store.channels[channel_id] = Channel(
                channel_id,
                secret,
                list(callback_urls) if callback_urls is not None else None,
                tuple(app_types),
                has_bot,
            )

    def add_user(
        self,
        name: str = "Taro Line",
        picture_url: str | None = DEFAULT_PICTURE_URL,
        email: str | None = None,
        user_id: str | None = None,
    ) -> EmulatedUser:
        with self.store.lock:
            return self.store.create_user(name, picture_url, email, user_id)

    def set_friend(self, user_id: str, channel_id: str, is_friend: bool) -> None:
        """Set whether the user has added (and not blocked) the channel's linked bot."""
        with self.store.lock:
            if is_friend:
                self.store.friends.add((user_id, channel_id))
            else:
                self.store.friends.discard((user_id, channel_id))

    def is_friend(self, user_id: str, channel_id: str) -> bool:
        with self.store.lock:
            return (user_id, channel_id) in self.store.friends

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
        with self.store.lock:
            request = parse_request(parts.query, self.store)
            if user is None:
                user = self.store.create_user("Taro Line", DEFAULT_PICTURE_URL, None, None)
            elif user.user_id not in self.store.users:
                raise EmulatorError(f"unknown user {user.user_id}")
            return decide(
                request,
                self.store,
                user,
                outcome=outcome,
                add_friend=add_friend,
                grant_email=grant_email,
                amr=amr,
                error_case=self.error_case,
            )

    # Tokens outside the browser flow ------------------------------------

    def issue_tokens(
        self,
        user: EmulatedUser,
        channel_id: str,
        scope: str = "profile openid",
        nonce: str | None = None,
        id_token_alg: str = "ES256",  # noqa: S107 - an algorithm name
    ) -> dict[str, Any]:
        """Tokens as the native SDK or LIFF would hold them, to test server-side login with them."""
        scopes = tuple(scope.split())
        with self.store.lock:
            self._channel(channel_id)
            access = self.store.issue_grant(channel_id, user.user_id, scopes)
            return token_response(
                self,
                access,
                user,
                nonce=nonce,
                email_granted="email" in scopes,
                amr=["pwd"],
                auth_time=None,
                alg=id_token_alg,
            )

    def issued_secrets(self) -> set[str]:
        """Every credential this emulator handed out (codes, tokens, ID tokens), so a
        test suite can assert that none of them ever reached a log line or a page."""
        with self.store.lock:
            return {
                *self.store.codes,
                *self.store.access_tokens,
                *self.store.grants,
                *self.store.channel_tokens,
                *self.key_ring.signed,
                *(channel.secret for channel in self.store.channels.values()),
            }

    def make_id_token(
        self,
        user: EmulatedUser,
        channel_id: str,
        *,
        nonce: str | None = None,
        alg: str = "HS256",
        scope: str = "profile openid",
        email: str | None = None,
        amr: list[str] | None = None,
        auth_time: int | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A signed ID token; ``claim_overrides`` replace claims, and ``None`` removes one.

        ``email`` defaults to the user's address when ``scope`` includes email;
        ``amr`` defaults to ``["pwd"]``.
        """
        scopes = tuple(scope.split())
        if email is None and "email" in scopes:
            email = user.email
        with self.store.lock:
            channel = self._channel(channel_id)
            claims = id_token_claims(
                user,
                channel_id,
                now=self.store.now(),
                scopes=scopes,
                nonce=nonce,
                email=email,
                amr=["pwd"] if amr is None else amr,
                auth_time=auth_time,
            )
            for name, value in claim_overrides.items():
                if value is None:
                    claims.pop(name, None)
                else:
                    claims[name] = value
            return self.key_ring.sign(claims, alg, channel.secret)

    @property
    def jwks(self) -> dict[str, Any]:
        return self.key_ring.jwks()

    @property
    def es256_kid(self) -> str:
        return self.key_ring.kid

    def rotate_es256_key(self) -> str:
        """Replace the ES256 key; tokens signed with the old one no longer verify anywhere."""
        with self.store.lock:
            return self.key_ring.rotate()

    # Clock --------------------------------------------------------------

    def now(self) -> float:
        with self.store.lock:
            return self.store.now()

    def advance(self, seconds: float) -> None:
        """Move the emulated clock forward, to expire codes and tokens without waiting."""
        with self.store.lock:
            self.store.clock_offset += seconds

    # Observing and breaking the API -------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        with self.store.lock:
            return list(self.store.calls)

    def reset_calls(self) -> None:
        with self.store.lock:
            self.store.calls.clear()

    def count_calls(self, path: str | None = None) -> int:
        with self.store.lock:
            return sum(1 for call in self.store.calls if path is None or call.path == path)

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
        with self.store.lock:
            self.store.faults.append(fault)

    def hold_next(self, path: str, *, method: str | None = None) -> Hold:
        """Stop the next request to ``path`` before LINE answers it, until ``release()``.

        This puts two requests in one critical section without timing them: hold the
        first at LINE, run the second to its end, then release the first.
        """
        hold = Hold(path, method.upper() if method else None)
        with self.store.lock:
            self.store.holds.append(hold)
        return hold

    def release_holds(self) -> None:
        """Let every held request go on and forget holds no request reached."""
        with self.store.lock:
            holds, self.store.holds = self.store.holds, []
        for hold in holds:
            hold.release()

    # Transport ----------------------------------------------------------

    @contextmanager
    def intercept(self, *extra_base_urls: str) -> Iterator[LineEmulator]:
        """Answer ``requests`` calls to the base URLs (and ``extra_base_urls``) in-process."""
        extras = [url.rstrip("/") for url in extra_base_urls if url]
        self._extra_base_urls.extend(extras)
        try:
            with intercept(self.app, [self.access_base_url, self.api_base_url, *extras]):
                yield self
        finally:
            for url in extras:
                self._extra_base_urls.remove(url)

    def _channel(self, channel_id: str) -> Channel:
        channel = self.store.channel(channel_id)
        if channel is None:
            raise EmulatorError(f"unknown channel {channel_id}")
        return channel
