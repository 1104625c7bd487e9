"""Sessions a LINE login opens: short-lived until the visitor logs in, then logged in as LINE's.

A login start must keep its state in the visitor's session. Kept for the site's
``SESSION_COOKIE_AGE`` (two weeks by default), every abandoned start by a new
visitor, or by a script, would leave a row behind for that long. A session the
login start creates therefore expires with the login's state, so ``clearsessions``
removes abandoned ones; once the visitor logs in, the site's own expiry returns.
The web callback and the native login log the user in through :func:`log_in`,
which names the backend by :data:`BACKEND_PATH`, the path system checks look for.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

from line_auth.backends import LineBackend
from line_auth.internal import auth_time

# Marks a session whose expiry line_auth shortened, so only that one is restored.
SHORT_LIVED = "line_auth_short_lived_session"
# How AUTHENTICATION_BACKENDS and the session name line_auth's backend.
BACKEND_PATH = f"{LineBackend.__module__}.{LineBackend.__qualname__}"


def log_in(request: HttpRequest, user: Any) -> None:
    """Log the user in as LINE's; Django's ``login`` cycles the session key (no fixation)."""
    user.backend = BACKEND_PATH
    login(request, user)
    # Noted by the pipeline (internal.logins); again here, as logging in may flush the session.
    auth_time.remember(request, getattr(user, "line_auth_time", None))


def expire_with_login_state(request: HttpRequest, lifetime: int) -> None:
    """Give a session this request creates (none existed before it) the state's lifetime."""
    if request.session.session_key is None:
        request.session.set_expiry(lifetime)
        request.session[SHORT_LIVED] = True


def restore_expiry(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: a logged-in visitor's session follows the site's settings."""
    session = getattr(request, "session", None)
    if session is not None and session.pop(SHORT_LIVED, False):
        session.set_expiry(None)
