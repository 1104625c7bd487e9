"""Error codes are public and chosen by an error's class or code, never by its message.

Each refusal here carries a message that names another code's word; a classifier that
read messages would pick the wrong page, JSON error or log code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from social_core.exceptions import AuthAssociationError, AuthCanceled, AuthPolicyError, AuthProviderError

from line_auth.exceptions import ErrorCode, InvalidIdToken, InvalidOption
from line_auth.models import LineAccount
from line_auth.views.failures import FAILURES, failure_response

pytestmark = pytest.mark.django_db
TOKEN = "/oauth2/v2.1/token"
NATIVE_LOGIN_URL = "/accounts/line/native/login/"
# The values apps and pages depend on (docs/native-login.md and the error page's CSS class).
NATIVE_CODES = {
    "invalid_request", "invalid_id_token", "invalid_nonce", "invalid_access_token",
    "login_not_allowed", "email_required", "email_in_use", "rate_limited", "line_unavailable",
}
PAGE_KINDS = {
    "cancelled", "auto_login_failed", "session", "line_error", "unavailable", "verification",
    "already_linked", "email_required", "email_in_use", "not_allowed", "invalid_option",
    "rate_limited", "configuration", "unknown_channel",
}


def refusing_step(error: Exception) -> Any:
    """A pipeline step in place of ``create_user`` that refuses a first login with ``error``."""

    def create_user(backend: Any, *args: Any, **kwargs: Any) -> None:
        raise error

    return create_user


def test_the_public_codes_keep_their_values():
    values = {code.value for code in ErrorCode}
    assert NATIVE_CODES <= values and PAGE_KINDS <= values
    assert set(FAILURES) == PAGE_KINDS
    assert json.dumps({"error": ErrorCode.INVALID_NONCE}) == '{"error": "invalid_nonce"}'
    assert f"line-auth-failure-{ErrorCode.EMAIL_IN_USE}" == "line-auth-failure-email_in_use"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (InvalidOption("prompt", "rate_limited", "consent"), "invalid_option"),
        (AuthCanceled(None, "timeout: email_in_use"), "cancelled"),
        (AuthAssociationError(None, "email_in_use"), "already_linked"),
        (AuthAssociationError(None, "identity taken", code="email_in_use"), "email_in_use"),
        (AuthProviderError(None, "LINE is unavailable (timeout)", code="http_error"), "line_error"),
        (AuthPolicyError(None, "session expired; cancelled"), "not_allowed"),
        (ValueError("cancelled"), "verification"),
    ],
)
def test_the_error_page_is_chosen_by_class_and_code_not_by_message(rf, error, kind):
    request = rf.get("/accounts/line/complete/")
    request.session = {}
    response = failure_response(request, error)
    assert f"line-auth-failure-{kind}".encode() in response.content
    assert response.status_code == FAILURES[kind].status


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (AuthAssociationError(None, "email_in_use"), "already_linked"),
        (AuthPolicyError(None, "email_required"), "not_allowed"),
    ],
)
def test_a_refusing_pipeline_step_is_shown_by_its_class(client, line_emulator, monkeypatch, login, error, kind):
    monkeypatch.setattr("line_auth.pipeline.create_user", refusing_step(error))
    response = login(client, line_emulator, line_emulator.add_user())
    assert f"line-auth-failure-{kind}".encode() in response.content
    assert not LineAccount.objects.exists() and not get_user_model().objects.exists()


def test_a_forged_web_id_token_is_logged_as_a_signature_failure(
    client, line_emulator, id_token_factory, caplog, start, query, come_back
):
    user = line_emulator.add_user()
    url = start(client)
    forged = id_token_factory(key="not-the-channel-secret-" + "x" * 16, sub=user.user_id, nonce=query(url)["nonce"])
    line_emulator.fail_next(TOKEN, status=200, body=json.dumps({
        "access_token": "a" * 40, "token_type": "Bearer", "expires_in": 2592000,
        "refresh_token": "r" * 20, "scope": "profile openid", "id_token": forged,
    }))
    response = come_back(client, line_emulator.authorize(url, user))
    assert b"line-auth-failure-verification" in response.content
    assert "kind=verification code=invalid_signature" in caplog.text
    assert not LineAccount.objects.exists()


def test_a_claim_failure_whose_reason_says_signature_is_logged_as_a_claim_failure(
    client, line_emulator, monkeypatch, caplog, login
):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise InvalidIdToken("missing claim signature_date")

    monkeypatch.setattr("line_auth.backends.verify_web_id_token", refuse)
    response = login(client, line_emulator, line_emulator.add_user())
    assert b"line-auth-failure-verification" in response.content
    assert "kind=verification code=invalid_claim" in caplog.text
    assert "code=invalid_signature" not in caplog.text


def native_login(client: Any, emulator: Any, *, token_nonce: str | None = None) -> Any:
    nonce = client.post("/accounts/line/native/nonce/").json()["nonce"]
    token = emulator.make_id_token(
        emulator.add_user(), settings.SOCIAL_AUTH_LINE_KEY, nonce=token_nonce or nonce, alg="ES256"
    )
    body = json.dumps({"id_token": token, "nonce": nonce})
    return client.post(NATIVE_LOGIN_URL, body, content_type="application/json")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (AuthAssociationError(None, "email_in_use"), 403, "login_not_allowed"),
        (AuthPolicyError(None, "email_required"), 403, "login_not_allowed"),
        (AuthAssociationError(None, "rate limited", code="email_in_use"), 409, "email_in_use"),
    ],
)
def test_a_native_refusal_from_the_pipeline_is_answered_by_its_class_and_code(
    client, line_emulator, monkeypatch, error, status, code
):
    monkeypatch.setattr("line_auth.pipeline.create_user", refusing_step(error))
    response = native_login(client, line_emulator)
    assert response.status_code == status and response.json()["error"] == code
    assert not LineAccount.objects.exists() and not get_user_model().objects.exists()


def test_line_refusing_the_nonce_remotely_is_an_id_token_refusal(client, line_emulator, settings):
    """LINE's description names the nonce, but the token is what LINE refused."""
    settings.LINE_AUTH_NATIVE_VERIFY = "remote"
    response = native_login(client, line_emulator, token_nonce="another-nonce")
    assert response.status_code == 401 and response.json()["error"] == "invalid_id_token"
    assert "nonce" in response.json()["error_description"].lower()
    assert not LineAccount.objects.exists()
