"""Every line_auth setting, with its default, read lazily in one place.

Credentials and scope keep social-auth's own names (``SOCIAL_AUTH_LINE_KEY``,
``SOCIAL_AUTH_LINE_SECRET``, ``SOCIAL_AUTH_LINE_SCOPE``) so a site that already
uses social-auth configures nothing twice. Everything else is ``LINE_AUTH_*``.
Values are read on each access, never at import time, so ``override_settings``
works in tests.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULT_SCOPE = ("profile", "openid")


class LineAuthSettings:
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
    def use_pkce(self) -> bool:
        """PKCE S256 on every login (RFC 9700 2.1.1); only turn off to debug."""
        return bool(self._get("LINE_AUTH_USE_PKCE", True))

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
        from line_auth.options import OPTION_NAMES

        return tuple(self._get("LINE_AUTH_REQUEST_OPTIONS", OPTION_NAMES))

    @property
    def encryption_keys(self) -> tuple[str, ...]:
        """Fernet keys for tokens at rest, newest first; older keys still decrypt."""
        value = self._get("LINE_AUTH_ENCRYPTION_KEYS", ())
        return (value,) if isinstance(value, str) else tuple(value)

    @property
    def fetch_friendship(self) -> bool:
        """Ask LINE for the friendship status at login when it is unknown or changed."""
        return bool(self._get("LINE_AUTH_FETCH_FRIENDSHIP", True))

    @property
    def trust_email(self) -> bool:
        """Copy LINE's (unverified) email onto new Django users."""
        return bool(self._get("LINE_AUTH_TRUST_EMAIL", False))

    @property
    def enable_admin(self) -> bool:
        """Register the LINE account admin and the inline on the user admin."""
        return bool(self._get("LINE_AUTH_ENABLE_ADMIN", True))

    @property
    def login_redirect_url(self) -> str:
        """Where a visitor lands after logging in when no safe ``next`` was given."""
        return str(
            self._get("SOCIAL_AUTH_LOGIN_REDIRECT_URL", None)
            or self._get("LOGIN_REDIRECT_URL", "/")
        )


line_settings = LineAuthSettings()
