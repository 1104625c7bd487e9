"""Faults from LINE (catalogue A9): every one ends on a friendly page or a clear JSON
error, never a 500, never a half-made user, and the next login works."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
FAULTS = [
    pytest.param({"kind": "timeout"}, id="timeout"),
    pytest.param({"kind": "connection_refused"}, id="connection-refused"),
    pytest.param({"status": 500, "body": '{"error":"server_error"}'}, id="500"),
    pytest.param({"status": 429, "body": '{"message":"rate limited"}'}, id="429"),
    pytest.param({"kind": "html", "status": 200}, id="html-instead-of-json"),
    pytest.param({"kind": "truncated"}, id="truncated-json"),
]


def attempts(fault: dict) -> int:
    """GETs are retried after timeouts, 429 and 5xx (three tries); a bad 200 body is not."""
    return 1 if fault.get("status") == 200 or fault.get("kind") == "truncated" else 3


def nothing_created() -> bool:
    return LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0


@pytest.mark.RL_05
@pytest.mark.parametrize("body", [
    '{"token_type":"Bearer","expires_in":2592000,"scope":"profile openid","id_token":"x.y.z"}',
    '{"access_token":"","token_type":"Bearer"}',
    "[]",
], ids=["no-access-token", "empty-access-token", "json-list"])
def test_a_token_response_missing_its_access_token_fails_cleanly(come_back, login, start, client, line_emulator, body):
    url = start(client)
    line_emulator.fail_next("/oauth2/v2.1/token", status=200, body=body)
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400 and nothing_created()
    assert login(client, line_emulator, line_emulator.add_user()).status_code == 302


@pytest.mark.RL_08
@pytest.mark.parametrize("fault", FAULTS)
def test_profile_api_faults_without_openid(come_back, login, start, client, line_emulator, fault):
    url = start(client, scope="profile")
    line_emulator.fail_next("/v2/profile", times=attempts(fault), **fault)
    response = come_back(client, line_emulator.authorize(url, line_emulator.add_user()))
    assert response.status_code == 400 and nothing_created()
    assert login(client, line_emulator, line_emulator.add_user(), begin={"scope": "profile"}).status_code == 302


@pytest.mark.RL_09
@pytest.mark.parametrize("fault", FAULTS)
def test_native_access_token_login_when_line_fails(native_post, client, line_emulator, fault):
    tokens = line_emulator.issue_tokens(line_emulator.add_user(), "1234567890", scope="profile openid")
    line_emulator.fail_next("/oauth2/v2.1/verify", method="GET", times=attempts(fault), **fault)
    response = native_post(client, {"access_token": tokens["access_token"]})
    assert response.status_code in (401, 503)
    assert "error" in response.json() and nothing_created()
    assert native_post(client, {"access_token": tokens["access_token"]}).status_code == 200
