"""LIFF apps and LINE MINI Apps on the emulated platform: what ``liff.getIDToken()`` and
``liff.getAccessToken()`` hand an app.

A LIFF app lives on a LINE Login channel; a LINE MINI App is a channel of its own.
Both hold an ES256 ID token that carries no nonce of the site's, issued when the
app opened, and a 12-hour access token with no refresh token. Since 2026-01-08,
new Japanese LINE MINI App channels use simplified channel consent: users grant
only ``openid``, so ``/v2/profile`` and the friendship API refuse their tokens
and ``/oauth2/v2.1/userinfo`` answers with ``sub`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from .keys import id_token_claims
from .platform_state import PlatformState
from .state import LIFF_ACCESS_TOKEN_TTL, Channel, EmulatedUser

FULL_CONSENT = ("profile", "openid")
# "Channel consent simplification": what a new Japanese LINE MINI App channel's users grant.
OPENID_ONLY = ("openid",)


@dataclass(frozen=True)
class LiffSession:
    """What a LIFF app or MINI App holds after ``liff.init()``: both tokens, as LIFF gives them."""

    id_token: str
    access_token: str


class LiffApps:
    """``LineEmulator``'s LIFF and LINE MINI App channels and the tokens their apps hold."""

    platform: PlatformState

    def add_liff_channel(self, channel_id: str, secret: str, *, scopes: tuple[str, ...] = FULL_CONSENT) -> None:
        """Register a channel whose LIFF apps (or which, as a MINI App) users open.

        ``scopes`` is what every user of the channel consents to; pass ``OPENID_ONLY``
        for a MINI App channel with simplified consent.
        """
        with self.platform.lock:
            self.platform.add_channel(Channel(channel_id, secret))
            self.platform.liff_scopes[channel_id] = tuple(scopes)

    def liff_session(self, user: EmulatedUser, channel_id: str, *, issued_ago: int = 0) -> LiffSession:
        """The tokens ``user`` holds in the channel's app, the ID token issued ``issued_ago``
        seconds ago (LIFF mints it when the app opens, not when the app sends it)."""
        with self.platform.lock:
            channel = self.platform.require_channel(channel_id)
            scopes = self.platform.liff_scopes.get(channel_id, FULL_CONSENT)
            access = self.platform.issue_grant(channel_id, user.user_id, scopes, access_ttl=LIFF_ACCESS_TOKEN_TTL)
            claims = id_token_claims(
                user, channel_id, now=self.platform.now() - issued_ago, scopes=scopes, amr=["pwd"]
            )
            id_token = self.platform.key_ring.sign(claims, "ES256", channel.secret)
        return LiffSession(id_token=id_token, access_token=access.token)
