"""Every line_auth setting, with its default, read lazily in one place.

Credentials and scope keep social-auth's own names (``SOCIAL_AUTH_LINE_KEY``,
``SOCIAL_AUTH_LINE_SECRET``, ``SOCIAL_AUTH_LINE_SCOPE``) so a site that already
uses social-auth configures nothing twice. Everything else is ``LINE_AUTH_*``.
Values are read on each access, never at import time, so ``override_settings``
works in tests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.shortcuts import resolve_url

from line_auth.internal.audit_settings import AuditSettings
from line_auth.internal.background_settings import BackgroundSettings
from line_auth.internal.channel_settings import ChannelSettings
from line_auth.internal.option_values import OPTION_NAMES
from line_auth.internal.setting_values import (
    RateLimit,
    duration,
    parse_rate_limits,
    whole_number,
)

DEFAULT_SCOPE = ("profile", "openid")


class LineAuthSettings(AuditSettings, BackgroundSettings, ChannelSettings):
    """Typed, documented accessors for the settings; see README "Settings"."""

    @staticmethod
    def _get(name: str, default: Any) -> Any:
        return getattr(settings, name, default)

    @property
    def channel_id(self) -> str:
        """The LINE Login channel ID (OAuth ``client_id``)."""
        return str(self._get("SOCIAL_AUTH_LINE_KEY", "") or "")

    @property
    def channel_secret(self) -> str:
        """The channel secret: client secret, and the HS256 key of web ID tokens."""
        return str(self._get("SOCIAL_AUTH_LINE_SECRET", "") or "")

    @property
    def scope(self) -> tuple[str, ...]:
        """Scopes asked for by default; ``email`` needs LINE's approval first."""
        value = self._get("SOCIAL_AUTH_LINE_SCOPE", DEFAULT_SCOPE)
        return tuple(value.split()) if isinstance(value, str) else tuple(value)

    @property
    def access_base_url(self) -> str:
        """Where browsers are sent to log in (the emulator or a stand-in in tests)."""
        return str(self._get("LINE_AUTH_ACCESS_BASE_URL", "https://access.line.me")).rstrip("/")

    @property
    def api_base_url(self) -> str:
        """Where the server calls LINE's APIs."""
        return str(self._get("LINE_AUTH_API_BASE_URL", "https://api.line.me")).rstrip("/")

    @property
    def id_token_issuer(self) -> str:
        """The ``iss`` every ID token must carry; LINE's is fixed."""
        return str(self._get("LINE_AUTH_ID_TOKEN_ISSUER", "https://access.line.me"))

    @property
    def requests_timeout(self) -> float:
        """Seconds before a call to LINE is abandoned (connect and read)."""
        return float(self._get("LINE_AUTH_REQUESTS_TIMEOUT", 5.0))

    @property
    def requests_retries(self) -> int:
        """Extra attempts for idempotent calls after a timeout, 429 or 5xx."""
        return int(self._get("LINE_AUTH_REQUESTS_RETRIES", 2))

    @property
    def id_token_leeway(self) -> int:
        """Clock skew in seconds tolerated on ``exp``, ``iat`` and ``auth_time``."""
        return int(self._get("LINE_AUTH_ID_TOKEN_LEEWAY", 60))

    @property
    def authorization_options(self) -> dict[str, Any]:
        """Site-wide LINE authorization parameters (``bot_prompt``, ``prompt`` ...)."""
        return dict(self._get("LINE_AUTH_AUTHORIZATION_OPTIONS", {}))

    @property
    def request_options(self) -> tuple[str, ...]:
        """Authorization parameters a visitor may set per login from the begin URL."""
        return tuple(self._get("LINE_AUTH_REQUEST_OPTIONS", OPTION_NAMES))

    @property
    def session_cookie_samesite_none(self) -> bool:
        """Whether Django's session cookie is ``SameSite=None`` (Django's own setting)."""
        samesite = self._get("SESSION_COOKIE_SAMESITE", "Lax")
        return isinstance(samesite, str) and samesite.lower() == "none"

    @property
    def session_cookie_crosses_sites(self) -> bool:
        """Whether the session cookie comes back on LINE's cross-site ``form_post``.

        Browsers send a cookie with a cross-site POST only if it is ``SameSite=None``,
        and keep such a cookie only if it is also ``Secure``.
        """
        return self.session_cookie_samesite_none and bool(self._get("SESSION_COOKIE_SECURE", False))

    @property
    def encryption_keys(self) -> tuple[str, ...]:
        """Fernet keys for tokens at rest, newest first; older keys still decrypt."""
        value = self._get("LINE_AUTH_ENCRYPTION_KEYS", ())
        return (value,) if isinstance(value, str) else tuple(value)

    @property
    def fetch_friendship(self) -> bool:
        """Ask LINE for an unknown friendship status at every login, not only with ``bot_prompt``.

        Off by default: a login then makes one call to LINE. A login that shows the
        add-friend option (``bot_prompt``) asks whatever this says.
        """
        return bool(self._get("LINE_AUTH_FETCH_FRIENDSHIP", False))

    @property
    def webhook_secret(self) -> str:
        """The Messaging API channel secret; the webhook answers 404 while it is empty."""
        return str(self._get("LINE_AUTH_WEBHOOK_SECRET", "") or "").strip()

    @property
    def webhook_event_retention(self) -> timedelta:
        """How long processed ``webhookEventId``s are kept to drop LINE's redeliveries."""
        return duration(self._get("LINE_AUTH_WEBHOOK_EVENT_RETENTION", timedelta(days=7)))

    @property
    def pending_friendship_retention(self) -> timedelta:
        """How long a webhook status waits for its user's first login before it is dropped.

        Dropping it loses little: a first login with the add-friend option (or with
        ``LINE_AUTH_FETCH_FRIENDSHIP``) asks LINE when no status is known. Keeping it forever lets every follower who
        never logs in hold a row.
        """
        return duration(self._get("LINE_AUTH_PENDING_FRIENDSHIP_RETENTION", timedelta(days=30)))

    @property
    def friendship_stale_after(self) -> timedelta:
        """Age after which the friendship sync asks LINE again."""
        return duration(self._get("LINE_AUTH_FRIENDSHIP_STALE_AFTER", timedelta(days=7)))

    @property
    def friendship_sync_workers(self) -> int:
        """Calls to LINE the friendship sync makes at the same time."""
        return max(1, int(self._get("LINE_AUTH_FRIENDSHIP_SYNC_WORKERS", 4)))

    @property
    def trust_email(self) -> bool:
        """Copy LINE's (unverified) email onto new Django users."""
        return bool(self._get("LINE_AUTH_TRUST_EMAIL", False))

    @property
    def enable_admin(self) -> bool:
        """Register the LINE account admin and the inline on the user admin."""
        return bool(self._get("LINE_AUTH_ENABLE_ADMIN", True))

    @property
    def refresh_window(self) -> int:
        """Seconds before expiry at which batch jobs refresh an access token.

        LINE's access tokens live 30 days; refreshing a few days early keeps a
        missed run harmless without spending calls on tokens that are still young.
        """
        return int(self._get("LINE_AUTH_REFRESH_WINDOW", 3 * 24 * 3600))

    @property
    def revoke_on_logout(self) -> bool:
        """Revoke the user's LINE tokens when they log out of the site (LINE's MU advice)."""
        return bool(self._get("LINE_AUTH_REVOKE_ON_LOGOUT", False))

    @property
    def deauthorize_on_delete(self) -> bool:
        """Unlink the app at LINE when a user is deleted; LINE's guidelines require it."""
        return bool(self._get("LINE_AUTH_DEAUTHORIZE_ON_DELETE", True))

    @property
    def deauthorize_retry_delay(self) -> timedelta:
        """Wait before retrying a deauthorization LINE could not take; doubled on each failure."""
        return duration(self._get("LINE_AUTH_DEAUTHORIZE_RETRY_DELAY", timedelta(minutes=5)))

    @property
    def deauthorize_max_attempts(self) -> int:
        """Attempts after which a queued deauthorization is given up as failed for good."""
        value = self._get("LINE_AUTH_DEAUTHORIZE_MAX_ATTEMPTS", 10)
        return whole_number("LINE_AUTH_DEAUTHORIZE_MAX_ATTEMPTS", value, 1)

    @property
    def native_verify(self) -> str:
        """How native/LIFF ID tokens are verified: ``"local"`` (no call) or ``"remote"`` (LINE)."""
        return str(self._get("LINE_AUTH_NATIVE_VERIFY", "local"))

    @property
    def allowed_audiences(self) -> tuple[str, ...]:
        """Deprecated: channel IDs a native login accepts besides ``LINE_AUTH_CHANNELS`` (W025)."""
        value = self._get("LINE_AUTH_ALLOWED_AUDIENCES", ())
        return (value,) if isinstance(value, str) else tuple(str(item) for item in value)

    @property
    def liff_id_tokens(self) -> bool:
        """Accept a LIFF ID token sent without a server nonce (``liff.getIDToken()``).

        Off by default: a nonce the server issued is the stronger proof. When on,
        such a token must be fresh, for a LIFF or LINE MINI App channel, and is
        accepted once (docs/liff.md).
        """
        return bool(self._get("LINE_AUTH_LIFF_ID_TOKENS", False))

    @property
    def liff_id_token_max_age(self) -> int:
        """Seconds after its ``iat`` a LIFF ID token sent without a nonce is still accepted.

        LIFF hands out the token when the app opens; an app sends it at once, so a
        short window limits what a captured token is worth (E030 checks the range).
        """
        return int(self._get("LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE", 300))

    @property
    def native_login_session(self) -> bool:
        """Whether the native login starts a Django session, or only answers who the user is."""
        return bool(self._get("LINE_AUTH_NATIVE_LOGIN_SESSION", True))

    @property
    def nonce_ttl(self) -> int:
        """Seconds a nonce issued to an app stays usable; a login takes well under a minute."""
        return int(self._get("LINE_AUTH_NONCE_TTL", 600))

    @property
    def cache_alias(self) -> str:
        """The Django cache holding nonces and LINE's JWKS; shared by every web process."""
        return str(self._get("LINE_AUTH_CACHE", "default"))

    @property
    def jwks_cache_ttl(self) -> int:
        """Seconds LINE's signing keys are kept before they are fetched again."""
        return int(self._get("LINE_AUTH_JWKS_CACHE_TTL", 24 * 3600))

    @property
    def jwks_refetch_interval(self) -> int:
        """At most one early JWKS fetch per this many seconds, whatever unknown ``kid``s arrive."""
        return int(self._get("LINE_AUTH_JWKS_REFETCH_INTERVAL", 300))

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        """Limits per rate-limited endpoint, the defaults overridden endpoint by endpoint.

        ``{"login": {"per_address": 10}}`` changes one number; ``{"login": None}`` lifts
        both limits of that endpoint. Raises ``ImproperlyConfigured`` (check E011).
        """
        return parse_rate_limits(self._get("LINE_AUTH_RATE_LIMITS", {}))

    @property
    def rate_limit_window(self) -> int:
        """Seconds of one rate-limit window; the counters start again in each."""
        return whole_number("LINE_AUTH_RATE_LIMIT_WINDOW", self._get("LINE_AUTH_RATE_LIMIT_WINDOW", 60), 1)

    @property
    def trusted_proxies(self) -> int:
        """Reverse proxies in front of the site that each append to ``X-Forwarded-For``.

        0 (the default) trusts only ``REMOTE_ADDR``: the header is then the client's to forge.
        """
        return whole_number("LINE_AUTH_TRUSTED_PROXIES", self._get("LINE_AUTH_TRUSTED_PROXIES", 0), 0)

    @property
    def login_redirect_url(self) -> str:
        """Where a visitor lands after logging in when no safe ``next`` was given.

        A URL or, as Django allows for ``LOGIN_REDIRECT_URL``, a URL pattern name.
        """
        return resolve_url(
            self._get("SOCIAL_AUTH_LOGIN_REDIRECT_URL", None)
            or self._get("LOGIN_REDIRECT_URL", "/")
        )


line_settings = LineAuthSettings()
