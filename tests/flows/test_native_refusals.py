"""What an app is told when a native or LIFF login is refused, and what LINE is asked.

Each refusal's JSON ``error_description`` is what the app's developer reads to find out
what went wrong, so the tests pin it, along with the status and the log line.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import timezone

from line_auth.exceptions import Refused
from line_auth.internal.id_token import MAX_TOKEN_LENGTH
from line_auth.models import LineAccount
from line_auth.views.native import NativeLoginView

pytestmark = pytest.mark.django_db
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY
LINKED_CHANNEL = "2000000000"
VERIFY = "/oauth2/v2.1/verify"
PROFILE = "/v2/profile"


@pytest.fixture
def remote(settings):
    settings.LINE_AUTH_NATIVE_VERIFY = "remote"


def description(response) -> str:
    return response.json()["error_description"]


def id_token_login(client, emulator, new_nonce, native_post, **claims):
    user = emulator.add_user()
    nonce = new_nonce(client)
    token = emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256", **claims)
    return native_post(client, {"id_token": token, "nonce": nonce})


def line_answers(emulator, path: str, status: int, body: dict) -> None:
    emulator.fail_next(path, status=status, body=json.dumps(body))


# -- ID tokens verified by LINE (LINE_AUTH_NATIVE_VERIFY = "remote") --


def test_remote_verification_asks_line_as_the_linked_channel_the_token_names(
    remote, settings, sdk_login, client, line_emulator
):
    settings.LINE_AUTH_ALLOWED_AUDIENCES = [LINKED_CHANNEL]
    assert sdk_login(client, line_emulator, aud=LINKED_CHANNEL).status_code == 200
    assert LineAccount.objects.count() == 1


def test_remote_verification_lets_line_check_the_nonce(
    remote, assert_refused, new_nonce, native_post, client, line_emulator
):
    user = line_emulator.add_user()
    signed_into_token, sent = new_nonce(client), new_nonce(client)
    token = line_emulator.make_id_token(user, CHANNEL, nonce=signed_into_token, alg="ES256")
    response = native_post(client, {"id_token": token, "nonce": sent})
    assert_refused(response, 401, "invalid_id_token")
    assert description(response) == "Invalid IdToken Nonce."


def test_remote_verification_refuses_a_token_whose_claims_cannot_be_read(
    remote, assert_refused, b64, new_nonce, native_post, client, line_emulator
):
    header = b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": line_emulator.es256_kid}).encode())
    token = f"{header}.{b64(b'not json')}.{b64(b'signature')}"
    response = native_post(client, {"id_token": token, "nonce": new_nonce(client)})
    assert_refused(response, 401, "invalid_id_token")
    assert description(response) == "malformed"
    assert line_emulator.calls == []


def test_remote_verification_refused_by_line_without_a_reason(
    remote, assert_refused, new_nonce, native_post, client, line_emulator
):
    line_answers(line_emulator, VERIFY, 400, {"error": "invalid_request"})
    response = id_token_login(client, line_emulator, new_nonce, native_post)
    assert_refused(response, 401, "invalid_id_token")
    assert description(response) == "refused by LINE"


@pytest.mark.parametrize(
    "claim", [{"aud": "1999999999"}, {"iss": "https://access.line.me.example"}], ids=["audience", "issuer"]
)
def test_remote_verification_refuses_an_answer_for_another_audience_or_issuer(
    remote, assert_refused, new_nonce, native_post, client, line_emulator, claim
):
    nonce = new_nonce(client)
    answer = {"iss": "https://access.line.me", "sub": "U" + "a" * 32, "aud": CHANNEL, "nonce": nonce,
              "iat": int(line_emulator.now()), "exp": int(line_emulator.now()) + 600, **claim}
    line_answers(line_emulator, VERIFY, 200, answer)
    token = line_emulator.make_id_token(line_emulator.add_user(), CHANNEL, nonce=nonce, alg="ES256")
    response = native_post(client, {"id_token": token, "nonce": nonce})
    assert_refused(response, 401, "invalid_id_token")
    assert description(response) == "LINE's answer names another audience or issuer"


@pytest.mark.parametrize("sub", [None, "", 42], ids=["missing", "empty", "number"])
def test_remote_verification_refuses_an_answer_without_a_user(
    remote, assert_refused, new_nonce, native_post, client, line_emulator, sub
):
    nonce = new_nonce(client)
    answer = {"iss": "https://access.line.me", "aud": CHANNEL, "nonce": nonce,
              "iat": int(line_emulator.now()), "exp": int(line_emulator.now()) + 600}
    if sub is not None:
        answer["sub"] = sub
    line_answers(line_emulator, VERIFY, 200, answer)
    token = line_emulator.make_id_token(line_emulator.add_user(), CHANNEL, nonce=nonce, alg="ES256")
    response = native_post(client, {"id_token": token, "nonce": nonce})
    assert_refused(response, 401, "invalid_id_token")
    assert description(response) == "missing claim sub"


# -- access tokens --


def access_token(emulator) -> str:
    return emulator.issue_tokens(emulator.add_user(), CHANNEL)["access_token"]


def test_an_access_token_refused_by_line_without_a_reason(assert_refused, native_post, client, line_emulator):
    token = access_token(line_emulator)
    line_answers(line_emulator, VERIFY, 400, {"error": "invalid_request"})
    response = native_post(client, {"access_token": token})
    assert_refused(response, 401, "invalid_access_token")
    assert description(response) == "refused by LINE"


def test_a_profile_without_a_user_id_is_line_being_unavailable(assert_refused, native_post, client, line_emulator):
    token = access_token(line_emulator)
    line_answers(line_emulator, PROFILE, 200, {"displayName": "No One"})
    response = native_post(client, {"access_token": token})
    assert_refused(response, 503, "line_unavailable")
    assert description(response) == "LINE's profile answer had no user ID"


def test_an_access_token_login_stores_when_the_token_expires(native_post, client, line_emulator):
    before = timezone.now()
    issued = line_emulator.issue_tokens(line_emulator.add_user(), CHANNEL)
    line_emulator.advance(1000)  # LINE then says the token has 1000 seconds less to live
    assert native_post(client, {"access_token": issued["access_token"]}).status_code == 200
    after = timezone.now()
    left = timedelta(seconds=issued["expires_in"] - 1000)
    # LINE counts whole seconds, from a moment between before and after.
    earliest = before + left - (after - before) - timedelta(seconds=1)
    assert earliest <= LineAccount.objects.get().access_token_expires_at <= after + left


# -- how a refusal is answered --


def test_a_refusal_is_logged_with_its_code_and_reason(assert_refused, native_post, client, caplog):
    response = native_post(client, {"id_token": "a.b.c", "access_token": "d"})
    assert_refused(response, 400, "invalid_request")
    logged = [r.getMessage() for r in caplog.records if r.name == "line_auth.native"]
    assert logged == [
        "Native LINE login refused: invalid_request (send either id_token (with nonce) or access_token)"
    ]


def test_a_rate_limited_app_is_told_when_to_retry(settings, native_post, client):
    settings.LINE_AUTH_RATE_LIMITS = {"native_login": {"per_address": 1}}
    native_post(client, {})
    response = native_post(client, {})
    assert response.status_code == 429
    assert description(response) == f"too many requests; retry after {response['Retry-After']} seconds"


def test_a_refusal_whose_code_has_no_status_of_its_own_is_a_400(rf: RequestFactory):
    """A site's own ``verify`` may refuse with the base class; the app still gets a client error."""

    class OwnRules(NativeLoginView):
        def verify(self, payload):
            raise Refused("this app is not allowed here")

    request = rf.post("/login/", data="{}", content_type="application/json")
    response = OwnRules.as_view()(request)
    assert response.status_code == 400
    assert json.loads(response.content) == {"error": "refused", "error_description": "this app is not allowed here"}


