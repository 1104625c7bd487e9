"""Which pipeline steps a LINE login runs, read by the backend and the system checks alike.

A site configures social-auth's pipeline once for every provider; this module
says what that means for LINE: which setting applies, which social-core steps
line_auth replaces, and which steps could hand an existing account to whoever
shows its email address at LINE.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from social_core.pipeline import DEFAULT_AUTH_PIPELINE
from social_core.pipeline.user import USER_FIELDS

STOCK_SOCIAL_USER = "social_core.pipeline.social_auth.social_user"
STOCK_CREATE_USER = "social_core.pipeline.user.create_user"
CREATE_USER = "line_auth.pipeline.create_user"
SAVE_LINE_ACCOUNT = "line_auth.pipeline.save_line_account"
EMAIL_ASSOCIATION = "associate_by_email"
USER_CREATION = (STOCK_CREATE_USER, CREATE_USER)

# line_auth's version of a social-core step, in any pipeline a LINE login runs:
# the same behaviour, but a user that cannot be created ends on the friendly page.
SAFER_STEPS = {STOCK_CREATE_USER: CREATE_USER}

# social-core's default pipeline with line_auth's returning-user lookup in place of
# ``social_user`` and the LineAccount step added; used when a site has not
# configured SOCIAL_AUTH_PIPELINE itself.
LINE_AUTH_PIPELINE = (
    *({**SAFER_STEPS, STOCK_SOCIAL_USER: "line_auth.pipeline.social_user"}.get(step, step)
      for step in DEFAULT_AUTH_PIPELINE),
    SAVE_LINE_ACCOUNT,
)
# Modules whose steps never put anything of their own into ``details``.
_LIBRARY_PREFIXES = ("social_core.", "social_django.", "line_auth.")


def _social_setting(name: str) -> list[str] | None:
    """A social-auth setting as social-core reads it for LINE: LINE's own name first."""
    for setting in (f"SOCIAL_AUTH_LINE_{name}", f"SOCIAL_AUTH_{name}"):
        if hasattr(settings, setting):
            return list(getattr(settings, setting))
    return None


def configured() -> list[str] | None:
    """The pipeline setting social-core reads for LINE, or ``None`` for its default."""
    return _social_setting("PIPELINE")


def user_fields() -> list[str]:
    """The values social-core's ``create_user`` hands to the user manager (its ``USER_FIELDS``)."""
    found = _social_setting("USER_FIELDS")
    return list(USER_FIELDS) if found is None else found


def for_line(pipeline: Sequence[str]) -> list[str]:
    """The steps a LINE login runs for ``pipeline``."""
    if list(pipeline) == list(DEFAULT_AUTH_PIPELINE):
        return list(LINE_AUTH_PIPELINE)
    return [SAFER_STEPS.get(step, step) for step in pipeline]


def effective() -> list[str]:
    """The steps a LINE login runs with the current settings."""
    pipeline = configured()
    return for_line(DEFAULT_AUTH_PIPELINE if pipeline is None else pipeline)


def email_associations(pipeline: Sequence[str]) -> list[str]:
    """The steps that would link a login to the user whose email address it carries."""
    return [step for step in pipeline if step.rsplit(".", 1)[-1] == EMAIL_ASSOCIATION]


def own_step_before(pipeline: Sequence[str], step: str) -> bool:
    """Whether a step of the site's own runs before ``step`` (it may add to ``details``)."""
    earlier = pipeline[: pipeline.index(step)] if step in pipeline else []
    return any(not name.startswith(_LIBRARY_PREFIXES) for name in earlier)
