"""Whatever LINE sends fits: profile values the columns cannot hold never fail a login.

LINE's display names, picture URLs and emails are whatever its users typed. On
PostgreSQL a value longer than its column, or one with a NUL character, used to
be a 500; these logins go through the emulator and must end logged in, with
every value cut to its column or, for an identifier, dropped.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
EMAIL_SCOPE = {"scope": "profile openid email"}
LONG_NAME = "竜" * 300
# Valid to Django's EmailValidator (labels under 64 characters) but longer than 254.
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
NATIVE_LOGIN = "/accounts/line/native/login/"


@pytest.fixture
def trusted(settings):
    settings.LINE_AUTH_TRUST_EMAIL = True


def native_login(client, emulator, user, **claims):
    cache.clear()
    nonce = client.post("/accounts/line/native/nonce/").json()["nonce"]
    token = emulator.make_id_token(user, settings.SOCIAL_AUTH_LINE_KEY, nonce=nonce, alg="ES256", **claims)
    return client.post(NATIVE_LOGIN, json.dumps({"id_token": token, "nonce": nonce}),
                       content_type="application/json")


def test_a_display_name_longer_than_the_columns_is_cut_to_each(login, client, line_emulator):
    response = login(client, line_emulator, line_emulator.add_user(name=LONG_NAME))

    assert response.status_code == 302
    account = LineAccount.objects.select_related("user").get()
    assert account.display_name == "竜" * 255
    assert account.user.first_name == "竜" * 150


def test_a_returning_user_whose_name_grew_is_updated_within_the_column(login, client, line_emulator):
    taro = line_emulator.add_user(name="Taro")
    login(client, line_emulator, taro)
    client.logout()
    taro.name = LONG_NAME
    assert login(client, line_emulator, taro).status_code == 302
    account = LineAccount.objects.select_related("user").get()
    assert account.display_name == "竜" * 255 and account.user.first_name == "竜" * 150


def test_nul_characters_are_removed_from_text_and_drop_identifiers(login, client, line_emulator, trusted):
    user = line_emulator.add_user(
        name="Ta\x00ro", picture_url="https://profile.line-scdn.net/a\x00b", email="taro\x00@example.com"
    )
    response = login(client, line_emulator, user, begin=EMAIL_SCOPE)

    assert response.status_code == 302
    account = LineAccount.objects.select_related("user").get()
    assert (account.display_name, account.picture_url, account.email) == ("Taro", "", "")
    assert (account.user.first_name, account.user.email) == ("Taro", "")


@pytest.mark.parametrize(
    "address",
    [LONG_EMAIL, "taro@example.com\r\nBcc: all@example.com", "taro@example.com\n", "not an address"],
)
def test_a_trusted_email_that_is_not_one_valid_address_is_dropped(login, client, line_emulator, trusted, address):
    response = login(client, line_emulator, line_emulator.add_user(email=address), begin=EMAIL_SCOPE)

    assert response.status_code == 302
    account = LineAccount.objects.select_related("user").get()
    assert account.email == "" and account.user.email == ""


def test_a_trusted_valid_email_reaches_the_user(login, client, line_emulator, trusted):
    login(client, line_emulator, line_emulator.add_user(email="taro@example.com"), begin=EMAIL_SCOPE)
    account = LineAccount.objects.select_related("user").get()
    assert account.email == "taro@example.com" and account.user.email == "taro@example.com"


def test_a_picture_url_longer_than_its_column_is_dropped_not_cut(login, client, line_emulator):
    url = "https://profile.line-scdn.net/" + "p" * 1000
    assert login(client, line_emulator, line_emulator.add_user(picture_url=url)).status_code == 302
    assert LineAccount.objects.get().picture_url == ""


def test_native_id_token_login_fits_the_same_values(client, line_emulator, trusted):
    user = line_emulator.add_user(name=LONG_NAME + "\x00", email=LONG_EMAIL)
    response = native_login(client, line_emulator, user, scope="profile openid email", amr=["pw\x00d", 7])

    assert response.status_code == 200, response.content
    account = LineAccount.objects.select_related("user").get()
    assert account.display_name == "竜" * 255 and account.user.first_name == "竜" * 150
    assert account.email == "" and account.user.email == ""
    assert account.amr == ["pwd"]


def test_native_access_token_login_fits_the_profile(client, line_emulator):
    user = line_emulator.add_user(name="Hana\x00ko" + "x" * 300, picture_url="https://x.example/\x00")
    issued = line_emulator.issue_tokens(user, settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
    response = client.post(NATIVE_LOGIN, json.dumps({"access_token": issued["access_token"]}),
                           content_type="application/json")

    assert response.status_code == 200, response.content
    account = LineAccount.objects.select_related("user").get()
    assert account.display_name == ("Hanako" + "x" * 300)[:255] and account.picture_url == ""
    assert account.user.first_name == ("Hanako" + "x" * 300)[:150]


@pytest.mark.parametrize("user_id", ["U" + "a" * 100, "U\x00" + "a" * 31])
def test_a_user_id_that_cannot_be_stored_whole_refuses_the_login(
    come_back, query, start, client, line_emulator, id_token_factory, user_id
):
    url = start(client)
    token = id_token_factory(sub=user_id, nonce=query(url)["nonce"])
    line_emulator.fail_next("/oauth2/v2.1/token", status=200, body=json.dumps(
        {"access_token": "a.b.c", "token_type": "Bearer", "expires_in": 2592000, "scope": "profile openid",
         "id_token": token}))
    web = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    native = native_login(client, line_emulator, line_emulator.add_user(), sub=user_id)

    assert web.status_code == 400 and b"could not verify" in web.content.lower()
    assert native.status_code == 401 and native.json()["error"] == "invalid_id_token"
    assert LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0