# -- ID tokens verified here --


def test_a_nonce_used_once_is_refused_with_a_reason(assert_refused, new_nonce, native_post, client, line_emulator):
    user = line_emulator.add_user()
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256")
    assert native_post(client, {"id_token": token, "nonce": nonce}).status_code == 200
    client.logout()
    replayed = native_post(client, {"id_token": token, "nonce": nonce})
    assert_refused(replayed, 401, "invalid_nonce", accounts=1)
    assert description(replayed) == "the nonce was not issued here, was already used, or has expired"


def test_an_hs256_token_from_another_issuer_is_refused(
    assert_refused, new_nonce, native_post, client, line_emulator
):
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(
        line_emulator.add_user(), CHANNEL, nonce=nonce, alg="HS256", iss="https://access.line.me.example"
    )
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


@pytest.mark.parametrize("alg", ["HS256", "ES256"])
def test_the_leeway_setting_applies_to_every_id_token(
    alg, settings, assert_refused, new_nonce, native_post, client, line_emulator
):
    """With no leeway, a token that expired 30 seconds ago is refused (the default 60 s would pass it)."""
    settings.LINE_AUTH_ID_TOKEN_LEEWAY = 0
    now = int(line_emulator.now())
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(
        line_emulator.add_user(), CHANNEL, nonce=nonce, alg=alg, iat=now - 600, exp=now - 30
    )
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


