"""line_auth's system checks: one ID per problem, each reported with its exact message.

Every case runs all of line_auth's checks (``check --tag line_auth``) and expects
exactly the messages of its one problem, so a case also proves that no other
check of ours fires on it.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import ERROR, WARNING, Tags, registry, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import modify_settings, override_settings

from line_auth.checks import (
    TAG,
    Codes,
    audit,
    background_work,
    caching,
    configuration,
    database,
    deauthorization,
    liff,
    pipeline,
    security,
    tokens,
)
from line_auth.checks import channels as channel_checks
from line_auth.checks import webhook_and_tasks as webhook

REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/1"}}
LINE_BACKEND = "line_auth.backends.LineBackend"
ASSOCIATE = "social_core.pipeline.social_auth.associate_by_email"
SAVE = "line_auth.pipeline.save_line_account"
LOGIN_SECRET = "0123456789abcdef0123456789abcdef"  # tests/settings.py's SOCIAL_AUTH_LINE_SECRET
LOGIN_KEY = "1234567890"  # and its SOCIAL_AUTH_LINE_KEY
DAY = 24 * 3600
JAPAN = {"CHANNEL_ID": "2000000001", "CHANNEL_SECRET": "a" * 32}

CASES = [
    ({"SOCIAL_AUTH_LINE_KEY": ""}, [configuration.missing_credentials()]),
    ({"SOCIAL_AUTH_LINE_SECRET": None}, [configuration.missing_credentials()]),
    ({"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]}, [configuration.backend_missing()]),
    ({"AUTHENTICATION_BACKENDS": [LINE_BACKEND, "social_core.backends.line.LineOAuth2"]},
     [configuration.stock_backend_conflict()]),
    ({"SOCIAL_AUTH_LINE_SCOPE": ["email"]}, [configuration.invalid_scope(
        "scope='email' is not accepted by LINE; use a space-separated set of profile, openid and email, "
        "with profile or openid.")]),
    ({"LINE_AUTH_AUTHORIZATION_OPTIONS": {"bot_prompt": "always"}}, [configuration.invalid_option(
        "bot_prompt='always' is not accepted by LINE; use normal or aggressive.")]),
    ({"LINE_AUTH_REQUEST_OPTIONS": ["bot_prompt", "max_age", "prompt", "redirect_uri"]},
     [configuration.unknown_request_option(["redirect_uri"])]),
    ({"LINE_AUTH_ENCRYPTION_KEYS": [Fernet.generate_key().decode(), "not-a-key"]}, [tokens.invalid_encryption_key(1)]),
    ({"LINE_AUTH_ENCRYPTION_KEYS": []}, [tokens.derived_encryption_key()]),
    ({"LINE_AUTH_NATIVE_VERIFY": "both"}, [tokens.invalid_native_verify("both")]),
    ({"LINE_AUTH_ALLOWED_AUDIENCES": "2000000000"},
     [tokens.invalid_allowed_audiences(), liff.allowed_audiences_deprecated(["2000000000"])]),
    ({"LINE_AUTH_ALLOWED_AUDIENCES": ["my-liff-app"]},
     [tokens.invalid_allowed_audiences(), liff.allowed_audiences_deprecated(["my-liff-app"])]),
    ({"LINE_AUTH_ALLOWED_AUDIENCES": ["2000000000", "1234567890"]},
     [liff.allowed_audiences_deprecated(["2000000000"])]),
    ({"LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE": 0}, [liff.invalid_liff_id_token_max_age(0)]),
    ({"LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE": 3601}, [liff.invalid_liff_id_token_max_age(3601)]),
    ({"LINE_AUTH_LIFF_ID_TOKEN_MAX_AGE": "300"}, [liff.invalid_liff_id_token_max_age("300")]),
    ({"LINE_AUTH_LIFF_ID_TOKENS": True}, [liff.liff_mode_without_liff_channel()]),
    ({"LINE_AUTH_CHANNELS": {"mini": {"CHANNEL_ID": "2000000000", "CHANNEL_SECRET": "a" * 32, "KIND": "mini_app",
                                      "MESSAGING_CHANNEL_SECRET": "a" * 32}}},
     [liff.messaging_secret_is_login_secret("mini")]),
    ({"SOCIAL_AUTH_LINE_KEY": "", "LINE_AUTH_CHANNELS": {
        "tw": {"CHANNEL_ID": "2000000000", "CHANNEL_SECRET": "c" * 32, "PROVIDER": "tw",
               "MESSAGING_CHANNEL_SECRET": "b" * 32},
        "th": {"CHANNEL_ID": "2000000001", "CHANNEL_SECRET": "d" * 32, "PROVIDER": "th",
               "MESSAGING_CHANNEL_SECRET": "b" * 32}}},
     [liff.messaging_channel_across_providers(["tw", "th"])]),
    ({"LINE_AUTH_NONCE_TTL": 0}, [tokens.duration_too_short("LINE_AUTH_NONCE_TTL", 0)]),
    ({"LINE_AUTH_JWKS_CACHE_TTL": 0}, [tokens.duration_too_short("LINE_AUTH_JWKS_CACHE_TTL", 0)]),
    ({"LINE_AUTH_JWKS_REFETCH_INTERVAL": -1}, [tokens.duration_too_short("LINE_AUTH_JWKS_REFETCH_INTERVAL", -1)]),
    ({"LINE_AUTH_REFRESH_WINDOW": -1}, [tokens.duration_too_short("LINE_AUTH_REFRESH_WINDOW", -1)]),
    ({"LINE_AUTH_REFRESH_WINDOW": 30 * DAY}, [tokens.wide_refresh_window()]),
    ({"LINE_AUTH_CACHE": "missing"}, [caching.unknown_cache("missing")]),
    ({"CACHES": {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}},
     [caching.dummy_cache("default")]),
    ({"LINE_AUTH_RATE_LIMITS": {"logon": {"per_address": 5}}},
     [caching.invalid_rate_limit_setting("rate_limits", "LINE_AUTH_RATE_LIMITS names unknown endpoints: logon.")]),
    ({"LINE_AUTH_RATE_LIMIT_WINDOW": 0}, [caching.invalid_rate_limit_setting(
        "rate_limit_window", "LINE_AUTH_RATE_LIMIT_WINDOW must be a whole number of at least 1, not 0.")]),
    ({"LINE_AUTH_TRUSTED_PROXIES": -1}, [caching.invalid_rate_limit_setting(
        "trusted_proxies", "LINE_AUTH_TRUSTED_PROXIES must be a whole number of at least 0, not -1.")]),
    ({"LINE_AUTH_LINE_REQUESTS_PER_SECOND": 0}, [background_work.invalid_setting(
        "LINE_AUTH_LINE_REQUESTS_PER_SECOND must be a positive number or None, not 0.",
        Codes.INVALID_REQUESTS_PER_SECOND)]),
    ({"LINE_AUTH_TASK_ENGINE": "rq"}, [background_work.invalid_setting(
        'LINE_AUTH_TASK_ENGINE must be "django", "celery" or None, not \'rq\'.', Codes.INVALID_TASK_ENGINE)]),
    ({"LINE_AUTH_BATCH_CHUNK_SIZE": 0}, [background_work.invalid_setting(
        "LINE_AUTH_BATCH_CHUNK_SIZE must be a whole number of at least 1, not 0.", Codes.INVALID_BATCH_SIZE)]),
    ({"LINE_AUTH_TASK_ENGINE": "django"}, [background_work.tasks_run_in_request()]),
    ({"SOCIAL_AUTH_PIPELINE": ["social_core.pipeline.social_auth.social_details"]},
     [pipeline.pipeline_step_missing()]),
    ({"SOCIAL_AUTH_PIPELINE": ["myproject.pipeline.add_line_email", ASSOCIATE, SAVE]},
     [pipeline.associate_by_email([ASSOCIATE])]),
    ({"LINE_AUTH_TRUST_EMAIL": True, "SOCIAL_AUTH_PIPELINE": [ASSOCIATE, SAVE]},
     [pipeline.email_takeover([ASSOCIATE])]),
    ({"LINE_AUTH_AUTHORIZATION_OPTIONS": {"response_mode": "form_post"}}, [security.form_post_samesite()]),
    ({"LINE_AUTH_REQUEST_OPTIONS": ["max_age", "prompt", "response_mode"]}, [security.request_form_post_refused()]),
    ({"SESSION_COOKIE_SAMESITE": "None"}, [security.samesite_none_insecure()]),
    ({"SESSION_COOKIE_SAMESITE": "none", "SESSION_COOKIE_SECURE": False}, [security.samesite_none_insecure()]),
    ({"LINE_AUTH_API_BASE_URL": "http://127.0.0.1:8001"}, [security.insecure_base_url()]),
    ({"SOCIAL_AUTH_LINE_USE_PKCE": False}, [security.pkce_off()]),
    ({"SOCIAL_AUTH_LINE_PKCE_CODE_CHALLENGE_METHOD": "plain"}, [security.pkce_not_s256("plain")]),
    ({"LINE_AUTH_WEBHOOK_SECRET": ""}, [webhook.webhook_secret_empty()]),
    ({"LINE_AUTH_WEBHOOK_SECRET": LOGIN_SECRET}, [webhook.webhook_secret_is_login_secret()]),
    ({"LINE_AUTH_WEBHOOK_SECRET": "not-a-secret"}, [webhook.webhook_secret_malformed()]),
    ({"CELERY_BEAT_SCHEDULE": {"sync": {"task": "line_auth.sync_friendship", "schedule": 60}}},
     [webhook.unknown_scheduled_task("line_auth.sync_friendship")]),
    ({"LINE_AUTH_WEBHOOK_EVENT_RETENTION": "a week"},
     [webhook.retention_not_positive("LINE_AUTH_WEBHOOK_EVENT_RETENTION")]),
    ({"LINE_AUTH_PENDING_FRIENDSHIP_RETENTION": 0},
     [webhook.retention_not_positive("LINE_AUTH_PENDING_FRIENDSHIP_RETENTION")]),
    ({"LINE_AUTH_CHANNELS": {"JP": JAPAN}}, [channel_checks.channels_unreadable(
        "LINE_AUTH_CHANNELS: 'JP' is not a channel name: use 1-32 lowercase letters, digits, '-' or '_'.")]),
    ({"LINE_AUTH_CHANNELS": {"jp": JAPAN}, "LINE_AUTH_DEFAULT_CHANNEL": "kr"},
     [channel_checks.channels_unreadable("LINE_AUTH_DEFAULT_CHANNEL names no channel: 'kr'.")]),
    ({"LINE_AUTH_CHANNEL_LOADER": "nowhere.load"}, [channel_checks.channels_unreadable(
        'No module named \'nowhere\'')]),
    ({"LINE_AUTH_CHANNELS": {"jp": {**JAPAN, "CHANNEL_SECRET": ""}}}, [channel_checks.channel_without_secret("jp")]),
    ({"LINE_AUTH_CHANNELS": {"jp": {**JAPAN, "KIND": "liff", "CHANNEL_SECRET": ""}}},
     [channel_checks.channel_without_secret("jp")]),
    ({"LINE_AUTH_CHANNELS": {"jp": {**JAPAN, "AUTHORIZATION_OPTIONS": {"bot_prompt": "always"}}}},
     [channel_checks.channel_invalid_option(
         "jp", "bot_prompt='always' is not accepted by LINE; use normal or aggressive.")]),
    ({"LINE_AUTH_CHANNELS": {"jp": {**JAPAN, "SCOPE": "email"}}}, [channel_checks.channel_invalid_option(
        "jp", "scope='email' is not accepted by LINE; use a space-separated set of profile, openid and email, "
        "with profile or openid.")]),
    ({"LINE_AUTH_CHANNEL_SELECTOR": "nowhere.select"}, [channel_checks.selector_unimportable("nowhere.select")]),
    ({"LINE_AUTH_CHANNELS": {"jp": {**JAPAN, "PROVIDER": "retail"}}}, [channel_checks.providers_unnamed(["default"])]),
    ({"LINE_AUTH_AUDIT_CLIENT_ADDRESS": "hashed"}, [audit.invalid_audit_setting(
        Codes.INVALID_AUDIT_CLIENT_ADDRESS,
        "LINE_AUTH_AUDIT_CLIENT_ADDRESS must be one of off, truncated, full, not 'hashed'.")]),
    ({"LINE_AUTH_AUDIT_RETENTION": 0}, [audit.invalid_audit_setting(
        Codes.INVALID_AUDIT_RETENTION, "LINE_AUTH_AUDIT_RETENTION must be longer than zero.")]),
    ({"LINE_AUTH_AUDIT_RETENTION": "a month"}, [audit.invalid_audit_setting(
        Codes.INVALID_AUDIT_RETENTION, "could not convert string to float: 'a month'")]),
    # tests/urls.py guards views with recent_line_login, one of them with prompt_login.
    ({"LINE_AUTH_REQUEST_OPTIONS": ["prompt"]},
     [audit.recent_login_option_refused("max_age", Codes.RECENT_LOGIN_MAX_AGE_REFUSED)]),
    ({"LINE_AUTH_REQUEST_OPTIONS": ["max_age"]},
     [audit.recent_login_option_refused("prompt", Codes.RECENT_LOGIN_PROMPT_REFUSED)]),
    ({"LINE_AUTH_DEAUTHORIZE_RETRY_DELAY": 0}, [deauthorization.retry_delay_not_positive()]),
    ({"LINE_AUTH_DEAUTHORIZE_RETRY_DELAY": "soon"}, [deauthorization.retry_delay_not_positive()]),
    ({"LINE_AUTH_DEAUTHORIZE_MAX_ATTEMPTS": 0}, [deauthorization.invalid_max_attempts()]),
    ({"LINE_AUTH_DEAUTHORIZE_MAX_ATTEMPTS": "3"}, [deauthorization.invalid_max_attempts()]),
    ({"LINE_AUTH_DEAUTHORIZE_ON_DELETE": False}, [deauthorization.deauthorize_on_delete_off()]),
    ({"CELERY_BEAT_SCHEDULE": {"refresh": {"task": "line_auth.refresh_due_line_tokens"}}},
     [deauthorization.retry_not_scheduled()]),
    ({"CELERY_BEAT_SCHEDULE": {"refresh": {"task": "line_auth.refresh_due_line_tokens"},
                               "retry": {"task": "line_auth.retry_deauthorizations"}}}, []),
]

# Only under ``check --deploy``; the suite's LocMemCache is itself a deployment problem.
DEPLOY_CASES = [
    ({}, [caching.process_local_cache("default")]),
    ({"CACHES": REDIS, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}, [caching.proxy_not_trusted()]),
    ({"CACHES": REDIS, "USE_X_FORWARDED_HOST": True}, [caching.proxy_not_trusted()]),
]

# The user model the suite runs with must pass (tests/test_user_models.py runs the real models).
USER_MODEL_CASES = [
    ({"required_email_field": True}, [pipeline.user_model_needs_email("auth.User")]),
    ({"unfillable_fields": ["birthday"]}, [pipeline.user_model_field_unfilled("auth.User", ["birthday"])]),
]

# Accounts written before the key was lost, after it; and what the database check says.
DATABASE_CASES = [
    ((1, 0), [database.no_token_readable(1, "default")]),
    ((1, 1), [database.some_tokens_unreadable(1, 2, "default")]),
]

# Accounts of a channel the site no longer configures; found by the database check.
ORPHAN_CASES = [("2999999999", [channel_checks.accounts_of_unknown_channels(1, ["2999999999"], "default")])]

ALL_CASES = [*CASES, *DEPLOY_CASES, *USER_MODEL_CASES, *DATABASE_CASES, *ORPHAN_CASES]


def ours(**overrides):
    with override_settings(**overrides):
        return run_checks(tags=[TAG])


def test_the_test_settings_pass_every_check():
    assert ours() == []


@pytest.mark.parametrize(("overrides", "expected"), CASES)
def test_each_problem_is_reported_with_its_own_message_only(overrides, expected):
    # Django keeps registered checks in a set: the order of two messages is not theirs to keep.
    assert sorted(ours(**overrides), key=lambda message: message.id) == sorted(expected, key=lambda m: m.id)


@pytest.mark.django_db  # Django's own checks ask the app registry again
def test_social_django_missing_is_reported():
    with modify_settings(INSTALLED_APPS={"remove": "social_django"}):
        assert run_checks(tags=[TAG]) == [configuration.social_django_missing()]


@pytest.mark.parametrize(("overrides", "expected"), DEPLOY_CASES)
def test_deployment_problems_are_reported_only_under_deploy(overrides, expected):
    with override_settings(**overrides):
        assert run_checks(tags=[TAG], include_deployment_checks=True) == expected
        assert run_checks(tags=[TAG]) == []


@pytest.mark.parametrize(("helpers", "expected"), USER_MODEL_CASES)
def test_what_the_user_model_needs_is_reported(monkeypatch, helpers, expected):
    monkeypatch.setattr(pipeline, "required_email_field", lambda: helpers.get("required_email_field", False))
    monkeypatch.setattr(pipeline, "unfillable_fields", lambda fields: helpers.get("unfillable_fields", []))
    with override_settings(AUTH_USER_MODEL="auth.User"):
        assert run_checks(tags=[TAG]) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("accounts", "expected"), DATABASE_CASES)
def test_unreadable_tokens_are_reported_by_the_database_check(line_account_factory, settings, accounts, expected):
    before, after = accounts
    for _ in range(before):
        line_account_factory(refresh_token="r")
    settings.LINE_AUTH_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key is lost
    for _ in range(after):
        line_account_factory(refresh_token="r")
    assert run_checks(tags=[TAG], databases=["default"]) == expected
    assert run_checks(tags=[TAG]) == []  # only with migrate or check --database


@pytest.mark.django_db
@pytest.mark.parametrize(("channel_id", "expected"), ORPHAN_CASES)
def test_accounts_of_a_channel_no_longer_configured_are_reported(line_account_factory, channel_id, expected):
    line_account_factory()
    line_account_factory(channel_id=channel_id)
    assert run_checks(tags=[TAG], databases=["default"]) == expected
    assert run_checks(tags=[TAG]) == []


def test_every_id_is_unique_and_proven_by_a_case():
    produced = {message.id for _, expected in ALL_CASES for message in expected}
    produced.add(Codes.SOCIAL_DJANGO_MISSING)  # test_social_django_missing_is_reported
    produced.add(Codes.TASK_ENGINE_NOT_INSTALLED)  # test_background_work.py, Celery made absent
    assert len({code.value for code in Codes}) == len(Codes)
    assert produced == set(Codes)


# Named by ID, not by text: the text is translated, so it would depend on the language active at collection.
@pytest.mark.parametrize(
    "message", [message for _, expected in ALL_CASES for message in expected], ids=lambda message: message.id
)
def test_an_e_id_is_an_error_and_a_w_id_a_warning(message):
    assert message.level == {"E": ERROR, "W": WARNING}[message.id.split(".")[1][0]]


def test_each_of_a_former_group_of_problems_is_silenced_alone():
    # line_auth.E008 once covered every native-login setting; silencing it now leaves the others.
    with override_settings(LINE_AUTH_NATIVE_VERIFY="both", LINE_AUTH_NONCE_TTL=0,
                           SILENCED_SYSTEM_CHECKS=[Codes.INVALID_NATIVE_VERIFY]):
        with pytest.raises(SystemCheckError) as raised:
            call_command("check", tag=[TAG])
    assert "line_auth.E018" in str(raised.value) and "line_auth.E008" not in str(raised.value)


def test_checks_run_by_their_concern_tag():
    with override_settings(LINE_AUTH_CACHE="missing", LINE_AUTH_NONCE_TTL=0):
        assert run_checks(tags=[Tags.caches]) == [caching.unknown_cache("missing")]
        assert run_checks(tags=[Tags.security]) == [tokens.duration_too_short("LINE_AUTH_NONCE_TTL", 0)]


def test_every_check_of_ours_has_the_line_auth_tag_and_a_docstring():
    checks = registry.registry.get_checks(include_deployment_checks=True)
    ours_ = [check for check in checks if check.__module__.startswith("line_auth.")]
    assert ours_ and all(TAG in check.tags and check.__doc__ for check in ours_)


@pytest.mark.django_db  # Django's own checks touch the database
def test_manage_py_check_fails_on_missing_credentials():
    with override_settings(SOCIAL_AUTH_LINE_KEY=""), pytest.raises(SystemCheckError, match="E001"):
        call_command("check")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"LINE_AUTH_RATE_LIMITS": {"login": {"per_address": 0}}}, Codes.INVALID_RATE_LIMITS),
        ({"LINE_AUTH_RATE_LIMITS": {"login": {"per_address": "10"}}}, Codes.INVALID_RATE_LIMITS),
        ({"LINE_AUTH_RATE_LIMITS": {"login": {"per_minute": 10}}}, Codes.INVALID_RATE_LIMITS),
        ({"LINE_AUTH_RATE_LIMITS": {"login": 10}}, Codes.INVALID_RATE_LIMITS),
        ({"LINE_AUTH_RATE_LIMITS": [("login", 10)]}, Codes.INVALID_RATE_LIMITS),
        ({"LINE_AUTH_RATE_LIMIT_WINDOW": 1.5}, Codes.INVALID_RATE_LIMIT_WINDOW),
        ({"LINE_AUTH_TRUSTED_PROXIES": True}, Codes.INVALID_TRUSTED_PROXIES),
    ],
)
def test_each_bad_rate_limit_setting_has_its_own_id(overrides, code):
    assert [message.id for message in ours(**overrides)] == [code]


@pytest.mark.parametrize(
    "overrides",
    [
        {"LINE_AUTH_RATE_LIMITS": {"login": None, "native_nonce": {"overall": None},
                                   "native_login": {"per_address": 5, "overall": 50}},
         "LINE_AUTH_RATE_LIMIT_WINDOW": 10, "LINE_AUTH_TRUSTED_PROXIES": 2},
        {"CELERY_BEAT_SCHEDULE": {name: {"task": name, "schedule": 3600} for name in (
            "line_auth.refresh_due_line_tokens", "line_auth.sync_friendships", "line_auth.prune_webhook_records",
            "line_auth.prune_audit", "line_auth.retry_deauthorizations", "myproject.send_newsletter")}},
        {"LINE_AUTH_WEBHOOK_EVENT_RETENTION": timedelta(days=1), "LINE_AUTH_PENDING_FRIENDSHIP_RETENTION": 60},
        {"LINE_AUTH_AUTHORIZATION_OPTIONS": {"response_mode": "form_post"}, "SESSION_COOKIE_SAMESITE": "None",
         "SESSION_COOKIE_SECURE": True},
        {"LINE_AUTH_REQUEST_OPTIONS": ["bot_prompt", "max_age", "prompt", "response_mode"],
         "SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": True},
        {"LINE_AUTH_REQUEST_OPTIONS": ["bot_prompt", "max_age", "prompt"]},
        {"LINE_AUTH_AUDIT_CLIENT_ADDRESS": "off", "LINE_AUTH_AUDIT_RETENTION": 86400},
        {"SESSION_COOKIE_SAMESITE": "Strict"},
        {"SESSION_COOKIE_SAMESITE": None},
        {"CACHES": REDIS, "USE_X_FORWARDED_HOST": True, "LINE_AUTH_TRUSTED_PROXIES": 1},
        # Channels declared without the social-auth settings; a MINI App needs no secret here.
        {"SOCIAL_AUTH_LINE_KEY": "", "SOCIAL_AUTH_LINE_SECRET": "", "LINE_AUTH_CHANNELS": {
            "jp": JAPAN, "mini": {"CHANNEL_ID": "2000000009", "KIND": "mini_app"}}},
        {"LINE_AUTH_CHANNELS": {"jp": {**JAPAN, "PROVIDER": "retail"}, "default": {
            "CHANNEL_ID": LOGIN_KEY, "CHANNEL_SECRET": LOGIN_SECRET, "PROVIDER": "retail"}}},
    ],
)
def test_sound_settings_pass(overrides):
    with override_settings(**overrides):
        assert run_checks(tags=[TAG], include_deployment_checks=True) == [
            message for message in [caching.process_local_cache("default")] if "CACHES" not in overrides
        ]


def test_the_readme_lists_every_id_once():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = re.findall(r"^\| `(line_auth\.[EW]\d{3})` \|", readme, flags=re.M)
    assert sorted(listed) == sorted(Codes)
