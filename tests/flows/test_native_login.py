"""Server login for native apps and LIFF (LINE's secure login process), against the emulator."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.auth import get_user_model

from line_auth.internal import nonces
from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db
NONCE_URL = "/accounts/line/native/nonce/"
LOGIN_URL = "/accounts/line/native/login/"
CERTS = "/oauth2/v2.1/certs"
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY


# -- successes --


def test_the_nonce_endpoint_issues_fresh_nonces(client):
    first, second = client.post(NONCE_URL).json(), client.post(NONCE_URL).json()
    assert first["expires_in"] == 600 and len(first["nonce"]) >= 32
    assert first["nonce"] != second["nonce"]
    assert client.get(NONCE_URL).status_code == 405


def test_an_sdk_id_token_logs_the_user_in_and_links_the_account(sdk_login, client, line_emulator):
    taro = line_emulator.add_user(name="Taro App")
    response = sdk_login(client, line_emulator, taro)

    assert response.status_code == 200, response.content
    body = response.json()
    account = LineAccount.objects.get()
    assert body == {
        "user": {"id": account.user_id, "username": account.user.username},
        "line_user_id": taro.user_id,
        "is_new": True,
    }
    assert account.line_user_id == taro.user_id and account.display_name == "Taro App"
    assert account.user.username == "TaroApp"  # social-core's username cleaning
    assert int(client.session["_auth_user_id"]) == account.user_id
    assert [call.path for call in line_emulator.calls] == [CERTS]  # verified locally

    client.logout()
    again = sdk_login(client, line_emulator, taro)
    assert again.json()["is_new"] is False
    assert LineAccount.objects.count() == 1 and get_user_model().objects.count() == 1


def test_an_hs256_id_token_is_verified_with_the_channel_secret(native_post, new_nonce, client, line_emulator):
    user = line_emulator.add_user()
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="HS256")
    assert native_post(client, {"id_token": token, "nonce": nonce}).status_code == 200
    assert line_emulator.calls == []


def test_an_access_token_is_verified_with_line_and_the_profile_read_from_line(
    native_post, client, line_emulator
):
    hanako = line_emulator.add_user(name="Hanako")
    issued = line_emulator.issue_tokens(hanako, CHANNEL, scope="profile openid")
    response = native_post(client, {"access_token": issued["access_token"], "name": "Forged Name"})

    assert response.status_code == 200, response.content
    account = LineAccount.objects.get()
    assert account.display_name == "Hanako"  # from LINE, never from the request
    assert account.access_token == issued["access_token"] and account.scopes == "profile openid"
    assert [call.path for call in line_emulator.calls][:2] == ["/oauth2/v2.1/verify", "/v2/profile"]


def test_an_id_token_login_keeps_the_tokens_of_an_earlier_login(
    native_post, new_nonce, client, line_emulator, line_account_factory
):
    user = line_emulator.add_user()
    existing = line_account_factory(
        line_user_id=user.user_id, access_token="stored-access", refresh_token="stored-refresh"
    )
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256")
    assert native_post(client, {"id_token": token, "nonce": nonce}).status_code == 200
    account = LineAccount.objects.get(pk=existing.pk)
    assert account.access_token == "stored-access" and account.refresh_token == "stored-refresh"


def test_without_a_session_only_the_identity_is_answered(sdk_login, client, line_emulator, settings):
    settings.LINE_AUTH_NATIVE_LOGIN_SESSION = False
    response = sdk_login(client, line_emulator)
    assert response.status_code == 200 and response.json()["is_new"] is True
    assert "_auth_user_id" not in client.session and "sessionid" not in response.cookies


def test_a_liff_token_for_an_allowed_linked_channel_is_accepted(sdk_login, client, line_emulator, settings):
    settings.LINE_AUTH_ALLOWED_AUDIENCES = ["2000000000"]
    assert sdk_login(client, line_emulator, aud="2000000000").status_code == 200


def test_remote_verification_asks_line(sdk_login, client, line_emulator, settings):
    settings.LINE_AUTH_NATIVE_VERIFY = "remote"
    assert sdk_login(client, line_emulator).status_code == 200
    assert [call.path for call in line_emulator.calls] == ["/oauth2/v2.1/verify"]


def test_remote_verification_refuses_what_line_refuses(assert_refused, sdk_login, client, line_emulator, settings):
    settings.LINE_AUTH_NATIVE_VERIFY = "remote"
    now = int(time.time())
    response = sdk_login(client, line_emulator, iat=now - 7200, exp=now - 3600)
    assert_refused(response, 401, "invalid_id_token")
    assert response.json()["error_description"] == "IdToken expired."


def test_remote_verification_never_asks_line_about_a_foreign_channel(
    assert_refused, sdk_login, client, line_emulator, settings
):
    settings.LINE_AUTH_NATIVE_VERIFY = "remote"
    response = sdk_login(client, line_emulator, aud="999")
    assert_refused(response, 401, "invalid_id_token")
    assert response.json()["error_description"] == "wrong audience"
    assert line_emulator.calls == []


# -- JWKS --


def test_jwks_is_fetched_once_for_many_logins(sdk_login, client, line_emulator):
    for _ in range(25):
        assert sdk_login(client, line_emulator).status_code == 200
    assert line_emulator.count_calls(CERTS) == 1


@pytest.mark.NT_09
def test_a_rotated_key_is_fetched_once_and_a_flood_of_unknown_kids_is_throttled(
    assert_refused, native_post, new_nonce, sdk_login, client, line_emulator
):
    assert sdk_login(client, line_emulator).status_code == 200
    line_emulator.rotate_es256_key()
    assert sdk_login(client, line_emulator).status_code == 200
    assert line_emulator.count_calls(CERTS) == 2

    stranger = ec.generate_private_key(ec.SECP256R1())
    for index in range(20):
        nonce = new_nonce(client)
        claims = {
            "iss": "https://access.line.me",
            "sub": "U" + "b" * 32,
            "aud": CHANNEL,
            "iat": int(time.time()),
            "exp": int(time.time()) + 600,
            "nonce": nonce,
        }
        token = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": f"random-{index}"})
        assert_refused(
            native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token", accounts=2
        )
    assert line_emulator.count_calls(CERTS) == 2  # the refetch window was already spent


@pytest.mark.RL_07
def test_line_unavailable_for_the_jwks_is_a_503_not_a_500(assert_refused, sdk_login, client, line_emulator):
    line_emulator.fail_next(CERTS, status=500, times=3)
    assert_refused(sdk_login(client, line_emulator), 503, "line_unavailable")


# -- refusals --


@pytest.mark.NT_02
def test_a_bad_signature_is_refused(assert_refused, b64, native_post, new_nonce, client, line_emulator):
    user = line_emulator.add_user()
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256")
    header, payload, signature = token.split(".")
    forged_payload = b64(
        json.dumps(
            {**jwt.decode(token, options={"verify_signature": False}), "sub": "U" + "f" * 32}
        ).encode()
    )
    response = native_post(client, {"id_token": f"{header}.{forged_payload}.{signature}", "nonce": nonce})
    assert_refused(response, 401, "invalid_id_token")
    assert response.json()["error_description"] == "bad signature"


@pytest.mark.NT_05
@pytest.mark.IT_06
def test_a_token_for_another_channel_is_refused(assert_refused, sdk_login, client, line_emulator):
    assert_refused(sdk_login(client, line_emulator, aud="999"), 401, "invalid_id_token")


@pytest.mark.IT_10
def test_an_expired_id_token_is_refused(assert_refused, sdk_login, client, line_emulator):
    now = int(time.time())
    response = sdk_login(client, line_emulator, iat=now - 7200, exp=now - 3600)
    assert_refused(response, 401, "invalid_id_token")
    assert response.json()["error_description"] == "expired"


@pytest.mark.IT_05
def test_a_wrong_issuer_is_refused(assert_refused, sdk_login, client, line_emulator):
    assert_refused(
        sdk_login(client, line_emulator, iss="https://evil.example"), 401, "invalid_id_token"
    )


@pytest.mark.NT_09
def test_an_unknown_kid_is_refused(assert_refused, b64, native_post, new_nonce, client, line_emulator):
    user = line_emulator.add_user()
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256")
    header, payload, signature = token.split(".")
    other_header = b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": "f" * 64}).encode())
    response = native_post(client, {"id_token": f"{other_header}.{payload}.{signature}", "nonce": nonce})
    assert_refused(response, 401, "invalid_id_token")
    assert response.json()["error_description"] == "unknown key"


@pytest.mark.NT_03
def test_hs256_signed_with_lines_public_key_is_refused(b64, native_post, new_nonce, sdk_login, client, line_emulator):
    """Algorithm confusion: an HS256 token whose HMAC key is LINE's published ES256 key."""
    assert sdk_login(client, line_emulator).status_code == 200  # the JWKS is now cached
    client.logout()
    public_pem = line_emulator.key_ring.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    nonce = new_nonce(client)
    claims = {
        "iss": "https://access.line.me",
        "sub": "U" + "c" * 32,
        "aud": CHANNEL,
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
        "nonce": nonce,
    }
    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": line_emulator.es256_kid}).encode())
        + "."
        + b64(json.dumps(claims).encode())
    )
    signature = b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    response = native_post(client, {"id_token": f"{signing_input}.{signature}", "nonce": nonce})
    assert response.status_code == 401 and response.json()["error"] == "invalid_id_token"
    assert not LineAccount.objects.filter(line_user_id="U" + "c" * 32).exists()


