"""Checks on what decides who a LINE login logs in as: the pipeline, email
association and the user model a login creates.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings
from line_auth.internal import steps
from line_auth.internal.user_model import required_email_field, unfillable_fields


def pipeline_step_missing() -> CheckMessage:
    return Warning(
        "Your SOCIAL_AUTH_PIPELINE does not save LINE accounts.",
        hint=f'Add "{steps.SAVE_LINE_ACCOUNT}" after "social_core.pipeline.social_auth.associate_user".',
        id=Codes.PIPELINE_STEP_MISSING,
    )


def email_takeover(associations: Iterable[str]) -> CheckMessage:
    return Error(
        "LINE_AUTH_TRUST_EMAIL is on and the pipeline links logins to users by email: anyone "
        "could log in as any user by showing that user's email address at LINE.",
        hint="LINE does not say whether an address was verified. Turn LINE_AUTH_TRUST_EMAIL off, "
        f"or give LINE a pipeline without {', '.join(associations)} (SOCIAL_AUTH_LINE_PIPELINE). "
        "Until then LINE logins skip that step.",
        id=Codes.EMAIL_TAKEOVER,
    )


def associate_by_email(associations: Iterable[str]) -> CheckMessage:
    return Warning(
        "The pipeline links logins to users by email after a step of your own; if that step puts "
        "LINE's email into details, anyone could take over an account.",
        hint="LINE does not say whether an address was verified: give LINE a pipeline without "
        f"{', '.join(associations)} (SOCIAL_AUTH_LINE_PIPELINE).",
        id=Codes.ASSOCIATE_BY_EMAIL,
    )


def user_model_needs_email(label: str) -> CheckMessage:
    return Error(
        f"The user model {label} needs an email address, which LINE logins do not supply.",
        hint='Ask LINE for it and trust it: SOCIAL_AUTH_LINE_SCOPE = ["profile", "openid", '
        '"email"] (the email scope needs LINE\'s approval in the LINE Developers Console) and '
        "LINE_AUTH_TRUST_EMAIL = True; or make the field optional (blank=True). "
        "See docs/user-models.md.",
        id=Codes.USER_MODEL_NEEDS_EMAIL,
    )


def user_model_field_unfilled(label: str, unfilled: Iterable[str]) -> CheckMessage:
    return Warning(
        f"The user model {label} has fields LINE logins cannot fill: {', '.join(unfilled)}.",
        hint="Each needs a value when a user is created, or the first LINE login fails. Give "
        "it a default or null=True, or add a pipeline step before create_user that returns "
        "it and list it in SOCIAL_AUTH_USER_FIELDS. See docs/user-models.md.",
        id=Codes.USER_MODEL_FIELD_UNFILLED,
    )


@register(TAG, Tags.security)
def check_pipeline(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The pipeline saves LINE accounts and never links a login to a user by LINE's email."""
    return collect(_save_step(), _email_association())


def _save_step() -> CheckMessage | None:
    pipeline = steps.configured()
    if pipeline is None or steps.SAVE_LINE_ACCOUNT in pipeline:
        return None
    return pipeline_step_missing()


def _email_association() -> CheckMessage | None:
    """Linking by email matters for LINE only if LINE's (unverified) email reaches ``details``."""
    pipeline = steps.effective()
    associations = steps.email_associations(pipeline)
    if not associations:
        return None
    if line_settings.trust_email:
        return email_takeover(associations)
    if not steps.own_step_before(pipeline, associations[0]):
        return None  # no step puts LINE's email into details, so nothing can match it
    return associate_by_email(associations)


@register(TAG, Tags.models)
def check_user_model(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """What the user model needs at creation that a LINE login cannot give."""
    pipeline = steps.effective()
    creation = next((step for step in pipeline if step in steps.USER_CREATION), None)
    if creation is None:
        return []  # the site creates users its own way
    label = settings.AUTH_USER_MODEL
    email_supplied = line_settings.trust_email and "email" in line_settings.scope
    needs_email = required_email_field() and not email_supplied and not steps.own_step_before(pipeline, creation)
    unfilled = unfillable_fields(steps.user_fields())
    return collect(
        user_model_needs_email(label) if needs_email else None,
        user_model_field_unfilled(label, unfilled) if unfilled else None,
    )
