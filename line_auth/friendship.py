"""What a login tells us about the friendship with the channel's Official Account.

``friendship_status_changed`` arrives on the front channel, so anyone can
forge it: it is only a reason to ask LINE, never the answer itself.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import LineAPIError
from line_auth.models import Friendship, FriendshipSource, LineAccount

logger = logging.getLogger("line_auth.friendship")


def needs_friendship_check(account: LineAccount, response: dict[str, Any], *, created: bool) -> bool:
    """Ask LINE only when we know nothing yet or LINE said it changed during this login."""
    if not line_settings.fetch_friendship:
        return False
    if "profile" not in str(response.get("scope") or "").split():
        return False  # the friendship API needs the profile scope
    changed = str(response.get("friendship_status_changed") or "").lower() == "true"
    return created or changed or account.friendship == Friendship.UNKNOWN


def friendship_at_login(
    account: LineAccount, response: dict[str, Any], *, created: bool, now: datetime
) -> None:
    """Update the account's friendship in place; a LINE failure never fails the login."""
    if not needs_friendship_check(account, response, created=created):
        return
    try:
        is_friend = get_client().get_friendship(str(response.get("access_token") or ""))
    except LineAPIError as error:
        logger.warning(
            "Friendship status unavailable for LINE account %s: %s", account.line_user_id, error.code
        )
        return
    account.friendship = Friendship.FRIEND if is_friend else Friendship.NOT_FRIEND
    account.friendship_source = FriendshipSource.LOGIN
    account.friendship_checked_at = now
