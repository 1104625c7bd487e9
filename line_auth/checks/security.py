"""Checks on what decides who a LINE login logs in as, and how safely it travels:
the pipeline, email association, the user model, cookies, URLs and PKCE.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from line_auth.checks.messages import Codes
from line_auth.conf import line_settings
from line_auth.internal import steps
from line_auth.internal.user_model import required_email_field, unfillable_fields


def pipeline() -> CheckMessage | None:
    pipeline = steps.configured()
    if pipeline is None or steps.SAVE_LINE_ACCOUNT in pipeline:
        return None
    return Warning(
        "Your SOCIAL_AUTH_PIPELINE does not save LINE accounts.",
        hint=f'Add "{steps.SAVE_LINE_ACCOUNT}" after "social_core.pipeline.social_auth.associate_user".',
        id=Codes.PIPELINE_STEP_MISSING,
    )


def associate_by_email() -> CheckMessage | None:
    """Linking by email matters for LINE only if LINE's (unverified) email reaches ``details``."""
    pipeline = steps.effective()
    associations = steps.email_associations(pipeline)
    if not associations:
        return None
    if line_settings.trust_email:
        return Error(
            "LINE_AUTH_TRUST_EMAIL is on and the pipeline links logins to users by email: anyone "
            "could log in as any user by showing that user's email address at LINE.",
            hint="LINE does not say whether an address was verified. Turn LINE_AUTH_TRUST_EMAIL off, "
            f"or give LINE a pipeline without {', '.join(associations)} (SOCIAL_AUTH_LINE_PIPELINE). "
            "Until then LINE logins skip that step.",
            id=Codes.EMAIL_TAKEOVER,
        )
    if not steps.own_step_before(pipeline, associations[0]):
        return None  # no step puts LINE's email into details, so nothing can match it
    return Warning(
        "The pipeline links logins to users by email after a step of your own; if that step puts "
        "LINE's email into details, anyone could take over an account.",
        hint="LINE does not say whether an address was verified: give LINE a pipeline without "
        f"{', '.join(associations)} (SOCIAL_AUTH_LINE_PIPELINE).",
        id=Codes.ASSOCIATE_BY_EMAIL,
    )


def user_model() -> list[CheckMessage | None]:
    """What the user model needs at creation that a LINE login cannot give."""
    pipeline = steps.effective()
    creation = next((step for step in pipeline if step in steps.USER_CREATION), None)
    if creation is None:
        return []  # the site creates users its own way
    label = settings.AUTH_USER_MODEL
    messages: list[CheckMessage | None] = []
    email_supplied = line_settings.trust_email and "email" in line_settings.scope
    if required_email_field() and not email_supplied and not steps.own_step_before(pipeline, creation):
        messages.append(
            Error(
                f"The user model {label} needs an email address, which LINE logins do not supply.",
                hint='Ask LINE for it and trust it: SOCIAL_AUTH_LINE_SCOPE = ["profile", "openid", '
                '"email"] (the email scope needs LINE\'s approval in the LINE Developers Console) and '
                "LINE_AUTH_TRUST_EMAIL = True; or make the field optional (blank=True). "
                "See docs/user-models.md.",
                id=Codes.USER_MODEL_NEEDS_EMAIL,
            )
        )
    unfilled = unfillable_fields(steps.user_fields())
    if unfilled:
        messages.append(
            Warning(
                f"The user model {label} has fields LINE logins cannot fill: {', '.join(unfilled)}.",
                hint="Each needs a value when a user is created, or the first LINE login fails. Give "
                "it a default or null=True, or add a pipeline step before create_user that returns "
                "it and list it in SOCIAL_AUTH_USER_FIELDS. See docs/user-models.md.",
                id=Codes.USER_MODEL_FIELD_UNFILLED,
            )
        )
    return messages


def form_post() -> CheckMessage | None:
    if line_settings.authorization_options.get("response_mode") != "form_post":
        return None
    if line_settings.session_cookie_crosses_sites:
        return None
    return Warning(
        "response_mode=form_post needs the session cookie on LINE's cross-site POST.",
        hint='Set SESSION_COOKIE_SAMESITE = "None" with SESSION_COOKIE_SECURE = True, '
        'or keep the default response_mode "query".',
        id=Codes.FORM_POST_SAMESITE,
    )


def request_form_post() -> CheckMessage | None:
    # Only a list the site wrote itself: the default allows every option, and a
    # warning on every new site would teach people to ignore this one.
    if not hasattr(settings, "LINE_AUTH_REQUEST_OPTIONS"):
        return None
    if "response_mode" not in line_settings.request_options or line_settings.session_cookie_crosses_sites:
        return None
    return Warning(
        "LINE_AUTH_REQUEST_OPTIONS lets a visitor choose response_mode, but a login asking for "
        "form_post is refused: the session cookie would not come back on LINE's cross-site POST.",
        hint='Remove "response_mode" from LINE_AUTH_REQUEST_OPTIONS, or set '
        'SESSION_COOKIE_SAMESITE = "None" with SESSION_COOKIE_SECURE = True.',
        id=Codes.REQUEST_FORM_POST_REFUSED,
    )


def samesite_none_insecure() -> CheckMessage | None:
    if not line_settings.session_cookie_samesite_none or line_settings.session_cookie_crosses_sites:
        return None
    return Error(
        'SESSION_COOKIE_SAMESITE is "None" but SESSION_COOKIE_SECURE is off.',
        hint="Browsers drop a SameSite=None cookie that is not Secure, so no login could find its "
        "state. Set SESSION_COOKIE_SECURE = True (HTTPS), or go back to \"Lax\" and response_mode query.",
        id=Codes.SAMESITE_NONE_INSECURE,
    )


def base_urls() -> CheckMessage | None:
    urls = (line_settings.access_base_url, line_settings.api_base_url)
    if settings.DEBUG or all(url.startswith("https://") for url in urls):
        return None
    return Warning(
        "LINE base URLs do not use HTTPS while DEBUG is off.",
        hint="LINE_AUTH_ACCESS_BASE_URL and LINE_AUTH_API_BASE_URL should be https:// in production.",
        id=Codes.INSECURE_BASE_URL,
    )


def pkce() -> CheckMessage | None:
    enabled = getattr(settings, "SOCIAL_AUTH_LINE_USE_PKCE", True)
    method = getattr(settings, "SOCIAL_AUTH_LINE_PKCE_CODE_CHALLENGE_METHOD", "S256")
    if enabled and method == "S256":
        return None
    return Warning(
        "PKCE is off or not S256; LINE supports only S256 and RFC 9700 requires PKCE.",
        hint="Remove SOCIAL_AUTH_LINE_USE_PKCE and SOCIAL_AUTH_LINE_PKCE_CODE_CHALLENGE_METHOD.",
        id=Codes.PKCE_WEAKENED,
    )
