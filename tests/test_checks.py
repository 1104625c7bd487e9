import pytest
from django.core.management import call_command
from django.test import override_settings

from line_auth.checks import Codes, check_configuration


def ids(**overrides):
    with override_settings(**overrides):
        return {message.id for message in check_configuration()}


def test_the_test_settings_pass_every_check():
    assert ids() == set()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"SOCIAL_AUTH_LINE_KEY": ""}, Codes.MISSING_CREDENTIALS),
        ({"SOCIAL_AUTH_LINE_SECRET": None}, Codes.MISSING_CREDENTIALS),
        ({"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]}, Codes.BACKEND_MISSING),
        ({"AUTHENTICATION_BACKENDS": ["line_auth.backends.LineBackend",
                                     "social_core.backends.line.LineOAuth2"]}, Codes.STOCK_BACKEND_CONFLICT),
        ({"LINE_AUTH_AUTHORIZATION_OPTIONS": {"bot_prompt": "always"}}, Codes.INVALID_OPTION),
        ({"SOCIAL_AUTH_LINE_SCOPE": ["email"]}, Codes.INVALID_OPTION),
        ({"LINE_AUTH_REQUEST_OPTIONS": ["bot_prompt", "redirect_uri"]}, Codes.UNKNOWN_REQUEST_OPTION),
        ({"LINE_AUTH_ENCRYPTION_KEYS": ["not-a-key"]}, Codes.INVALID_ENCRYPTION_KEY),
        ({"LINE_AUTH_ENCRYPTION_KEYS": []}, Codes.DERIVED_ENCRYPTION_KEY),
        ({"SOCIAL_AUTH_PIPELINE": ["social_core.pipeline.social_auth.social_details"]},
         Codes.PIPELINE_STEP_MISSING),
        ({"SOCIAL_AUTH_PIPELINE": ["social_core.pipeline.social_auth.associate_by_email",
                                   "line_auth.pipeline.save_line_account"]}, Codes.ASSOCIATE_BY_EMAIL),
        ({"LINE_AUTH_AUTHORIZATION_OPTIONS": {"response_mode": "form_post"}}, Codes.FORM_POST_SAMESITE),
        ({"LINE_AUTH_AUTHORIZATION_OPTIONS": {"response_mode": "form_post"}, "SESSION_COOKIE_SAMESITE": "None",
          "SESSION_COOKIE_SECURE": False}, Codes.FORM_POST_SAMESITE),
        ({"LINE_AUTH_REQUEST_OPTIONS": ["bot_prompt", "response_mode"]}, Codes.REQUEST_FORM_POST_REFUSED),
        ({"SESSION_COOKIE_SAMESITE": "None"}, Codes.SAMESITE_NONE_INSECURE),
        ({"SESSION_COOKIE_SAMESITE": "none", "SESSION_COOKIE_SECURE": False}, Codes.SAMESITE_NONE_INSECURE),
        ({"LINE_AUTH_API_BASE_URL": "http://127.0.0.1:8001"}, Codes.INSECURE_BASE_URL),
        ({"SOCIAL_AUTH_LINE_USE_PKCE": False}, Codes.PKCE_WEAKENED),
    ],
)
def test_each_misconfiguration_is_reported_with_its_stable_id(overrides, code):
    assert code in ids(**overrides)


@pytest.mark.django_db  # Django 6 checks touch the database
def test_manage_py_check_fails_on_missing_credentials():
    from django.core.management.base import SystemCheckError

    with override_settings(SOCIAL_AUTH_LINE_KEY=""), pytest.raises(SystemCheckError, match="E001"):
        call_command("check")


@pytest.mark.parametrize(
    "overrides",
    [
        {"LINE_AUTH_AUTHORIZATION_OPTIONS": {"response_mode": "form_post"}, "SESSION_COOKIE_SAMESITE": "None",
         "SESSION_COOKIE_SECURE": True},
        {"LINE_AUTH_REQUEST_OPTIONS": ["bot_prompt", "response_mode"], "SESSION_COOKIE_SAMESITE": "None",
         "SESSION_COOKIE_SECURE": True},
        {"LINE_AUTH_REQUEST_OPTIONS": ["bot_prompt"]},
        {"SESSION_COOKIE_SAMESITE": "Strict"},
        {"SESSION_COOKIE_SAMESITE": None},
    ],
)
def test_form_post_checks_stay_quiet_where_the_cookie_can_follow_or_form_post_cannot_be_chosen(overrides):
    found = ids(**overrides)
    assert not found & {Codes.FORM_POST_SAMESITE, Codes.REQUEST_FORM_POST_REFUSED, Codes.SAMESITE_NONE_INSECURE}
