"""What a login tells us about the friendship with the channel's Official Account.

``friendship_status_changed`` arrives on the front channel, so anyone can
forge it: it is only a reason to ask LINE, never the answer itself. A status
the webhook delivered before the user logged in is applied first, and then
LINE is asked only if that status is still unknown or LINE says it changed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from line_auth import tasks
from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import LineAPIError
from line_auth.friendship.status import apply_status, take_pending
from line_auth.models import Friendship, FriendshipChange, FriendshipSource, LineAccount

logger = logging.getLogger("line_auth.friendship")


def needs_friendship_check(account: LineAccount, response: dict[str, Any]) -> bool:
    """Ask LINE only when we know nothing yet or LINE said it changed during this login."""
    if not line_settings.fetch_friendship:
        return False
    if "profile" not in str(response.get("scope") or "").split():
        return False  # the friendship API needs the profile scope
    changed = str(response.get("friendship_status_changed") or "").lower() == "true"
    return changed or account.friendship == Friendship.UNKNOWN


def friendship_at_login(
    account: LineAccount, response: dict[str, Any], *, now: datetime, created: bool
) -> list[FriendshipChange]:
    """Update the account's friendship in place and return the changes to record.

    Only a new account can have a pending webhook status: once an account exists,
    the webhook writes to it directly. A LINE failure never fails the login.
    """
    changes = [take_pending(account) if created else None]
    if needs_friendship_check(account, response):
        if line_settings.task_engine is not None:
            # Off the request path: a worker asks LINE once this login is committed.
            transaction.on_commit(lambda: tasks.enqueue_friendship_check(account.pk))
        else:
            changes.append(_ask_now(account, response, now))
    return [change for change in changes if change is not None]


def _ask_now(account: LineAccount, response: dict[str, Any], now: datetime) -> FriendshipChange | None:
    """Ask LINE during the login itself; a LINE failure never fails the login."""
    try:
        is_friend = get_client().get_friendship(str(response.get("access_token") or ""))
    except LineAPIError as error:
        logger.warning(
            "Friendship status unavailable for LINE account %s: %s", account.line_user_id, error.code
        )
        return None
    current = Friendship.FRIEND if is_friend else Friendship.NOT_FRIEND
    return apply_status(account, current, FriendshipSource.LOGIN, now)
