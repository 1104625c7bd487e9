"""The ID of every line_auth system check, in one place.

IDs are public: sites silence checks by ID (``SILENCED_SYSTEM_CHECKS``) and the
documentation lists them, so an ID never changes meaning.
"""

from __future__ import annotations

from django.core.checks import CheckMessage


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


def collect(*found: CheckMessage | None) -> list[CheckMessage]:
    """The messages found, without the ``None`` of checks that passed."""
    return [message for message in found if message is not None]
