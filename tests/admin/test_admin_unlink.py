"""The admin's user-page inline whatever the app order, and deletes that unlink at LINE too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from social_django.models import UserSocialAuth

from line_auth import client as line_client
from line_auth.exceptions import LineAPIError
from line_auth.models import LineAccount

CHANGELIST = "/admin/line_auth/lineaccount/"
DEAUTHORIZE = "/user/v1/deauthorize"
ROOT = Path(__file__).resolve().parents[2]

# Sets the project up with INSTALLED_APPS in the order given, then prints how many
# LINE account inlines the user admin has and whether its own class was kept.
PROBE = """
import sys
import django
from django.conf import settings
import tests.settings as base
values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
settings.configure(**{**values, "INSTALLED_APPS": sys.argv[1].split(",")})
django.setup()
from django.contrib import admin
from django.contrib.auth import admin as auth_admin, get_user_model
from line_auth.admin import LineAccountInline
user_admin = admin.site.get_model_admin(get_user_model())
print(list(user_admin.inlines).count(LineAccountInline), isinstance(user_admin, auth_admin.UserAdmin))
"""
REST = ("django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages",
        "django.contrib.staticfiles", "social_django")


@pytest.mark.parametrize(
    "installed_apps",
    [
        pytest.param(("django.contrib.admin", "line_auth", *REST, "django.contrib.auth"), id="users-after"),
        pytest.param(("line_auth", "django.contrib.auth", *REST, "django.contrib.admin"), id="admin-last"),
    ],
)
def test_the_user_page_shows_line_accounts_whatever_the_app_order(installed_apps):
    """The usual order (users first) is the test settings' own: see test_admin.py."""
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(installed_apps)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["1", "True"]


@pytest.fixture
def web_linked(login):
    """An account linked by a real LINE login, with its social-auth row and live tokens."""

    def link(emulator):
        user = emulator.add_user()
        assert login(Client(), emulator, user).status_code == 302
        account = LineAccount.objects.get(line_user_id=user.user_id)
        assert UserSocialAuth.objects.filter(provider="line", uid=user.user_id).exists()
        return account

    return link


def revoked_at_line(access_token: str) -> bool:
    try:
        line_client.get_client().verify_access_token(access_token)
    except LineAPIError:
        return True
    return False


def assert_unlinked(account):
    assert revoked_at_line(account.access_token)
    assert not LineAccount.objects.filter(pk=account.pk).exists()
    assert not UserSocialAuth.objects.filter(provider="line", uid=account.line_user_id).exists()
    assert type(account.user).objects.filter(pk=account.user_id).exists()  # the user stays


@pytest.mark.django_db
def test_delete_selected_unlinks_each_account_at_line(web_linked, admin_client, line_emulator):
    accounts = [web_linked(line_emulator) for _ in range(2)]
    line_emulator.reset_calls()

    response = admin_client.post(CHANGELIST, {
        "action": "delete_selected", "_selected_action": [a.pk for a in accounts], "post": "yes",
    })

    assert response.status_code == 302
    assert line_emulator.count_calls(DEAUTHORIZE) == 2
    for account in accounts:
        assert_unlinked(account)
    messages = [m.message for m in get_messages(response.wsgi_request)]
    assert any(text.startswith("Disconnected 2 accounts and deauthorized the app at LINE") for text in messages)


@pytest.mark.django_db
def test_the_delete_button_unlinks_the_account_at_line(web_linked, admin_client, line_emulator):
    account = web_linked(line_emulator)
    line_emulator.reset_calls()

    response = admin_client.post(f"{CHANGELIST}{account.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert line_emulator.count_calls(DEAUTHORIZE) == 1
    assert_unlinked(account)