@pytest.mark.IT_03
def test_alg_none_is_refused(assert_refused, b64, native_post, new_nonce, client, line_emulator):
    nonce = new_nonce(client)
    claims = {
        "iss": "https://access.line.me",
        "sub": "U" + "d" * 32,
        "aud": CHANNEL,
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
        "nonce": nonce,
    }
    token = b64(b'{"alg":"none"}') + "." + b64(json.dumps(claims).encode()) + "."
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


@pytest.mark.NT_08
def test_a_replayed_nonce_is_refused(assert_refused, native_post, new_nonce, client, line_emulator):
    user = line_emulator.add_user()
    nonce = new_nonce(client)
    body = {
        "id_token": line_emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256"),
        "nonce": nonce,
    }
    assert native_post(client, body).status_code == 200
    LineAccount.objects.all().delete()
    get_user_model().objects.all().delete()
    assert_refused(native_post(client, body), 401, "invalid_nonce")


@pytest.mark.NT_08
def test_a_nonce_the_server_never_issued_is_refused(assert_refused, native_post, client, line_emulator):
    user = line_emulator.add_user()
    token = line_emulator.make_id_token(user, CHANNEL, nonce="chosen-by-the-app", alg="ES256")
    assert_refused(
        native_post(client, {"id_token": token, "nonce": "chosen-by-the-app"}), 401, "invalid_nonce"
    )


