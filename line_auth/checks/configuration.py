"""Django system checks: misconfiguration is reported by ``manage.py check`` with
a stable ID, never discovered at a visitor's first login.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router

from line_auth.conf import line_settings
from line_auth.exceptions import InvalidOption
from line_auth.internal import steps
from line_auth.internal.key_audit import audit
from line_auth.internal.option_values import OPTION_NAMES
from line_auth.internal.options import validate_options
from line_auth.internal.user_model import required_email_field, unfillable_fields
from line_auth.models import LineAccount

BACKEND_PATH = "line_auth.backends.LineBackend"
STOCK_BACKEND_PATH = "social_core.backends.line.LineOAuth2"


class Codes:
    MISSING_CREDENTIALS = "line_auth.E001"
    BACKEND_MISSING = "line_auth.E002"
    INVALID_OPTION = "line_auth.E003"
    SOCIAL_DJANGO_MISSING = "line_auth.E004"
    INVALID_ENCRYPTION_KEY = "line_auth.E005"
    UNKNOWN_REQUEST_OPTION = "line_auth.E006"
    STOCK_BACKEND_CONFLICT = "line_auth.E007"
    DERIVED_ENCRYPTION_KEY = "line_auth.W001"
    PIPELINE_STEP_MISSING = "line_auth.W002"
    FORM_POST_SAMESITE = "line_auth.W003"
    ASSOCIATE_BY_EMAIL = "line_auth.W004"
    INSECURE_BASE_URL = "line_auth.W005"
    PKCE_WEAKENED = "line_auth.W006"
    INVALID_TOKEN_SETTING = "line_auth.E008"
    UNUSABLE_CACHE = "line_auth.E009"
    WIDE_REFRESH_WINDOW = "line_auth.W007"
    WEBHOOK_SECRET_IS_LOGIN_SECRET = "line_auth.E010"
    WEBHOOK_SECRET_EMPTY = "line_auth.W010"
    WEBHOOK_SECRET_MALFORMED = "line_auth.W011"
    UNKNOWN_SCHEDULED_TASK = "line_auth.W017"
    RETENTION_NOT_POSITIVE = "line_auth.W018"
    NO_TOKEN_READABLE = "line_auth.E012"
    SOME_TOKENS_UNREADABLE = "line_auth.W014"
    USER_MODEL_NEEDS_EMAIL = "line_auth.E013"
    EMAIL_TAKEOVER = "line_auth.E014"
    USER_MODEL_FIELD_UNFILLED = "line_auth.W015"
    INVALID_RATE_LIMIT = "line_auth.E011"
    PROCESS_LOCAL_CACHE = "line_auth.W012"
    PROXY_NOT_TRUSTED = "line_auth.W013"
    SAMESITE_NONE_INSECURE = "line_auth.E015"
    REQUEST_FORM_POST_REFUSED = "line_auth.W016"


def _run(*found: CheckMessage | None) -> list[CheckMessage]:
    return [message for message in found if message is not None]


@register(Tags.security)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every line_auth check; each helper returns one message or None."""
    return _run(
        _credentials(),
        _backend(),
        _stock_backend(),
        _social_django(),
        _options(),
        _request_options(),
        *_encryption(),
        _pipeline(),
        _associate_by_email(),
        *_user_model(),
        _form_post(),
        _request_form_post(),
        _samesite_none_insecure(),
        _base_urls(),
        _pkce(),
        *_token_settings(),
        _cache(),
        _refresh_window(),
        _webhook_secret(),
        *_scheduled_tasks(),
        *_retentions(),
    )


def _credentials() -> CheckMessage | None:
    if line_settings.channel_id and line_settings.channel_secret:
        return None
    return Error(
        "The LINE channel ID or channel secret is not set.",
        hint="Set SOCIAL_AUTH_LINE_KEY (channel ID) and SOCIAL_AUTH_LINE_SECRET (channel secret) "
        "from the LINE Developers Console.",
        id=Codes.MISSING_CREDENTIALS,
    )


def _backend() -> CheckMessage | None:
    if BACKEND_PATH in settings.AUTHENTICATION_BACKENDS:
        return None
    return Error(
        f"{BACKEND_PATH} is not in AUTHENTICATION_BACKENDS.",
        hint=f'Add "{BACKEND_PATH}" to AUTHENTICATION_BACKENDS, before ModelBackend.',
        id=Codes.BACKEND_MISSING,
    )


