"""What line_auth notes when the pipeline has logged a user in, inside the login's transaction.

The backend calls :func:`completed` with whatever social-core's pipeline
returned: the session learns the ID token's ``auth_time`` and the audit trail
gets the login. A web login by a visitor already logged in is not logged in
again by social-core, so the session learns ``auth_time`` here; the user carries
it too, for :func:`line_auth.internal.sessions.log_in` to keep it through a
session flush.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from line_auth import audit
from line_auth.internal import auth_time


def completed(backend: Any, user: Any, pipeline_kwargs: Mapping[str, Any]) -> Any:
    """Note the login of ``user`` (or nothing for a partial pipeline's response); returns ``user``."""
    if getattr(user, "pk", None) is not None:
        response = pipeline_kwargs.get("response") or {}
        # Like social-core's user.is_new: an attribute for the code that opens the session.
        user.line_auth_time = response.get("auth_time")
        request = getattr(backend.strategy, "request", None)
        # A native login opens a session only if the site wants one (sessions.log_in).
        if request is not None and not pipeline_kwargs.get(audit.NATIVE_TOKEN_KWARG):
            auth_time.remember(request, user.line_auth_time)
        audit.login_succeeded(backend, user, pipeline_kwargs)
    return user
