import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from line_auth.checks import Codes, check_configuration, check_rate_limits


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
        ({"SOCIAL_AUTH_PIPELINE": ["myproject.pipeline.add_line_email",
                                   "social_core.pipeline.social_auth.associate_by_email",
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
    ("overrides", "code"),
    [
        ({"CELERY_BEAT_SCHEDULE": {"sync": {"task": "line_auth.sync_friendship", "schedule": 60}}},
         Codes.UNKNOWN_SCHEDULED_TASK),
        ({"LINE_AUTH_PENDING_FRIENDSHIP_RETENTION": 0}, Codes.RETENTION_NOT_POSITIVE),
        ({"LINE_AUTH_WEBHOOK_EVENT_RETENTION": "a week"}, Codes.RETENTION_NOT_POSITIVE),
    ],
)
def test_task_schedule_and_retention_mistakes_are_reported(overrides, code):
    assert code in ids(**overrides)


def test_a_schedule_of_the_documented_tasks_passes():
    schedule = {name: {"task": name, "schedule": 3600} for name in (
        "line_auth.refresh_due_line_tokens", "line_auth.sync_friendships", "line_auth.prune_webhook_records",
        "myproject.send_newsletter",
    )}
    assert ids(CELERY_BEAT_SCHEDULE=schedule) == set()


@pytest.mark.parametrize(
    "overrides",
    [
        {"LINE_AUTH_RATE_LIMITS": {"logon": {"per_address": 5}}},
        {"LINE_AUTH_RATE_LIMITS": {"login": {"per_address": 0}}},
        {"LINE_AUTH_RATE_LIMITS": {"login": {"per_address": "10"}}},
        {"LINE_AUTH_RATE_LIMITS": {"login": {"per_minute": 10}}},
        {"LINE_AUTH_RATE_LIMITS": {"login": 10}},
        {"LINE_AUTH_RATE_LIMITS": [("login", 10)]},
        {"LINE_AUTH_RATE_LIMIT_WINDOW": 0},
        {"LINE_AUTH_RATE_LIMIT_WINDOW": 1.5},
        {"LINE_AUTH_TRUSTED_PROXIES": -1},
        {"LINE_AUTH_TRUSTED_PROXIES": True},
    ],
)
def test_a_bad_rate_limit_setting_is_an_error(overrides):
    with override_settings(**overrides):
        assert [message.id for message in check_rate_limits()] == [Codes.INVALID_RATE_LIMIT]


def test_rate_limits_can_be_tuned_or_lifted():
    with override_settings(LINE_AUTH_RATE_LIMITS={"login": None, "native_nonce": {"overall": None},
                                                  "native_login": {"per_address": 5, "overall": 50}},
                           LINE_AUTH_RATE_LIMIT_WINDOW=10, LINE_AUTH_TRUSTED_PROXIES=2):
        assert check_rate_limits() == []


REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/1"}}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, {Codes.PROCESS_LOCAL_CACHE}),  # the suite's LocMemCache
        ({"CACHES": REDIS}, set()),
        ({"CACHES": REDIS, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}, {Codes.PROXY_NOT_TRUSTED}),
        ({"CACHES": REDIS, "USE_X_FORWARDED_HOST": True}, {Codes.PROXY_NOT_TRUSTED}),
        ({"CACHES": REDIS, "USE_X_FORWARDED_HOST": True, "LINE_AUTH_TRUSTED_PROXIES": 1}, set()),
    ],
)
def test_deployment_checks_run_only_with_deploy(overrides, expected):
    with override_settings(**overrides):
        deploy = {message.id for message in run_checks(include_deployment_checks=True)}
        plain = {message.id for message in run_checks()}
    ours = {Codes.PROCESS_LOCAL_CACHE, Codes.PROXY_NOT_TRUSTED}
    assert deploy & ours == expected
    assert not plain & ours


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