def _stock_backend() -> CheckMessage | None:
    if STOCK_BACKEND_PATH not in settings.AUTHENTICATION_BACKENDS:
        return None
    return Error(
        f"{STOCK_BACKEND_PATH} is also named 'line' and would shadow line_auth's backend.",
        hint=f"Remove {STOCK_BACKEND_PATH} from AUTHENTICATION_BACKENDS; existing links keep working.",
        id=Codes.STOCK_BACKEND_CONFLICT,
    )


def _social_django() -> CheckMessage | None:
    if "social_django" in settings.INSTALLED_APPS:
        return None
    return Error(
        "social_django is not in INSTALLED_APPS.",
        hint='Add "social_django" to INSTALLED_APPS and run migrate.',
        id=Codes.SOCIAL_DJANGO_MISSING,
    )


def _options() -> CheckMessage | None:
    try:
        validate_options({"scope": " ".join(line_settings.scope), **line_settings.authorization_options})
    except InvalidOption as error:
        return Error(
            f"Invalid LINE authorization option: {error}",
            hint="Fix SOCIAL_AUTH_LINE_SCOPE or LINE_AUTH_AUTHORIZATION_OPTIONS.",
            id=Codes.INVALID_OPTION,
        )
    return None


def _request_options() -> CheckMessage | None:
    unknown = sorted(set(line_settings.request_options) - set(OPTION_NAMES))
    if not unknown:
        return None
    return Error(
        f"LINE_AUTH_REQUEST_OPTIONS names unknown options: {', '.join(unknown)}.",
        hint=f"Use only: {', '.join(OPTION_NAMES)}.",
        id=Codes.UNKNOWN_REQUEST_OPTION,
    )


def _encryption() -> list[CheckMessage | None]:
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


def _pipeline() -> CheckMessage | None:
    pipeline = steps.configured()
    if pipeline is None or steps.SAVE_LINE_ACCOUNT in pipeline:
        return None
    return Warning(
        "Your SOCIAL_AUTH_PIPELINE does not save LINE accounts.",
        hint=f'Add "{steps.SAVE_LINE_ACCOUNT}" after "social_core.pipeline.social_auth.associate_user".',
        id=Codes.PIPELINE_STEP_MISSING,
    )


def _associate_by_email() -> CheckMessage | None:
    """Linking by email matters for LINE only if LINE's (unverified) email reaches ``details``."""
    pipeline = steps.effective()
    associations = steps.email_associations(pipeline)
    if not associations:
        return None
    if line_settings.trust_email:
        return Error(
            "LINE_AUTH_TRUST_EMAIL is on and the pipeline links logins to users by email: anyone "
            "could log in as any user by showing that user's email address at LINE.",
            hint="LINE does not say whether an address was verified. Turn LINE_AUTH_TRUST_EMAIL off, "
            f"or give LINE a pipeline without {', '.join(associations)} (SOCIAL_AUTH_LINE_PIPELINE). "
            "Until then LINE logins skip that step.",
            id=Codes.EMAIL_TAKEOVER,
        )
    if not steps.own_step_before(pipeline, associations[0]):
        return None  # no step puts LINE's email into details, so nothing can match it
    return Warning(
        "The pipeline links logins to users by email after a step of your own; if that step puts "
        "LINE's email into details, anyone could take over an account.",
        hint="LINE does not say whether an address was verified: give LINE a pipeline without "
        f"{', '.join(associations)} (SOCIAL_AUTH_LINE_PIPELINE).",
        id=Codes.ASSOCIATE_BY_EMAIL,
    )