@pytest.mark.NT_08
@pytest.mark.parametrize(("age", "status"), [(599, 200), (601, 401)])
def test_a_nonce_is_accepted_until_it_expires(assert_refused, native_post, client, line_emulator, age, status):
    nonce = nonces.issue(now=time.time() - age)  # LINE_AUTH_NONCE_TTL is 600 seconds
    token = line_emulator.make_id_token(line_emulator.add_user(), CHANNEL, nonce=nonce, alg="ES256")
    response = native_post(client, {"id_token": token, "nonce": nonce})
    if status == 200:
        assert response.status_code == 200, response.content
    else:
        assert_refused(response, 401, "invalid_nonce")


@pytest.mark.NT_08
def test_a_nonce_that_is_not_the_tokens_is_refused(assert_refused, native_post, new_nonce, client, line_emulator):
    user = line_emulator.add_user()
    token = line_emulator.make_id_token(user, CHANNEL, nonce=new_nonce(client), alg="ES256")
    assert_refused(
        native_post(client, {"id_token": token, "nonce": new_nonce(client)}), 401, "invalid_id_token"
    )


@pytest.mark.NT_06
def test_an_access_token_of_another_channel_is_refused(assert_refused, native_post, client, line_emulator):
    line_emulator.add_channel("2222222222", "f" * 32)
    issued = line_emulator.issue_tokens(line_emulator.add_user(), "2222222222", scope="profile")
    response = native_post(client, {"access_token": issued["access_token"]})
    assert_refused(response, 401, "invalid_access_token")
    assert response.json()["error_description"] == "issued to another channel"
    assert line_emulator.count_calls("/v2/profile") == 0