def test_a_token_of_the_longest_accepted_length_reaches_verification(
    assert_refused, native_post, client, line_emulator
):
    longest = native_post(client, {"access_token": "a" * MAX_TOKEN_LENGTH})
    assert_refused(longest, 401, "invalid_access_token")
    too_long = native_post(client, {"access_token": "a" * (MAX_TOKEN_LENGTH + 1)})
    assert_refused(too_long, 400, "invalid_request")


TOO_LONG = f"at most {MAX_TOKEN_LENGTH} printable ASCII characters"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"access_token": "a"}', "text/plain", "Content-Type must be application/json"),
        ("{not json", "application/json", "the body is not valid JSON"),
        ('["access_token"]', "application/json", "the body must be a JSON object"),
        ({"id_token": 7, "nonce": "n"}, "application/json", "id_token is required and must be a string"),
        ({"id_token": "a.b.c"}, "application/json", "nonce is required and must be a string"),
        ({"id_token": "a b", "nonce": "n"}, "application/json", f"id_token must be {TOO_LONG}"),
        ({"id_token": "a.b.c", "nonce": "n\u00e9"}, "application/json", f"nonce must be {TOO_LONG}"),
        ({"access_token": ["a"]}, "application/json", "access_token is required and must be a string"),
    ],
    ids=["content type", "not JSON", "not an object", "id_token type", "no nonce", "id_token text",
         "nonce text", "access_token type"],
)
def test_a_malformed_request_is_told_what_is_wrong(
    assert_refused, native_post, client, body, content_type, expected
):
    response = native_post(client, body, content_type=content_type)
    assert_refused(response, 400, "invalid_request")
    assert description(response) == expected


def test_in_liff_mode_an_id_token_alone_must_still_be_text(assert_refused, native_post, client, settings):
    settings.LINE_AUTH_LIFF_ID_TOKENS = True
    response = native_post(client, {"id_token": 12345})
    assert_refused(response, 400, "invalid_request")
    assert description(response) == "id_token is required and must be a string"


def offered_to_the_shop_host(request, offered):
    """A channel selector (``LINE_AUTH_CHANNEL_SELECTOR``) offering every channel on one host only."""
    return offered if request.get_host() == "shop.example" else ()


def test_a_native_login_may_use_only_the_channels_the_selector_offers_its_request(
    assert_refused, native_post, client, settings, line_emulator
):
    settings.LINE_AUTH_CHANNEL_SELECTOR = f"{__name__}.offered_to_the_shop_host"
    settings.ALLOWED_HOSTS = ["testserver", "shop.example"]
    token = access_token(line_emulator)
    assert_refused(native_post(client, {"access_token": token}), 401, "invalid_access_token")
    assert native_post(Client(HTTP_HOST="shop.example"), {"access_token": token}).status_code == 200
