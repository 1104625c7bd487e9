"""LINE's optional authorization parameters: which values LINE accepts, and how
site settings and a visitor's per-login choices combine.

Only names listed here ever reach the authorization URL, and only with values
LINE documents (integrate-line-login, "authorization request"), so a crafted
begin URL cannot smuggle parameters such as ``redirect_uri`` or ``client_id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from line_auth.conf import line_settings
from line_auth.exceptions import InvalidOption
from line_auth.internal.option_values import (
    BOT_PROMPTS,
    INITIAL_AMR_DISPLAYS,
    OPTION_NAMES,
    PROMPTS,
    RESPONSE_MODES,
    SCOPES,
    SWITCHES,
)

_LOCALE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_MAX_LOCALES = 10
_SECONDS = re.compile(r"[0-9]{1,10}")


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def validate(name: str, value: Any) -> str:
        text = str(value)
        if text not in allowed:
            raise InvalidOption(name, value, " or ".join(allowed))
        return text

    return validate


def _boolean(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).lower()
    if text not in ("true", "false"):
        raise InvalidOption(name, value, "true or false")
    return text


def _max_age(name: str, value: Any) -> str:
    text = str(value)
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if isinstance(value, bool) or not _SECONDS.fullmatch(text):
        raise InvalidOption(name, value, "a whole number of seconds, 0 or more")
    return str(int(text))


def _ui_locales(name: str, value: Any) -> str:
    tags = value.split() if isinstance(value, str) else list(value)
    if not tags or len(tags) > _MAX_LOCALES or not all(_LOCALE_TAG.match(t) for t in tags):
        raise InvalidOption(name, value, "space-separated BCP 47 language tags such as 'ja th'")
    return " ".join(tags)


def _scope(name: str, value: Any) -> str:
    scopes = value.split() if isinstance(value, str) else list(value)
    allowed = "a space-separated set of profile, openid and email, with profile or openid"
    if not scopes or any(s not in SCOPES for s in scopes) or len(set(scopes)) != len(scopes):
        raise InvalidOption(name, value, allowed)
    if "profile" not in scopes and "openid" not in scopes:
        raise InvalidOption(name, value, allowed)
    if "email" in scopes and "openid" not in scopes:
        raise InvalidOption(name, value, "openid together with email")
    return " ".join(s for s in SCOPES if s in scopes)


VALIDATORS: dict[str, Callable[[str, Any], str]] = {
    "scope": _scope,
    "prompt": _choice(*PROMPTS),
    "max_age": _max_age,
    "ui_locales": _ui_locales,
    "bot_prompt": _choice(*BOT_PROMPTS),
    "initial_amr_display": _choice(*INITIAL_AMR_DISPLAYS),
    **dict.fromkeys(SWITCHES, _boolean),
    "response_mode": _choice(*RESPONSE_MODES),
}


def validate_options(values: Mapping[str, Any]) -> dict[str, str]:
    """Return the options as LINE expects them, or raise :class:`InvalidOption`."""
    cleaned = {}
    for name, value in values.items():
        if name not in VALIDATORS:
            raise InvalidOption(name, value, "one of " + ", ".join(OPTION_NAMES))
        if value is None:
            continue
        cleaned[name] = VALIDATORS[name](name, value)
    return cleaned


def resolve_options(
    request_values: Mapping[str, Any], allowed: Iterable[str], channel_options: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Merge site settings, the channel's own and the visitor's allowed choices for one login.

    Each later source wins: a country's channel may ask for another scope or
    ``bot_prompt`` than the site's (``channel_options``, its scope included), and
    the visitor may choose where allowed.
    The scope always comes out explicit, so the callback knows what was asked.
    """
    merged: dict[str, Any] = {"scope": " ".join(line_settings.scope)}
    merged.update(line_settings.authorization_options)
    merged.update(channel_options or {})
    allowed = set(allowed)
    chosen = {name: request_values[name] for name in OPTION_NAMES if name in allowed and name in request_values}
    merged.update(chosen)
    options = validate_options(merged)
    if "response_mode" in chosen:
        _refuse_form_post_without_cookie(chosen["response_mode"], options.get("response_mode"))
    return options


def _refuse_form_post_without_cookie(value: Any, response_mode: str | None) -> None:
    """A visitor's ``form_post`` is refused before LINE when it could only fail after.

    LINE's cross-site POST arrives without a ``SameSite=Lax`` session cookie, so the
    login's state would be lost and the visitor would see "expired" after consenting.
    """
    if response_mode == "form_post" and not line_settings.session_cookie_crosses_sites:
        raise InvalidOption("response_mode", value, "query")