@pytest.mark.NT_06
def test_an_expired_access_token_is_refused(assert_refused, native_post, client, line_emulator):
    issued = line_emulator.issue_tokens(line_emulator.add_user(), CHANNEL, scope="profile")
    line_emulator.advance(31 * 24 * 3600)
    response = native_post(client, {"access_token": issued["access_token"]})
    assert_refused(response, 401, "invalid_access_token")
    assert response.json()["error_description"] == "The access token expired"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        ("[1, 2]", "application/json"),
        ("null", "application/json"),
        ('{"access_token": "x"}', "text/plain"),
        ("access_token=x", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    assert_refused, native_post, client, line_emulator, body, content_type
):
    assert_refused(native_post(client, body, content_type), 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"nonce": "n"},
        {"id_token": "a.b.c"},
        {"id_token": "a.b.c", "nonce": ""},
        {"id_token": "a.b.c", "nonce": "n", "access_token": "t"},
        {"access_token": 12},
        {"id_token": ["a.b.c"], "nonce": "n"},
        {"name": "Taro", "userId": "U" + "a" * 32},
    ],
)
def test_missing_or_malformed_fields_are_refused(assert_refused, native_post, client, line_emulator, body):
    assert_refused(native_post(client, body), 400, "invalid_request")
    assert line_emulator.calls == []


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="deeply-nested-array"),
        pytest.param('{"id_token":' * 50_000 + '"x"' + "}" * 50_000, id="deeply-nested-object"),
        pytest.param('{"access_token": ' + "9" * 5_000 + "}", id="number-past-the-digit-limit"),
        pytest.param('{"access_token": "' + "a" * 3_000_000 + '"}', id="body-past-the-upload-limit"),
    ],
)
def test_a_hostile_body_is_a_400_not_a_500(assert_refused, native_post, client, line_emulator, raw):
    assert_refused(native_post(client, raw), 400, "invalid_request")
    assert line_emulator.calls == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"access_token": "\ud800"}, id="lone-surrogate-access-token"),
        pytest.param({"access_token": "abc\x00def"}, id="nul-in-access-token"),
        pytest.param({"access_token": "トークン"}, id="non-ascii-access-token"),
        pytest.param({"access_token": "a b"}, id="space-in-access-token"),
        pytest.param({"access_token": "a" * 8193}, id="huge-access-token"),
        pytest.param({"id_token": "\udfff.a.b", "nonce": "n"}, id="lone-surrogate-id-token"),
        pytest.param({"id_token": "a.b.c\x00", "nonce": "n"}, id="nul-in-id-token"),
        pytest.param({"id_token": "a.b.c", "nonce": "\ud800"}, id="lone-surrogate-nonce"),
        pytest.param({"id_token": "a.b.c", "nonce": True}, id="boolean-nonce"),
        pytest.param({"id_token": {"a": 1}, "nonce": "n"}, id="object-id-token"),
    ],
)
def test_a_field_that_is_not_token_text_is_refused_before_use(assert_refused, native_post, client, line_emulator, body):
    """Lone surrogates made PyJWT and requests raise UnicodeEncodeError (a 500)."""
    assert_refused(native_post(client, body), 400, "invalid_request")
    assert line_emulator.calls == []


@pytest.mark.parametrize("alg", ["ES256", "HS256"])
@pytest.mark.parametrize("sent", ["ノンス", "\ud800", "n\x00"])
def test_a_valid_id_token_with_a_non_ascii_nonce_is_refused(native_post, client, line_emulator, alg, sent):
    """LINE echoes whatever nonce the app passed; comparing it must not raise TypeError."""
    token = line_emulator.make_id_token(line_emulator.add_user(), CHANNEL, nonce=sent, alg=alg)
    response = native_post(client, {"id_token": token, "nonce": sent})
    assert response.status_code in (400, 401), response.content
    assert response.json()["error"] in ("invalid_request", "invalid_nonce")
    assert LineAccount.objects.count() == 0 and get_user_model().objects.count() == 0


def test_an_inactive_user_is_not_logged_in(sdk_login, client, line_emulator):
    user = line_emulator.add_user()
    assert sdk_login(client, line_emulator, user).status_code == 200
    get_user_model().objects.update(is_active=False)
    client.logout()
    response = sdk_login(client, line_emulator, user)
    assert response.status_code == 403 and response.json()["error"] == "login_not_allowed"
    assert "_auth_user_id" not in client.session


def test_get_is_not_allowed(client):
    assert client.get(LOGIN_URL).status_code == 405
