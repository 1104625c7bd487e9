"""Which pipeline steps a LINE login runs, read by the backend and the system checks alike.

A site configures social-auth's pipeline once for every provider; this module
says what that means for LINE: which setting applies, which social-core steps
line_auth replaces, and which steps could hand an existing account to whoever
shows its email address at LINE.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from social_core.pipeline.user import USER_FIELDS

from line_auth.conf import line_settings

STOCK_CREATE_USER = "social_core.pipeline.user.create_user"
CREATE_USER = "line_auth.pipeline.create_user"
SAVE_LINE_ACCOUNT = "line_auth.pipeline.save_line_account"
EMAIL_ASSOCIATION = "associate_by_email"
USER_CREATION = (STOCK_CREATE_USER, CREATE_USER)

# line_auth's version of a social-core step, in any pipeline a LINE login runs:
# the same behaviour, but a user that cannot be created ends on the friendly page.
SAFER_STEPS = {STOCK_CREATE_USER: CREATE_USER}

# The LINE backend's own pipeline, run when no pipeline setting applies to LINE (social-core
# would fall back on its DEFAULT_AUTH_PIPELINE, which saves no LineAccount). It is social-core's
# default with line_auth's ``social_user``, ``create_user`` and ``associate_user`` in place of
# social-core's, and ``save_line_account`` added.
LINE_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "line_auth.pipeline.social_user",
    "social_core.pipeline.user.get_username",
    CREATE_USER,
    "line_auth.pipeline.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
    SAVE_LINE_ACCOUNT,
)
# Modules whose steps never put anything of their own into ``details``.
_LIBRARY_PREFIXES = ("social_core.", "social_django.", "line_auth.")


def _social_setting(name: str) -> list[str] | None:
    """A social-auth setting as social-core's strategy reads it for LINE: LINE's own name
    first, then the shared one, then the bare one."""
    for setting in (f"SOCIAL_AUTH_LINE_{name}", f"SOCIAL_AUTH_{name}", name):
        if hasattr(settings, setting):
            return list(getattr(settings, setting))
    return None


def configured() -> list[str] | None:
    """The pipeline setting social-core reads for LINE, or ``None`` when there is none."""
    return _social_setting("PIPELINE")


def user_fields() -> list[str]:
    """The values social-core's ``create_user`` hands to the user manager (its ``USER_FIELDS``)."""
    found = _social_setting("USER_FIELDS")
    return list(USER_FIELDS) if found is None else found


def for_line(configured: Sequence[str] | None) -> list[str]:
    """The steps a LINE login runs for the pipeline setting ``configured`` (``None``: no setting).

    Without a setting it is the backend's own ``LINE_AUTH_PIPELINE``; a configured pipeline
    runs as written, with social-core's ``create_user`` replaced (``SAFER_STEPS``).
    """
    pipeline = LINE_AUTH_PIPELINE if configured is None else configured
    return [SAFER_STEPS.get(step, step) for step in pipeline]


def effective() -> list[str]:
    """The steps a LINE login runs with the current settings."""
    return for_line(configured())


def email_associations(pipeline: Sequence[str]) -> list[str]:
    """The steps that would link a login to the user whose email address it carries."""
    return [step for step in pipeline if step.rsplit(".", 1)[-1] == EMAIL_ASSOCIATION]


def has_own_steps(pipeline: Sequence[str]) -> bool:
    """Whether any step of ``pipeline`` is the site's own, not line_auth's or social-auth's."""
    return any(not name.startswith(_LIBRARY_PREFIXES) for name in pipeline)


def own_step_before(pipeline: Sequence[str], step: str) -> bool:
    """Whether a step of the site's own runs before ``step`` (it may add to ``details``)."""
    return has_own_steps(pipeline[: pipeline.index(step)] if step in pipeline else [])


def refuse_email_association(pipeline: list[str], logger: logging.Logger) -> list[str]:
    """``pipeline`` without its email association steps while LINE's email is trusted.

    LINE does not say whether an address was verified: with the email trusted,
    ``associate_by_email`` would log anyone showing an admin's address in as
    that admin. Check ``line_auth.E014`` reports it; this keeps a site whose
    checks never ran (a WSGI server does not run them) safe meanwhile.
    """
    refused = email_associations(pipeline) if line_settings.trust_email else []
    if not refused:
        return pipeline
    logger.error("LINE login skips %s: LINE's email is trusted but not verified (check line_auth.E014)",
                 ", ".join(refused))
    return [step for step in pipeline if step not in refused]