def _user_model() -> list[CheckMessage | None]:
    """What the user model needs at creation that a LINE login cannot give."""
    pipeline = steps.effective()
    creation = next((step for step in pipeline if step in steps.USER_CREATION), None)
    if creation is None:
        return []  # the site creates users its own way
    label = settings.AUTH_USER_MODEL
    messages: list[CheckMessage | None] = []
    email_supplied = line_settings.trust_email and "email" in line_settings.scope
    if required_email_field() and not email_supplied and not steps.own_step_before(pipeline, creation):
        messages.append(
            Error(
                f"The user model {label} needs an email address, which LINE logins do not supply.",
                hint='Ask LINE for it and trust it: SOCIAL_AUTH_LINE_SCOPE = ["profile", "openid", '
                '"email"] (the email scope needs LINE\'s approval in the LINE Developers Console) and '
                "LINE_AUTH_TRUST_EMAIL = True; or make the field optional (blank=True). "
                "See docs/user-models.md.",
                id=Codes.USER_MODEL_NEEDS_EMAIL,
            )
        )
    unfilled = unfillable_fields(steps.user_fields())
    if unfilled:
        messages.append(
            Warning(
                f"The user model {label} has fields LINE logins cannot fill: {', '.join(unfilled)}.",
                hint="Each needs a value when a user is created, or the first LINE login fails. Give "
                "it a default or null=True, or add a pipeline step before create_user that returns "
                "it and list it in SOCIAL_AUTH_USER_FIELDS. See docs/user-models.md.",
                id=Codes.USER_MODEL_FIELD_UNFILLED,
            )
        )
    return messages


def _form_post() -> CheckMessage | None:
    if line_settings.authorization_options.get("response_mode") != "form_post":
        return None
    if line_settings.session_cookie_crosses_sites:
        return None
    return Warning(
        "response_mode=form_post needs the session cookie on LINE's cross-site POST.",
        hint='Set SESSION_COOKIE_SAMESITE = "None" with SESSION_COOKIE_SECURE = True, '
        'or keep the default response_mode "query".',
        id=Codes.FORM_POST_SAMESITE,
    )


def _request_form_post() -> CheckMessage | None:
    # Only a list the site wrote itself: the default allows every option, and a
    # warning on every new site would teach people to ignore this one.
    if not hasattr(settings, "LINE_AUTH_REQUEST_OPTIONS"):
        return None
    if "response_mode" not in line_settings.request_options or line_settings.session_cookie_crosses_sites:
        return None
    return Warning(
        "LINE_AUTH_REQUEST_OPTIONS lets a visitor choose response_mode, but a login asking for "
        "form_post is refused: the session cookie would not come back on LINE's cross-site POST.",
        hint='Remove "response_mode" from LINE_AUTH_REQUEST_OPTIONS, or set '
        'SESSION_COOKIE_SAMESITE = "None" with SESSION_COOKIE_SECURE = True.',
        id=Codes.REQUEST_FORM_POST_REFUSED,
    )


def _samesite_none_insecure() -> CheckMessage | None:
    if not line_settings.session_cookie_samesite_none or line_settings.session_cookie_crosses_sites:
        return None
    return Error(
        'SESSION_COOKIE_SAMESITE is "None" but SESSION_COOKIE_SECURE is off.',
        hint="Browsers drop a SameSite=None cookie that is not Secure, so no login could find its "
        "state. Set SESSION_COOKIE_SECURE = True (HTTPS), or go back to \"Lax\" and response_mode query.",
        id=Codes.SAMESITE_NONE_INSECURE,
    )


def _base_urls() -> CheckMessage | None:
    urls = (line_settings.access_base_url, line_settings.api_base_url)
    if settings.DEBUG or all(url.startswith("https://") for url in urls):
        return None
    return Warning(
        "LINE base URLs do not use HTTPS while DEBUG is off.",
        hint="LINE_AUTH_ACCESS_BASE_URL and LINE_AUTH_API_BASE_URL should be https:// in production.",
        id=Codes.INSECURE_BASE_URL,
    )


def _pkce() -> CheckMessage | None:
    enabled = getattr(settings, "SOCIAL_AUTH_LINE_USE_PKCE", True)
    method = getattr(settings, "SOCIAL_AUTH_LINE_PKCE_CODE_CHALLENGE_METHOD", "S256")
    if enabled and method == "S256":
        return None
    return Warning(
        "PKCE is off or not S256; LINE supports only S256 and RFC 9700 requires PKCE.",
        hint="Remove SOCIAL_AUTH_LINE_USE_PKCE and SOCIAL_AUTH_LINE_PKCE_CODE_CHALLENGE_METHOD.",
        id=Codes.PKCE_WEAKENED,
    )


