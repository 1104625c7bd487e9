"""When LINE last authenticated a session's user: the ID token's ``auth_time``, kept in the session.

LINE sends ``auth_time`` only when the authorization request carried ``max_age``;
a login without it removes any older value, so a session never claims a
freshness its last login did not prove. :mod:`line_auth.decorators` reads it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

SESSION_KEY = "line_auth_auth_time"


def remember(request: HttpRequest, auth_time: Any) -> None:
    """Keep this login's ``auth_time`` (UNIX seconds) in the session, or forget the last one."""
    if _seconds(auth_time) is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = auth_time


def authenticated_at(request: HttpRequest) -> int | None:
    """When LINE last authenticated this session's user (UNIX seconds), if LINE said."""
    return _seconds(request.session.get(SESSION_KEY))


def _seconds(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
