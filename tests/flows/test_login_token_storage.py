"""What a login writes on the LINE account: the login time, the social-auth link, the tokens' deadlines
and granted scopes."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from social_django.models import UserSocialAuth

from line_auth.models import REFRESH_TOKEN_LIFETIME, LineAccount

pytestmark = pytest.mark.django_db
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY


def test_a_web_login_gives_the_refresh_token_its_ninety_days(login, client, line_emulator):
    before = timezone.now()
    login(client, line_emulator, line_emulator.add_user())
    after = timezone.now()
    deadline = LineAccount.objects.get().refresh_token_expires_at
    assert before + REFRESH_TOKEN_LIFETIME <= deadline <= after + REFRESH_TOKEN_LIFETIME


def test_granted_scopes_longer_than_the_column_are_cut_to_fit(native_post, client, line_emulator):
    token = line_emulator.issue_tokens(line_emulator.add_user(), CHANNEL)["access_token"]
    scopes = "profile openid " + " ".join(f"scope{index}" for index in range(40))
    line_emulator.fail_next(
        "/oauth2/v2.1/verify", status=200,
        body=json.dumps({"scope": scopes, "client_id": CHANNEL, "expires_in": 3600}),
    )
    assert native_post(client, {"access_token": token}).status_code == 200
    stored = LineAccount.objects.get().scopes
    max_length = LineAccount._meta.get_field("scopes").max_length
    assert len(scopes) > max_length and stored == scopes[:max_length]


def test_a_login_records_its_time_and_links_the_social_auth_row(login, client, line_emulator):
    before = timezone.now()
    login(client, line_emulator, line_emulator.add_user())
    after = timezone.now()
    account = LineAccount.objects.get()
    assert before <= account.last_login_at <= after
    assert account.social == UserSocialAuth.objects.get(provider="line", uid=account.line_user_id)


def test_extra_data_a_site_takes_from_the_details_is_in_the_first_insert(login, client, line_emulator, settings):
    """The association's INSERT already holds it: social-core's load_extra_data finds nothing to update."""
    settings.SOCIAL_AUTH_LINE_EXTRA_DATA = ["first_name"]
    with CaptureQueriesContext(connection) as queries:
        login(client, line_emulator, line_emulator.add_user(name="Hanako"))
    assert UserSocialAuth.objects.get().extra_data["first_name"] == "Hanako"
    assert not [query for query in queries.captured_queries
                if query["sql"].startswith("UPDATE") and "social_auth_usersocialauth" in query["sql"]]