def _webhook_secret() -> CheckMessage | None:
    if not hasattr(settings, "LINE_AUTH_WEBHOOK_SECRET"):
        return None  # the webhook is simply not used
    secret = line_settings.webhook_secret
    if not secret:
        return Warning(
            "LINE_AUTH_WEBHOOK_SECRET is set but empty, so the webhook answers 404.",
            hint="Set it to the channel secret of the Messaging API channel of your "
            "Official Account, or remove the setting.",
            id=Codes.WEBHOOK_SECRET_EMPTY,
        )
    if secret == line_settings.channel_secret:
        return Error(
            "LINE_AUTH_WEBHOOK_SECRET is the LINE Login channel's secret.",
            hint="LINE signs webhooks with the secret of the Messaging API channel "
            "(Basic settings of that channel), so every delivery would be refused.",
            id=Codes.WEBHOOK_SECRET_IS_LOGIN_SECRET,
        )
    if not re.fullmatch(r"[0-9a-f]{32}", secret):
        return Warning(
            "LINE_AUTH_WEBHOOK_SECRET does not look like a channel secret (32 hex digits).",
            hint="Copy the Channel secret from the Messaging API channel's Basic settings; "
            "a wrong secret makes the webhook refuse every delivery with 403.",
            id=Codes.WEBHOOK_SECRET_MALFORMED,
        )
    return None


# Access tokens live 30 days: a window this wide refreshes every account on every run.
ACCESS_TOKEN_LIFETIME = 30 * 24 * 3600


def _token_settings() -> list[CheckMessage | None]:
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


def _cache() -> CheckMessage | None:
    alias = line_settings.cache_alias
    try:
        backend = caches[alias]
    except InvalidCacheBackendError:
        return Error(
            f"LINE_AUTH_CACHE names the cache {alias!r}, which is not in CACHES.",
            hint="Name a cache from CACHES; native logins keep their nonces there.",
            id=Codes.UNUSABLE_CACHE,
        )
    if type(backend).__name__ == "DummyCache":
        return Error(
            f"The cache {alias!r} is a DummyCache, which cannot keep nonces or LINE's keys.",
            hint="Use a shared cache (Redis, Memcached or the database cache) for LINE_AUTH_CACHE.",
            id=Codes.UNUSABLE_CACHE,
        )
    return None


def _refresh_window() -> CheckMessage | None:
    if line_settings.refresh_window < ACCESS_TOKEN_LIFETIME:
        return None
    return Warning(
        "LINE_AUTH_REFRESH_WINDOW is at least 30 days, LINE's access token lifetime.",
        hint="Every run of refresh_line_tokens would refresh every account; a few days is enough.",
        id=Codes.WIDE_REFRESH_WINDOW,
    )


def _scheduled_tasks() -> list[CheckMessage | None]:
    """A beat schedule naming a line_auth task that does not exist sends work no worker runs."""
    from line_auth.tasks import TASK_NAMES

    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
    if not isinstance(schedule, dict):
        return []
    names = {str(entry.get("task")) for entry in schedule.values() if isinstance(entry, dict)}
    return [
        Warning(
            f"CELERY_BEAT_SCHEDULE sends the task {name!r}, which line_auth does not define.",
            hint="line_auth's tasks are " + ", ".join(sorted(TASK_NAMES)) + " (docs/tokens.md).",
            id=Codes.UNKNOWN_SCHEDULED_TASK,
        )
        for name in sorted(names)
        if name.startswith("line_auth.") and name not in TASK_NAMES
    ]


def _retentions() -> list[CheckMessage | None]:
    """A retention of zero or less deletes webhook records as soon as they are written."""
    retentions = {
        "LINE_AUTH_WEBHOOK_EVENT_RETENTION": lambda: line_settings.webhook_event_retention,
        "LINE_AUTH_PENDING_FRIENDSHIP_RETENTION": lambda: line_settings.pending_friendship_retention,
    }
    problems: list[CheckMessage | None] = []
    for name, read in retentions.items():
        try:
            positive = read() > timedelta(0)
        except (TypeError, ValueError, OverflowError):
            positive = False
        if not positive:
            problems.append(
                Warning(
                    f"{name} is not a positive duration.",
                    hint="Give a timedelta or a number of seconds greater than zero "
                    "(docs/settings.md); webhook deliveries fail or forget at once otherwise.",
                    id=Codes.RETENTION_NOT_POSITIVE,
                )
            )
    return problems


