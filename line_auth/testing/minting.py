"""Credentials minted outside the browser flow: SDK and LIFF tokens, ID tokens, LINE's keys."""

from __future__ import annotations

from typing import Any

from .keys import id_token_claims
from .oauth import token_response
from .platform_state import PlatformState
from .state import LIFF_ACCESS_TOKEN_TTL, EmulatedUser


class TokenMinting:
    """``LineEmulator``'s way to hand a test what LINE's apps and SDKs would hold."""

    platform: PlatformState

    def issue_tokens(
        self,
        user: EmulatedUser,
        channel_id: str,
        scope: str = "profile openid",
        nonce: str | None = None,
        id_token_alg: str = "ES256",  # noqa: S107 - an algorithm name
    ) -> dict[str, Any]:
        """Tokens as the native SDK would hold them, to test server-side login with them."""
        scopes = tuple(scope.split())
        with self.platform.lock:
            self.platform.require_channel(channel_id)
            access = self.platform.issue_grant(channel_id, user.user_id, scopes)
            return token_response(
                self.platform,
                access,
                user,
                nonce=nonce,
                email_granted="email" in scopes,
                amr=["pwd"],
                auth_time=None,
                alg=id_token_alg,
            )

    def liff_access_token(
        self, user: EmulatedUser, channel_id: str, scope: str = "profile openid"
    ) -> str:
        """The access token ``liff.getAccessToken()`` returns in a LIFF app: 12 hours, and
        no refresh token (LIFF logs in again instead)."""
        with self.platform.lock:
            self.platform.require_channel(channel_id)
            access = self.platform.issue_grant(
                channel_id, user.user_id, tuple(scope.split()), access_ttl=LIFF_ACCESS_TOKEN_TTL
            )
            return access.token

    def issued_secrets(self) -> set[str]:
        """Every credential this emulator handed out (codes, tokens, ID tokens), so a
        test suite can assert that none of them ever reached a log line or a page."""
        with self.platform.lock:
            return {
                *self.platform.codes,
                *self.platform.access_tokens,
                *self.platform.grants,
                *self.platform.channel_tokens,
                *self.platform.key_ring.signed,
                *(channel.secret for channel in self.platform.channels.values()),
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
        with self.platform.lock:
            channel = self.platform.require_channel(channel_id)
            claims = id_token_claims(
                user,
                channel_id,
                now=self.platform.now(),
                scopes=scopes,
                nonce=nonce,
                email=email,
                amr=["pwd"] if amr is None else amr,
                auth_time=auth_time,
                subject=user.id_for(channel.provider),
            )
            for name, value in claim_overrides.items():
                if value is None:
                    claims.pop(name, None)
                else:
                    claims[name] = value
            return self.platform.key_ring.sign(claims, alg, channel.secret)

    @property
    def jwks(self) -> dict[str, Any]:
        with self.platform.lock:
            return self.platform.key_ring.jwks()

    @property
    def es256_kid(self) -> str:
        return self.platform.key_ring.kid

    def rotate_es256_key(self) -> str:
        """Replace the ES256 key; tokens signed with the old one no longer verify anywhere."""
        with self.platform.lock:
            return self.platform.key_ring.rotate()
