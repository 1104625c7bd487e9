"""The user models sites use, through real logins against the emulator.

Where LINE can supply what the model needs, web and native logins work and the
admin pages show the account; where it cannot, a system check says so and the
login ends on the friendly page (a JSON error for apps), never a 500, with
nothing written. scripts/test.sh runs this module under each model of
tests/user_models (LINE_AUTH_TEST_USER_MODEL); without it, under ``auth.User``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.checks import Error, Warning
from django.urls import reverse
from social_django.models import UserSocialAuth

from line_auth.checks import Codes
from line_auth.checks.pipeline import check_user_model
from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY
EMAIL_SCOPE = {"scope": "profile openid email"}
USER_MODEL_CHECKS = {Codes.USER_MODEL_NEEDS_EMAIL, Codes.USER_MODEL_FIELD_UNFILLED}
EMAIL_HINT = (
    'Ask LINE for it and trust it: SOCIAL_AUTH_LINE_SCOPE = ["profile", "openid", "email"] (the email '
    "scope needs LINE's approval in the LINE Developers Console) and LINE_AUTH_TRUST_EMAIL = True; or "
    "make the field optional (blank=True). See docs/user-models.md."
)
FIELDS_HINT = (
    "Each needs a value when a user is created, or the first LINE login fails. Give it a default or "
    "null=True, or add a pipeline step before create_user that returns it and list it in "
    "SOCIAL_AUTH_USER_FIELDS. See docs/user-models.md."
)


@dataclass(frozen=True)
class Model:
    """What a test expects of one user model."""

    admin: dict[str, Any]  # fields of a superuser, as the model's manager wants them
    needs_email: bool = False
    unique_email: bool = False
    unfilled: tuple[str, ...] = ()
    recipe: dict[str, Any] = field(default_factory=dict)  # settings that let LINE fill the rest


def supply_birth_year(strategy: Any, details: dict[str, Any], user: Any = None, **kwargs: Any) -> Any:
    """A site's own step for a field LINE cannot fill, as docs/user-models.md shows it."""
    if user is None:
        return {"birth_year": 2000}
    return None


# The pipeline of the docs' recipe for a field LINE cannot fill.
RECIPE_PIPELINE = [
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "line_auth.pipeline.social_user",
    "social_core.pipeline.user.get_username",
    f"{__name__}.supply_birth_year",
    "line_auth.pipeline.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
    "line_auth.pipeline.save_line_account",
]


MODELS = {
    "auth.User": Model(admin={"username": "admin"}),
    "email_only.User": Model(admin={"email": "admin@example.com"}, needs_email=True, unique_email=True),
    "no_username.User": Model(admin={"handle": "admin"}),
    "extra_field.User": Model(
        admin={"username": "admin", "birth_year": 1980},
        unfilled=("birth_year",),
        recipe={
            "SOCIAL_AUTH_USER_FIELDS": ["username", "email", "birth_year"],
            "SOCIAL_AUTH_PIPELINE": RECIPE_PIPELINE,
        },
    ),
    # Multi-table inheritance: the parent link and the parent's own stamp need no value from LINE.
    "inherited.User": Model(admin={"username": "admin"}),
}
MODEL = MODELS[settings.AUTH_USER_MODEL]


@pytest.fixture
def line_supplies_everything(settings):
    """Settings under which LINE gives the model all it needs: the email, and the recipe."""
    settings.LINE_AUTH_TRUST_EMAIL = True
    settings.SOCIAL_AUTH_LINE_SCOPE = ["profile", "openid", "email"]
    for name, value in MODEL.recipe.items():
        setattr(settings, name, value)


def user_model_messages():
    return check_user_model()


def native_login(client, emulator, user, **token):
    cache.clear()
    nonce = client.post("/accounts/line/native/nonce/").json()["nonce"]
    id_token = emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256", **token)
    return client.post("/accounts/line/native/login/", json.dumps({"id_token": id_token, "nonce": nonce}),
                       content_type="application/json")


def assert_nothing_written():
    assert get_user_model().objects.count() == 0
    assert LineAccount.objects.count() == 0 and UserSocialAuth.objects.count() == 0


