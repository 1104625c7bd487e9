"""The LINE accounts search: every way in uses an index, so it stays fast at millions.

Django's default search (``icontains`` on each field, joined with OR) reads the
whole table. Here a term matches:

- the start of a LINE user ID ("U" and up to 32 hex digits), on the
  ``line_user_id`` index (its pattern operator class serves ``LIKE 'U1a%'``);
- the start of a display name, ignoring case, on PostgreSQL's
  ``UPPER(display_name)`` index (migration 0009);
- a user's username exactly, on the user table's unique index; their accounts
  are looked up first, so the account query stays an OR of index scans;
- a channel ID or a provider exactly, on the indexes that lead with them.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from line_auth.models import LineAccount

LINE_USER_ID_START = re.compile(r"U[0-9a-f]{1,32}")
# One user rarely has more LINE accounts (one per channel); the cap keeps a
# custom user model with a non-unique USERNAME_FIELD from listing them all.
MAX_ACCOUNTS = 100


def search_accounts(queryset: QuerySet[Any], term: str) -> QuerySet[Any]:
    """The accounts of ``queryset`` that ``term`` finds; all of them for a blank term."""
    term = term.strip()
    if not term:
        return queryset
    found = Q(display_name__istartswith=term) | Q(provider=term)
    if term.isdigit():
        found |= Q(channel_id=term)
    if LINE_USER_ID_START.fullmatch(term):
        found |= Q(line_user_id__startswith=term)
    username = f"user__{get_user_model().USERNAME_FIELD}"
    by_username = list(
        LineAccount.objects.filter(**{username: term}).values_list("pk", flat=True)[:MAX_ACCOUNTS]
    )
    if by_username:
        found |= Q(pk__in=by_username)
    return queryset.filter(found)