# The database check opens only the newest accounts' tokens, so ``migrate`` stays fast at
# millions of accounts; ``line_auth_rotate_keys --check`` counts them all.
STORED_TOKENS_SAMPLE = 1000


@register(Tags.database)
def check_stored_tokens(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """Tokens no configured key opens: read as absent, so those users must log in again.

    A database check, so it runs with ``migrate`` and ``check --database``. All
    tokens unreadable at once means the keys changed (an Error, so a deploy that
    would lose every token stops at ``migrate``); a few mean a key went missing.
    """
    found: list[CheckMessage] = []
    for alias in databases or ():
        if not router.allow_migrate_model(alias, LineAccount):
            continue
        if LineAccount._meta.db_table not in connections[alias].introspection.table_names():
            continue  # not migrated yet
        result = audit(using=alias, newest=STORED_TOKENS_SAMPLE)
        if not result.unreadable:
            continue
        hint = (
            "Put the key that encrypted them back in LINE_AUTH_ENCRYPTION_KEYS (after the new one; "
            "without that setting the key comes from SECRET_KEY). If it is lost for good, run "
            "manage.py line_auth_rotate_keys --forget-unreadable: those users log in again."
        )
        if result.unreadable == result.with_tokens:
            found.append(
                Error(
                    f"No configured key opens the LINE tokens of any of the {result.with_tokens} "
                    f"newest accounts holding tokens in database {alias!r}: the encryption keys changed.",
                    hint=hint,
                    id=Codes.NO_TOKEN_READABLE,
                )
            )
        else:
            found.append(
                Warning(
                    f"{result.unreadable} of the {result.with_tokens} newest accounts holding tokens in "
                    f"database {alias!r} hold LINE tokens no configured key opens; they are treated "
                    "as absent (manage.py line_auth_rotate_keys --check counts them all).",
                    hint=hint,
                    id=Codes.SOME_TOKENS_UNREADABLE,
                )
            )
    return found
@register(Tags.security)
def check_rate_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The rate-limit settings parse; at run time a bad one lifts the limits (and logs)."""
    messages: list[CheckMessage] = []
    for setting in ("rate_limits", "rate_limit_window", "trusted_proxies"):
        try:
            getattr(line_settings, setting)
        except ImproperlyConfigured as error:
            messages.append(Error(str(error), hint="See docs/settings.md, Rate limits.", id=Codes.INVALID_RATE_LIMIT))
    return messages


@register(Tags.security, deploy=True)
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """What only matters once several processes serve the site behind a proxy."""
    return _run(_process_local_cache(), _proxy_not_trusted())


def _process_local_cache() -> CheckMessage | None:
    alias = line_settings.cache_alias
    if alias not in settings.CACHES or not isinstance(caches[alias], LocMemCache):
        return None
    return Warning(
        f"The cache {alias!r} is local to each process.",
        hint="Each process would keep its own spent nonces (a nonce could be used once per process), "
        "its own rate-limit counters (limits multiplied by the number of processes) and its own copy of "
        "LINE's keys. Use a shared cache (Redis, Memcached or the database cache) for LINE_AUTH_CACHE.",
        id=Codes.PROCESS_LOCAL_CACHE,
    )


def _proxy_not_trusted() -> CheckMessage | None:
    behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) or getattr(
        settings, "USE_X_FORWARDED_HOST", False
    )
    try:
        if not behind_proxy or line_settings.trusted_proxies:
            return None
    except ImproperlyConfigured:
        return None  # reported by check_rate_limits (E011)
    return Warning(
        "The site is behind a reverse proxy, but rate limits count every request under REMOTE_ADDR.",
        hint="If REMOTE_ADDR is the proxy's address, every visitor shares one per-address limit. Set "
        "LINE_AUTH_TRUSTED_PROXIES to the number of proxies that append to X-Forwarded-For (often 1); "
        "silence this check if your server already puts the client's address in REMOTE_ADDR.",
        id=Codes.PROXY_NOT_TRUSTED,
    )
