"""Checks on tokens' settings: encryption keys, native-login verification, the refresh window."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings

# Access tokens live 30 days: a window this wide refreshes every account on every run.
ACCESS_TOKEN_LIFETIME = 30 * 24 * 3600


def derived_encryption_key() -> CheckMessage:
    return Warning(
        "LINE tokens are encrypted with a key derived from SECRET_KEY.",
        hint="Set LINE_AUTH_ENCRYPTION_KEYS to a list of Fernet keys "
        "(Fernet.generate_key()), so rotating SECRET_KEY does not lose the tokens.",
        id=Codes.DERIVED_ENCRYPTION_KEY,
    )


def invalid_encryption_key(position: int) -> CheckMessage:
    return Error(
        f"LINE_AUTH_ENCRYPTION_KEYS[{position}] is not a valid Fernet key.",
        hint="Each key is 32 url-safe base64-encoded bytes, from Fernet.generate_key().",
        id=Codes.INVALID_ENCRYPTION_KEY,
    )


def invalid_native_verify(value: object) -> CheckMessage:
    return Error(
        f'LINE_AUTH_NATIVE_VERIFY is {value!r}; use "local" or "remote".',
        hint="See docs/native-login.md.",
        id=Codes.INVALID_NATIVE_VERIFY,
    )


def invalid_allowed_audiences() -> CheckMessage:
    return Error(
        "LINE_AUTH_ALLOWED_AUDIENCES must list channel IDs (digit strings).",
        hint="See docs/native-login.md.",
        id=Codes.INVALID_ALLOWED_AUDIENCES,
    )


# Each duration setting's least value and the ID of a value below it.
LEAST_DURATIONS = {
    "LINE_AUTH_NONCE_TTL": (1, Codes.NONCE_TTL_TOO_SHORT),
    "LINE_AUTH_JWKS_CACHE_TTL": (1, Codes.JWKS_CACHE_TTL_TOO_SHORT),
    "LINE_AUTH_JWKS_REFETCH_INTERVAL": (0, Codes.NEGATIVE_JWKS_REFETCH_INTERVAL),
    "LINE_AUTH_REFRESH_WINDOW": (0, Codes.NEGATIVE_REFRESH_WINDOW),
}


def duration_too_short(name: str, value: int) -> CheckMessage:
    least, code = LEAST_DURATIONS[name]
    return Error(
        f"{name} must be at least {least} seconds, not {value}.",
        hint="See docs/tokens.md and docs/native-login.md.",
        id=code,
    )


def wide_refresh_window() -> CheckMessage:
    return Warning(
        "LINE_AUTH_REFRESH_WINDOW is at least 30 days, LINE's access token lifetime.",
        hint="Every run of line_auth_refresh_tokens would refresh every account; a few days is enough.",
        id=Codes.WIDE_REFRESH_WINDOW,
    )


@register(TAG, Tags.security)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Tokens at rest need keys of their own: a bad one fails, a derived one dies with SECRET_KEY."""
    keys = line_settings.encryption_keys
    if not keys:
        return [derived_encryption_key()]
    return [invalid_encryption_key(position) for position, key in enumerate(keys) if not _is_fernet_key(key)]


def _is_fernet_key(key: Any) -> bool:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


@register(TAG, Tags.security)
def check_native_login(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """How a native or LIFF login's ID token is verified, and how long its nonce and LINE's keys live."""
    verify = line_settings.native_verify
    audiences = getattr(settings, "LINE_AUTH_ALLOWED_AUDIENCES", ())
    audiences_valid = not isinstance(audiences, str) and all(
        isinstance(item, str) and item.isdigit() for item in audiences
    )
    return collect(
        None if verify in ("local", "remote") else invalid_native_verify(verify),
        None if audiences_valid else invalid_allowed_audiences(),
        _too_short("LINE_AUTH_NONCE_TTL", line_settings.nonce_ttl),
        _too_short("LINE_AUTH_JWKS_CACHE_TTL", line_settings.jwks_cache_ttl),
        _too_short("LINE_AUTH_JWKS_REFETCH_INTERVAL", line_settings.jwks_refetch_interval),
    )


@register(TAG)
def check_refresh_window(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """How long before expiry ``refresh_line_tokens`` refreshes a token."""
    window = line_settings.refresh_window
    return collect(
        _too_short("LINE_AUTH_REFRESH_WINDOW", window),
        wide_refresh_window() if window >= ACCESS_TOKEN_LIFETIME else None,
    )


def _too_short(name: str, value: int) -> CheckMessage | None:
    return duration_too_short(name, value) if value < LEAST_DURATIONS[name][0] else None