# The failure line of each kind of refusal: what the developer reads in the log.
FAILURE_LINES = {
    "email_required": "kind=email_required code=profile_email_missing stage=pipeline parameter=email",
    "email_in_use": "kind=email_in_use code=email_in_use stage=pipeline parameter=-",
    "configuration": "kind=configuration code=user_creation_failed stage=pipeline parameter=-",
}


def assert_friendly_page(response, kind, caplog):
    assert response.status_code in (400, 403), response.status_code
    assert f"line-auth-failure-{kind}".encode() in response.content
    logged = [record.getMessage() for record in caplog.records if record.name == "line_auth.login"]
    assert f"LINE login failed: {FAILURE_LINES[kind]}" in logged, logged


def logged_in_account(client, emulator_user):
    """The LINE account of ``emulator_user``, whose Django user must be the one logged in."""
    account = LineAccount.objects.select_related("user").get(line_user_id=emulator_user.user_id)
    assert str(client.session["_auth_user_id"]) == str(account.user.pk)
    return account


# -- system checks --


def test_the_checks_name_what_line_cannot_supply_to_this_model():
    label = settings.AUTH_USER_MODEL
    expected = []
    if MODEL.needs_email:
        expected.append(Error(f"The user model {label} needs an email address, which LINE logins do not "
                              "supply.", hint=EMAIL_HINT, id=Codes.USER_MODEL_NEEDS_EMAIL))
    if MODEL.unfilled:
        expected.append(Warning(f"The user model {label} has fields LINE logins cannot fill: "
                                f"{', '.join(MODEL.unfilled)}.", hint=FIELDS_HINT,
                                id=Codes.USER_MODEL_FIELD_UNFILLED))
    assert user_model_messages() == expected


def test_the_checks_are_quiet_once_line_supplies_everything(line_supplies_everything):
    assert user_model_messages() == []


@pytest.mark.skipif(not MODEL.needs_email, reason="only for a model that needs an email")
@pytest.mark.parametrize(
    ("overrides", "reported"),
    [
        ({"LINE_AUTH_TRUST_EMAIL": True}, True),  # trusted, but never asked for
        ({"SOCIAL_AUTH_LINE_SCOPE": ["profile", "openid", "email"]}, True),  # asked for, not trusted
        ({"LINE_AUTH_TRUST_EMAIL": True, "SOCIAL_AUTH_LINE_SCOPE": "openid email"}, False),
        # A step of the site's own before create_user may collect the address itself.
        ({"SOCIAL_AUTH_PIPELINE": ["myproject.pipeline.ask_for_email", "social_core.pipeline.user.create_user"]},
         False),
        # The site creates users its own way.
        ({"SOCIAL_AUTH_PIPELINE": ["myproject.pipeline.create_user"]}, False),
    ],
)
def test_the_email_check_knows_when_line_supplies_the_address(settings, overrides, reported):
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert [message.id for message in user_model_messages()] == ([Codes.USER_MODEL_NEEDS_EMAIL] if reported else [])


# -- where LINE supplies what the model needs, logins work --


def test_a_web_login_works_and_returns(login, client, line_emulator, line_supplies_everything):
    taro = line_emulator.add_user(name="Taro Line", email="taro@example.com")
    assert login(client, line_emulator, taro, begin=EMAIL_SCOPE).status_code == 302
    account = logged_in_account(client, taro)
    assert account.user.email == "taro@example.com"

    client.logout()
    assert login(client, line_emulator, taro, begin=EMAIL_SCOPE).status_code == 302
    assert get_user_model().objects.count() == 1 and LineAccount.objects.count() == 1


def test_a_native_login_works(client, line_emulator, line_supplies_everything):
    hanako = line_emulator.add_user(name="Hanako", email="hanako@example.com")
    response = native_login(client, line_emulator, hanako, scope="profile openid email")

    assert response.status_code == 200, response.content
    account = logged_in_account(client, hanako)
    answered = response.json()["user"]
    assert str(answered["id"]) == str(account.user.pk) and answered["username"] == account.user.get_username()


