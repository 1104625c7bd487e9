"""The database check: tokens no configured key opens, found at ``migrate``."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections, router

from line_auth.checks.messages import TAG, Codes
from line_auth.internal.key_audit import audit
from line_auth.models import LineAccount

# The database check opens only the newest accounts' tokens, so ``migrate`` stays fast at
# millions of accounts; ``line_auth_rotate_keys --check`` counts them all.
STORED_TOKENS_SAMPLE = 1000

LOST_KEY_HINT = (
    "Put the key that encrypted them back in LINE_AUTH_ENCRYPTION_KEYS (after the new one; "
    "without that setting the key comes from SECRET_KEY). If it is lost for good, run "
    "manage.py line_auth_rotate_keys --forget-unreadable: those users log in again."
)


def no_token_readable(with_tokens: int, alias: str) -> CheckMessage:
    return Error(
        f"No configured key opens the LINE tokens of any of the {with_tokens} newest accounts "
        f"holding tokens in database {alias!r}: the encryption keys changed.",
        hint=LOST_KEY_HINT,
        id=Codes.NO_TOKEN_READABLE,
    )


def some_tokens_unreadable(unreadable: int, with_tokens: int, alias: str) -> CheckMessage:
    return Warning(
        f"{unreadable} of the {with_tokens} newest accounts holding tokens in database {alias!r} "
        "hold LINE tokens no configured key opens; they are treated as absent "
        "(manage.py line_auth_rotate_keys --check counts them all).",
        hint=LOST_KEY_HINT,
        id=Codes.SOME_TOKENS_UNREADABLE,
    )


@register(TAG, Tags.database)
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
        if result.unreadable == result.with_tokens:
            found.append(no_token_readable(result.with_tokens, alias))
        else:
            found.append(some_tokens_unreadable(result.unreadable, result.with_tokens, alias))
    return found
