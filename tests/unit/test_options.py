import pytest
from django.test import override_settings

from line_auth.exceptions import InvalidOption
from line_auth.internal.option_values import OPTION_NAMES
from line_auth.internal.options import VALIDATORS, resolve_options, validate_options

pytestmark = [pytest.mark.AR_07]

ALL = ("scope", "prompt", "max_age", "ui_locales", "bot_prompt", "initial_amr_display",
       "switch_amr", "disable_auto_login", "disable_ios_auto_login", "response_mode")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("scope", "openid profile email", "profile openid email"),
        ("scope", "openid", "openid"),
        ("prompt", "consent", "consent"),
        ("prompt", "login", "login"),
        ("max_age", "0", "0"),
        ("max_age", 3600, "3600"),
        ("ui_locales", "ja zh-Hant-TW th", "ja zh-Hant-TW th"),
        ("bot_prompt", "aggressive", "aggressive"),
        ("initial_amr_display", "lineqr", "lineqr"),
        ("switch_amr", False, "false"),
        ("disable_auto_login", "TRUE", "true"),
        ("disable_ios_auto_login", "false", "false"),
        ("response_mode", "form_post", "form_post"),
    ],
)
def test_values_line_accepts_are_normalised(name, value, expected):
    assert validate_options({name: value}) == {name: expected}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("scope", "email"),  # email needs openid
        ("scope", "email profile"),
        ("scope", "profile admin"),
        ("scope", ""),
        ("prompt", "select_account"),
        ("max_age", "-1"),
        ("max_age", "1e3"),
        ("max_age", True),
        ("max_age", "²"),  # found by hypothesis: isdigit() but not int()
        ("ui_locales", "ja;DROP"),
        ("bot_prompt", "always"),
        ("initial_amr_display", "pwd"),
        ("switch_amr", "yes"),
        ("response_mode", "fragment"),
        ("redirect_uri", "https://evil.example/"),
    ],
)
def test_values_line_refuses_raise_a_clear_error(name, value):
    with pytest.raises(InvalidOption) as caught:
        validate_options({name: value})
    assert name in str(caught.value)


@override_settings(LINE_AUTH_AUTHORIZATION_OPTIONS={"bot_prompt": "normal"},
                   SOCIAL_AUTH_LINE_SCOPE=["profile", "openid", "email"])
def test_request_values_override_settings_only_when_allowed():
    options = resolve_options({"bot_prompt": "aggressive", "client_id": "x"}, allowed=ALL)
    assert options == {"scope": "profile openid email", "bot_prompt": "aggressive"}
    assert resolve_options({"bot_prompt": "aggressive"}, allowed=()) == {
        "scope": "profile openid email", "bot_prompt": "normal"}


def test_every_option_name_has_a_validator_and_no_validator_lacks_a_name():
    """The settings default (conf) and the validators share one list of names."""
    assert tuple(VALIDATORS) == OPTION_NAMES
