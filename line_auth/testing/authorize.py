"""The authorization request (spec §3): validate it, then turn the user's choice into a callback.

Both the HTML consent page and the browser-free ``LineEmulator.authorize`` go through
``parse_request`` and ``decide``, so tests exercise exactly what a browser would see.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt

from .platform_state import PlatformState
from .state import CODE_TTL, ISSUER, AuthCode, Channel, EmulatedUser, EmulatorError, new_code

OUTCOMES = ("approve", "deny", "server_error", "auto_login_failure")
RESPONSE_MODES = ("query", "form_post", "query.jwt", "form_post.jwt", "jwt")
KNOWN_SCOPES = ("profile", "openid", "email")
PROMPTS = ("consent", "none", "login")
BOT_PROMPTS = ("normal", "aggressive")
_PKCE_RE = re.compile(r"[A-Za-z0-9._~-]{43,128}")

ACCESS_DENIED = ("ACCESS_DENIED", "The resource owner denied the request.")
SERVER_ERROR = ("SERVER_ERROR", "The authorization server encountered an unexpected condition.")
LOGIN_REQUIRED = (
    "LOGIN_REQUIRED",
    "The user is not logged in or has not consented to this channel.",
)


@dataclass(frozen=True)
class AuthorizationResult:
    """Where the browser goes after the consent page.

    ``url`` is the full callback URL for a GET, or the bare callback for a form POST;
    ``params`` holds the callback parameters either way, ``form`` only for form_post.
    """

    method: str
    url: str
    form: dict[str, str]
    params: dict[str, str]
    code: str | None = None


@dataclass(frozen=True)
class AuthRequest:
    """A parsed authorization URL whose client_id and redirect_uri are trustworthy.

    ``error`` is set when anything else is wrong; LINE then redirects with that error.
    """

    channel: Channel
    redirect_uri: str
    response_mode: str = "query"
    state: str | None = None
    scopes: tuple[str, ...] = ()
    nonce: str | None = None
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    bot_prompt: str | None = None
    disable_auto_login: bool = False
    code_challenge: str | None = None
    error: tuple[str, str] | None = None
    query: dict[str, str] = field(default_factory=dict)


def parse_request(query: str, platform: PlatformState) -> AuthRequest:
    """Validate like LINE: bad client_id/redirect_uri raise; the rest becomes a redirect error."""
    pairs = parse_qsl(query, keep_blank_values=True)
    params = dict(pairs)
    repeated = {key for key, count in Counter(key for key, _ in pairs).items() if count > 1}
    channel = platform.channel(params.get("client_id"))
    if channel is None or "client_id" in repeated:
        raise EmulatorError(f"Unknown client_id {params.get('client_id')!r}.")
    redirect_uri = params.get("redirect_uri", "")
    if "redirect_uri" in repeated or not redirect_uri_allowed(channel, redirect_uri):
        raise EmulatorError(
            f"redirect_uri {redirect_uri!r} is not registered for channel {channel.channel_id}."
        )
    base = AuthRequest(
        channel=channel, redirect_uri=redirect_uri, state=params.get("state"), query=params
    )

    mode = params.get("response_mode", "query")
    if mode not in RESPONSE_MODES:
        return _with_error(base, "INVALID_REQUEST", f"Unsupported response_mode {mode!r}.")
    base = _replace(base, response_mode=mode)
    if repeated:
        return _with_error(
            base, "INVALID_REQUEST", f"Repeated parameters: {', '.join(sorted(repeated))}."
        )
    if "response_type" not in params or not base.state:
        return _with_error(base, "INVALID_REQUEST", "response_type and state are required.")
    if params["response_type"] != "code":
        return _with_error(
            base, "UNSUPPORTED_RESPONSE_TYPE", "Only response_type=code is supported."
        )

    scopes = tuple(s for s in params.get("scope", "").split(" ") if s)
    if not set(scopes) <= set(KNOWN_SCOPES) or not {"profile", "openid"} & set(scopes):
        return _with_error(base, "INVALID_SCOPE", "scope must include profile or openid.")
    if "email" in scopes and "openid" not in scopes:
        return _with_error(base, "INVALID_SCOPE", "The email scope requires openid.")

    prompt = frozenset(params.get("prompt", "").split())
    if not prompt <= set(PROMPTS) or ("none" in prompt and len(prompt) > 1):
        return _with_error(base, "INVALID_REQUEST", f"Invalid prompt {params['prompt']!r}.")
    bot_prompt = params.get("bot_prompt")
    if bot_prompt is not None and bot_prompt not in BOT_PROMPTS:
        return _with_error(base, "INVALID_REQUEST", f"Invalid bot_prompt {bot_prompt!r}.")
    max_age = params.get("max_age")
    if max_age is not None and not max_age.isdigit():
        return _with_error(base, "INVALID_REQUEST", f"Invalid max_age {max_age!r}.")

    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is not None or method is not None:
        # Only S256 exists at LINE (spec §8); a lone challenge would mean "plain" under RFC 7636.
        if method != "S256" or challenge is None or not _PKCE_RE.fullmatch(challenge):
            return _with_error(
                base, "INVALID_REQUEST", "code_challenge with code_challenge_method=S256 required."
            )

    return _replace(
        base,
        scopes=scopes,
        nonce=params.get("nonce"),
        prompt=prompt,
        max_age=int(max_age) if max_age is not None else None,
        bot_prompt=bot_prompt,
        disable_auto_login=params.get("disable_auto_login") == "true",
        code_challenge=challenge,
    )


def redirect_uri_allowed(channel: Channel, redirect_uri: str) -> bool:
    """Exact match, or a registered URL with extra query parameters added (spec §3.2, CHK)."""
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return False
    if channel.callback_urls is None:
        return True
    for registered in channel.callback_urls:
        reg = urlsplit(registered)
        if (reg.scheme, reg.netloc, reg.path) != (parts.scheme, parts.netloc, parts.path):
            continue
        extra = parse_qsl(parts.query, keep_blank_values=True)
        if all(pair in extra for pair in parse_qsl(reg.query, keep_blank_values=True)):
            return True
    return False


def shows_friend_option(request: AuthRequest, platform: PlatformState, user: EmulatedUser | None) -> bool:
    """The add-friend option shows only with bot_prompt, a linked bot and no existing friendship."""
    if request.bot_prompt is None or not request.channel.has_bot:
        return False
    return user is None or (user.user_id, request.channel.channel_id) not in platform.friends


def decide(
    request: AuthRequest,
    platform: PlatformState,
    user: EmulatedUser | None,
    *,
    outcome: str,
    add_friend: bool,
    grant_email: bool,
    amr: list[str] | None,
) -> AuthorizationResult:
    """Act as the user on the consent page and build the callback LINE would send."""
    if outcome not in OUTCOMES:
        raise EmulatorError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    now = platform.now()
    if request.error:
        return _error(request, request.error, platform.error_case, now)
    if outcome == "deny":
        return _error(request, ACCESS_DENIED, platform.error_case, now)
    if outcome == "server_error":
        return _error(request, SERVER_ERROR, platform.error_case, now)
    if outcome == "auto_login_failure" and not request.disable_auto_login:
        # Spec §3.7: LINE still redirects with a code and a state, but neither is usable.
        return _deliver(request, {"code": new_code(), "state": secrets.token_hex(16)}, None, now)
    channel_id = request.channel.channel_id
    if "none" in request.prompt and (
        user is None or (user.user_id, channel_id) not in platform.consents
    ):
        return _error(request, LOGIN_REQUIRED, platform.error_case, now)
    if user is None:
        raise EmulatorError("approving a login needs a user")

    params: dict[str, str] = {}
    if "none" not in request.prompt and shows_friend_option(request, platform, user):
        if add_friend:
            platform.friends.add((user.user_id, channel_id))
        params["friendship_status_changed"] = "true" if add_friend else "false"
    code = AuthCode(
        code=new_code(),
        channel_id=channel_id,
        user_id=user.user_id,
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        auth_time=int(now) if request.max_age is not None else None,
        amr=["pwd"] if amr is None else list(amr),
        email_granted=grant_email and "email" in request.scopes and bool(user.email),
        expires_at=now + CODE_TTL,
    )
    platform.codes[code.code] = code
    platform.consents.add((user.user_id, channel_id))
    params = {"code": code.code, "state": request.state or "", **params}
    return _deliver(request, params, code.code, now)


def append_query(url: str, params: dict[str, str]) -> str:
    """Add parameters to a callback URL, keeping the query the client registered."""
    if not params:
        return url
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


def _error(
    request: AuthRequest, error: tuple[str, str], error_case: str, now: float
) -> AuthorizationResult:
    code, description = error
    params = {
        "error": code.lower() if error_case == "lower" else code,
        "error_description": description,
    }
    if request.state:
        params["state"] = request.state
    return _deliver(request, params, None, now)


def _deliver(
    request: AuthRequest, params: dict[str, str], code: str | None, now: float
) -> AuthorizationResult:
    mode = request.response_mode
    if mode.endswith("jwt"):
        # JARM (spec §3.5): LINE's key and claims are unverified; the channel secret is assumed.
        claims = {
            "iss": ISSUER,
            "aud": request.channel.channel_id,
            "exp": int(now) + CODE_TTL,
            **params,
        }
        params = {"response": jwt.encode(claims, request.channel.secret, algorithm="HS256")}
    if mode.startswith("form_post"):
        return AuthorizationResult("POST", request.redirect_uri, dict(params), dict(params), code)
    return AuthorizationResult(
        "GET", append_query(request.redirect_uri, params), {}, dict(params), code
    )


def _with_error(request: AuthRequest, code: str, description: str) -> AuthRequest:
    return _replace(request, error=(code, description))


def _replace(request: AuthRequest, **changes: object) -> AuthRequest:
    return replace(request, **changes)  # type: ignore[arg-type]
