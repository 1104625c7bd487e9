"""What a login tells us about the friendship with the channel's Official Account.

A login costs one call to LINE (the token exchange). Asking LINE's friendship
API is a second call on the request path, so a login asks only when the site
wants the status: the login showed the add-friend option (``bot_prompt``, from
the settings or the login's own options) or ``LINE_AUTH_FETCH_FRIENDSHIP`` is
on. :func:`check_at_login` is the one place that decides.

LINE adds ``friendship_status_changed`` to the callback only when ``bot_prompt``
was sent and the option was shown: ``true`` when the user added or unblocked
the account during this login, ``false`` when nothing changed; without it the
option was not shown (already a friend, or no consent screen). It arrives
through the browser, so anyone can forge it: it is a reason to ask LINE, never
the answer. A status the webhook delivered before the first login is applied
first.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from line_auth import channels, tasks
from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import LineAPIError
from line_auth.friendship.status import apply_status, take_pending
from line_auth.models import Friendship, FriendshipChange, FriendshipSource, LineAccount

logger = logging.getLogger("line_auth.friendship")


def wants_status(response: dict[str, Any]) -> bool:
    """Whether this login should learn the friendship status at all."""
    if not (response.get("bot_prompt") or line_settings.fetch_friendship):
        return False
    # The friendship API needs the profile scope and the login's access token.
    return "profile" in str(response.get("scope") or "").split() and bool(response.get("access_token"))


def changed_during_login(response: dict[str, Any]) -> bool:
    """LINE's ``friendship_status_changed=true``, which it sends only with ``bot_prompt``."""
    if not response.get("bot_prompt"):
        return False
    return str(response.get("friendship_status_changed") or "").lower() == "true"


def check_at_login(account: LineAccount, response: dict[str, Any], now: datetime) -> FriendshipChange | None:
    """Skip, or ask LINE now: the one place a login decides about the friendship API.

    Asked only when the status is wanted and is unknown or LINE says it changed
    during this login. Updates ``account`` in memory; returns the change to record.
    On a first login the account is not in the database yet: work done elsewhere
    must wait for ``transaction.on_commit``.
    """
    if not wants_status(response):
        return None
    if account.friendship != Friendship.UNKNOWN and not changed_during_login(response):
        return None
    if line_settings.task_engine is not None:
        # Off the request path: a worker asks LINE once this login is committed.
        transaction.on_commit(lambda: tasks.enqueue_friendship_check(account.pk))
        return None
    return fetch_now(account, str(response["access_token"]), now)


def fetch_now(account: LineAccount, access_token: str, now: datetime) -> FriendshipChange | None:
    """``GET /friendship/v1/status`` for this account; a LINE failure never fails the login."""
    try:
        is_friend = get_client().get_friendship(access_token)
    except LineAPIError as error:
        logger.warning(
            "Friendship status unavailable for LINE account %s: %s", account.line_user_id, error.code
        )
        return None
    current = Friendship.FRIEND if is_friend else Friendship.NOT_FRIEND
    return apply_status(account, current, FriendshipSource.LOGIN, now)


def friendship_at_login(
    account: LineAccount, response: dict[str, Any], *, now: datetime, created: bool
) -> list[FriendshipChange]:
    """Update the account's friendship in place and return the changes to record.

    Only a new account can have a pending webhook status (once an account
    exists, the webhook writes to it directly), and only while the webhook is on.
    """
    pending = take_pending(account) if created and channels.any_webhook() else None
    changes = [pending, check_at_login(account, response, now)]
    return [change for change in changes if change is not None]