def test_logins_without_an_email_work_where_the_model_does_not_need_one(login, client, line_emulator, caplog):
    taro = line_emulator.add_user()
    web = login(client, line_emulator, taro)
    native = native_login(client, line_emulator, line_emulator.add_user())

    if MODEL.needs_email:
        assert_friendly_page(web, "email_required", caplog)
        assert b"allow LINE to share your email address" in web.content
        assert native.status_code == 403 and native.json()["error"] == "email_required"
        assert_nothing_written()
    elif MODEL.unfilled:
        assert_friendly_page(web, "configuration", caplog)
        assert native.status_code == 403 and native.json()["error"] == "login_not_allowed"
        assert_nothing_written()
    else:
        assert web.status_code == 302 and native.status_code == 200
        assert LineAccount.objects.count() == 2


def test_a_visitor_who_declines_to_share_the_email_is_told_why(login, client, line_emulator, caplog,
                                                              line_supplies_everything):
    taro = line_emulator.add_user(email="taro@example.com")
    response = login(client, line_emulator, taro, begin=EMAIL_SCOPE, grant_email=False)

    if MODEL.needs_email:
        assert_friendly_page(response, "email_required", caplog)
        assert_nothing_written()
    else:
        assert response.status_code == 302
        assert logged_in_account(client, taro).user.email == ""


@pytest.mark.skipif(not MODEL.unique_email, reason="only a unique email can be in use")
def test_an_email_already_in_use_ends_on_the_friendly_page(login, client, line_emulator, caplog,
                                                          line_supplies_everything):
    existing = get_user_model()._default_manager.create_user(password="pw", **MODEL.admin)
    taro = line_emulator.add_user(email=existing.email)
    web = login(client, line_emulator, taro, begin=EMAIL_SCOPE)
    native = native_login(client, line_emulator, taro, scope="profile openid email")

    assert_friendly_page(web, "email_in_use", caplog)
    assert native.status_code == 409 and native.json()["error"] == "email_in_use"
    assert list(get_user_model().objects.all()) == [existing] and LineAccount.objects.count() == 0
    assert "_auth_user_id" not in client.session


def test_any_failure_of_the_user_manager_ends_on_the_friendly_page(login, client, line_emulator, caplog, monkeypatch,
                                                                   line_supplies_everything):
    def broken(*args, **kwargs):
        raise RuntimeError("the user manager failed")

    monkeypatch.setattr(type(get_user_model()._default_manager), "create_user", broken)
    taro = line_emulator.add_user(email="taro@example.com")
    web = login(client, line_emulator, taro, begin=EMAIL_SCOPE)
    native = native_login(client, line_emulator, taro, scope="profile openid email")

    assert_friendly_page(web, "configuration", caplog)
    assert [record.getMessage() for record in caplog.records if record.name == "line_auth.login"] == [
        "LINE login failed: kind=configuration code=user_creation_failed stage=pipeline parameter=-"
    ]
    assert native.status_code == 403 and native.json()["error"] == "login_not_allowed"
    assert_nothing_written()
    failures = [record for record in caplog.records
                if record.name == "line_auth.pipeline" and record.levelno == logging.ERROR]
    assert len(failures) == 2 and all(record.exc_info for record in failures)
    # What the developer reads: where to look (the traceback follows it).
    assert {record.getMessage() for record in failures} == {
        "Creating the user of a LINE login failed; see the line_auth system checks and docs/user-models.md"
    }


# -- the admin pages --


def test_admin_pages_show_the_linked_account(login, client, line_emulator, line_supplies_everything):
    taro = line_emulator.add_user(name="Taro Admin", email="taro@example.com")
    login(client, line_emulator, taro, begin=EMAIL_SCOPE)
    account = LineAccount.objects.select_related("user").get()
    admin = get_user_model()._default_manager.create_superuser(password="pw", **MODEL.admin)
    client.force_login(admin)
    meta = get_user_model()._meta
    changelist = reverse("admin:line_auth_lineaccount_changelist")

    pages = {
        "changelist": client.get(changelist),
        "search": client.get(changelist, {"q": account.user.get_username()}),
        "account": client.get(reverse("admin:line_auth_lineaccount_change", args=[account.pk])),
        "user": client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[account.user.pk])),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
    assert "Taro Admin" in pages["search"].content.decode()
    assert account.line_user_id in pages["user"].content.decode()  # the inline on the user page
