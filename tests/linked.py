"""LINE accounts whose tokens the emulator really issued, for token lifecycle tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from line_auth.models import REFRESH_TOKEN_LIFETIME, LineAccount
from line_auth.testing.state import ACCESS_TOKEN_TTL

# What LINE (the emulator) gives a new access token; a refresh at moment t stores t + this.
ACCESS_TOKEN_LIFETIME = timedelta(seconds=ACCESS_TOKEN_TTL)


def linked_account(
    emulator: Any, make_account: Any, *, expires_in: timedelta = timedelta(days=30), **fields: Any
) -> LineAccount:
    """A LineAccount holding live emulator tokens; ``expires_in`` is what the site believes."""
    user = emulator.add_user()
    issued = emulator.issue_tokens(user, settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
    now = timezone.now()
    fields.setdefault("access_token", issued["access_token"])
    fields.setdefault("refresh_token", issued["refresh_token"])
    fields.setdefault("access_token_expires_at", now + expires_in)
    fields.setdefault("refresh_token_expires_at", now + REFRESH_TOKEN_LIFETIME)
    return make_account(line_user_id=user.user_id, scopes="profile", **fields)
