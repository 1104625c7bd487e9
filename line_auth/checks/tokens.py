"""Checks on stored tokens' settings: encryption keys, token lifetimes, the refresh window."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from line_auth.checks.messages import Codes
from line_auth.conf import line_settings


def encryption() -> list[CheckMessage | None]:
    keys = line_settings.encryption_keys
    if not keys:
        return [
            Warning(
                "LINE tokens are encrypted with a key derived from SECRET_KEY.",
                hint="Set LINE_AUTH_ENCRYPTION_KEYS to a list of Fernet keys "
                "(Fernet.generate_key()), so rotating SECRET_KEY does not lose the tokens.",
                id=Codes.DERIVED_ENCRYPTION_KEY,
            )
        ]
    messages: list[CheckMessage | None] = []
    for position, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            messages.append(
                Error(
                    f"LINE_AUTH_ENCRYPTION_KEYS[{position}] is not a valid Fernet key.",
                    hint="Each key is 32 url-safe base64-encoded bytes, from Fernet.generate_key().",
                    id=Codes.INVALID_ENCRYPTION_KEY,
                )
            )
    return messages


# Access tokens live 30 days: a window this wide refreshes every account on every run.
ACCESS_TOKEN_LIFETIME = 30 * 24 * 3600


def token_settings() -> list[CheckMessage | None]:
    problems = []
    if line_settings.native_verify not in ("local", "remote"):
        problems.append(
            f'LINE_AUTH_NATIVE_VERIFY is {line_settings.native_verify!r}; use "local" or "remote".'
        )
    audiences = getattr(settings, "LINE_AUTH_ALLOWED_AUDIENCES", ())
    if isinstance(audiences, str) or not all(
        isinstance(item, str) and item.isdigit() for item in audiences
    ):
        problems.append("LINE_AUTH_ALLOWED_AUDIENCES must list channel IDs (digit strings).")
    durations = {
        "LINE_AUTH_NONCE_TTL": (line_settings.nonce_ttl, 1),
        "LINE_AUTH_JWKS_CACHE_TTL": (line_settings.jwks_cache_ttl, 1),
        "LINE_AUTH_JWKS_REFETCH_INTERVAL": (line_settings.jwks_refetch_interval, 0),
        "LINE_AUTH_REFRESH_WINDOW": (line_settings.refresh_window, 0),
    }
    problems += [
        f"{name} must be at least {least} seconds, not {value}."
        for name, (value, least) in durations.items()
        if value < least
    ]
    return [
        Error(
            problem,
            hint="See docs/tokens.md and docs/native-login.md.",
            id=Codes.INVALID_TOKEN_SETTING,
        )
        for problem in problems
    ]


def refresh_window() -> CheckMessage | None:
    if line_settings.refresh_window < ACCESS_TOKEN_LIFETIME:
        return None
    return Warning(
        "LINE_AUTH_REFRESH_WINDOW is at least 30 days, LINE's access token lifetime.",
        hint="Every run of line_auth_refresh_tokens would refresh every account; a few days is enough.",
        id=Codes.WIDE_REFRESH_WINDOW,
    )
