"""The ID of every line_auth system check, in one place.

IDs are public: sites silence checks by ID (``SILENCED_SYSTEM_CHECKS``) and the
documentation lists them, so an ID never changes meaning and names one problem.
Each ID has one factory, next to the check that reports it, so the check and its
test build the same :class:`~django.core.checks.CheckMessage` from the same text.
"""

from __future__ import annotations

from enum import StrEnum, unique

from django.core.checks import CheckMessage

# Every line_auth check carries this tag too: ``manage.py check --tag line_auth``.
TAG = "line_auth"


@unique
class Codes(StrEnum):
    MISSING_CREDENTIALS = "line_auth.E001"
    BACKEND_MISSING = "line_auth.E002"
    INVALID_OPTION = "line_auth.E003"
    SOCIAL_DJANGO_MISSING = "line_auth.E004"
    INVALID_ENCRYPTION_KEY = "line_auth.E005"
    UNKNOWN_REQUEST_OPTION = "line_auth.E006"
    STOCK_BACKEND_CONFLICT = "line_auth.E007"
    INVALID_NATIVE_VERIFY = "line_auth.E008"
    UNKNOWN_CACHE = "line_auth.E009"
    WEBHOOK_SECRET_IS_LOGIN_SECRET = "line_auth.E010"
    INVALID_RATE_LIMITS = "line_auth.E011"
    NO_TOKEN_READABLE = "line_auth.E012"
    USER_MODEL_NEEDS_EMAIL = "line_auth.E013"
    EMAIL_TAKEOVER = "line_auth.E014"
    SAMESITE_NONE_INSECURE = "line_auth.E015"
    INVALID_SCOPE = "line_auth.E016"
    INVALID_ALLOWED_AUDIENCES = "line_auth.E017"
    NONCE_TTL_TOO_SHORT = "line_auth.E018"
    JWKS_CACHE_TTL_TOO_SHORT = "line_auth.E019"
    NEGATIVE_JWKS_REFETCH_INTERVAL = "line_auth.E020"
    NEGATIVE_REFRESH_WINDOW = "line_auth.E021"
    DUMMY_CACHE = "line_auth.E022"
    INVALID_RATE_LIMIT_WINDOW = "line_auth.E023"
    INVALID_TRUSTED_PROXIES = "line_auth.E024"
    INVALID_REQUESTS_PER_SECOND = "line_auth.E045"
    INVALID_TASK_ENGINE = "line_auth.E046"
    TASK_ENGINE_NOT_INSTALLED = "line_auth.E047"
    INVALID_BATCH_SIZE = "line_auth.E048"
    CHANNELS_UNREADABLE = "line_auth.E025"
    CHANNEL_WITHOUT_SECRET = "line_auth.E026"
    CHANNEL_INVALID_OPTION = "line_auth.E027"
    CHANNEL_SELECTOR_UNIMPORTABLE = "line_auth.E028"
    DEAUTHORIZE_RETRY_DELAY_NOT_POSITIVE = "line_auth.E035"
    INVALID_DEAUTHORIZE_MAX_ATTEMPTS = "line_auth.E036"
    INVALID_LIFF_ID_TOKEN_MAX_AGE = "line_auth.E030"
    MESSAGING_SECRET_IS_LOGIN_SECRET = "line_auth.E031"
    DERIVED_ENCRYPTION_KEY = "line_auth.W001"
    PIPELINE_STEP_MISSING = "line_auth.W002"
    FORM_POST_SAMESITE = "line_auth.W003"
    ASSOCIATE_BY_EMAIL = "line_auth.W004"
    INSECURE_BASE_URL = "line_auth.W005"
    PKCE_OFF = "line_auth.W006"
    WIDE_REFRESH_WINDOW = "line_auth.W007"
    WEBHOOK_SECRET_EMPTY = "line_auth.W010"
    WEBHOOK_SECRET_MALFORMED = "line_auth.W011"
    PROCESS_LOCAL_CACHE = "line_auth.W012"
    PROXY_NOT_TRUSTED = "line_auth.W013"
    SOME_TOKENS_UNREADABLE = "line_auth.W014"
    USER_MODEL_FIELD_UNFILLED = "line_auth.W015"
    REQUEST_FORM_POST_REFUSED = "line_auth.W016"
    UNKNOWN_SCHEDULED_TASK = "line_auth.W017"
    WEBHOOK_EVENT_RETENTION_NOT_POSITIVE = "line_auth.W018"
    PKCE_NOT_S256 = "line_auth.W019"
    PENDING_FRIENDSHIP_RETENTION_NOT_POSITIVE = "line_auth.W020"
    TASKS_RUN_IN_REQUEST = "line_auth.W037"
    CHANNEL_PROVIDER_UNNAMED = "line_auth.W021"
    ACCOUNTS_OF_UNKNOWN_CHANNELS = "line_auth.W022"
    ALLOWED_AUDIENCES_DEPRECATED = "line_auth.W025"
    LIFF_MODE_WITHOUT_LIFF_CHANNEL = "line_auth.W026"
    MESSAGING_CHANNEL_ACROSS_PROVIDERS = "line_auth.W027"
    INVALID_AUDIT_CLIENT_ADDRESS = "line_auth.E040"
    INVALID_AUDIT_RETENTION = "line_auth.E041"
    RECENT_LOGIN_MAX_AGE_REFUSED = "line_auth.W033"
    RECENT_LOGIN_PROMPT_REFUSED = "line_auth.W034"
    DEAUTHORIZE_ON_DELETE_OFF = "line_auth.W029"
    DEAUTHORIZATION_RETRY_NOT_SCHEDULED = "line_auth.W030"


def collect(*found: CheckMessage | None) -> list[CheckMessage]:
    """The messages found, without the ``None`` of checks that passed."""
    return [message for message in found if message is not None]
