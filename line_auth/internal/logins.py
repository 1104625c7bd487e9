"""What line_auth notes when the pipeline has logged a user in, inside the login's transaction.

The backend calls :func:`completed` with whatever social-core's pipeline
returned: the session learns the ID token's ``auth_time`` from the user
(:func:`line_auth.internal.sessions.log_in`), and the audit trail gets the login.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from line_auth import audit


def completed(backend: Any, user: Any, pipeline_kwargs: Mapping[str, Any]) -> Any:
    """Note the login of ``user`` (or nothing for a partial pipeline's response); returns ``user``."""
    if getattr(user, "pk", None) is not None:
        response = pipeline_kwargs.get("response") or {}
        auth_time = response.get("auth_time")
        # Like social-core's user.is_new: read once, when the session is opened.
        user.line_auth_time = auth_time if isinstance(auth_time, int) and not isinstance(auth_time, bool) else None
        audit.login_succeeded(backend, user, pipeline_kwargs)
    return user
