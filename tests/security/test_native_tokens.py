"""ID tokens posted by native apps and LIFF (ES256 via LINE's JWKS): the attacks of
catalogue A5 not already covered in tests/flows/test_native_login.py."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

CHANNEL = settings.SOCIAL_AUTH_LINE_KEY


pytestmark = pytest.mark.django_db


def claims(nonce: str, **overrides):
    now = int(time.time())
    values = {"iss": "https://access.line.me", "sub": "U" + "e" * 32, "aud": CHANNEL,
              "iat": now, "exp": now + 600, "nonce": nonce}
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


@pytest.fixture
def warm_jwks(sdk_login):
    """LINE's keys fetched and cached by one good login, so a test sees its token judged on them."""

    def warm(client, emulator) -> None:
        assert sdk_login(client, emulator).status_code == 200
        client.logout()

    return warm


def signed_by_line(emulator, payload, **headers) -> str:
    """A token LINE's real key signed (the emulator's key ring), with chosen claims/headers."""
    return jwt.encode(payload, emulator.key_ring._private_key, algorithm="ES256",
                      headers={"kid": emulator.es256_kid, **headers})


@pytest.mark.IT_07
@pytest.mark.IT_09
@pytest.mark.IT_11
@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        ("aud_list_with_extra_entries", {"aud": [CHANNEL, "9999999999"]}),
        ("iat_far_in_the_future", {"iat": int(time.time()) + 86_400, "exp": int(time.time()) + 90_000}),
        ("missing_sub", {"sub": None}),
        ("missing_exp", {"exp": None}),
        ("wrong_iss_with_suffix", {"iss": "https://access.line.me.evil"}),
        ("iss_with_trailing_slash", {"iss": "https://access.line.me/"}),
    ],
)
def test_claims_line_never_issues_are_refused(
    assert_refused, native_post, new_nonce, client, line_emulator, case, overrides
):
    nonce = new_nonce(client)
    token = signed_by_line(line_emulator, claims(nonce, **overrides))
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


@pytest.mark.NT_14
def test_an_unknown_critical_header_is_refused(assert_refused, native_post, new_nonce, client, line_emulator):
    nonce = new_nonce(client)
    token = signed_by_line(line_emulator, claims(nonce), crit=["x-line-magic"], **{"x-line-magic": True})
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


@pytest.mark.NT_13
def test_a_key_offered_in_the_header_is_never_used(assert_refused, native_post, new_nonce, client, line_emulator):
    """jwk / jku in the header point at the attacker's key; keys come only from LINE's JWKS."""
    attacker = ec.generate_private_key(ec.SECP256R1())
    public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(attacker.public_key()))
    nonce = new_nonce(client)
    token = jwt.encode(claims(nonce), attacker, algorithm="ES256",
                       headers={"kid": line_emulator.es256_kid, "jwk": public_jwk,
                                "jku": "https://evil.example/jwks.json"})
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


@pytest.mark.NT_02
def test_the_all_zero_psychic_signature_is_refused(assert_refused, b64, native_post, new_nonce, client, line_emulator):
    """CVE-2022-21449 class: r = s = 0 must never verify."""
    nonce = new_nonce(client)
    header = b64(json.dumps({"alg": "ES256", "kid": line_emulator.es256_kid}).encode())
    token = f"{header}.{b64(json.dumps(claims(nonce)).encode())}.{b64(bytes(64))}"
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


@pytest.mark.NT_02
def test_an_es256_token_signed_by_another_key_with_lines_kid_is_refused(
    assert_refused, native_post, new_nonce, warm_jwks, client, line_emulator
):
    warm_jwks(client, line_emulator)
    nonce = new_nonce(client)
    token = jwt.encode(claims(nonce), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                       headers={"kid": line_emulator.es256_kid})
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token", accounts=1)


def test_a_web_hs256_token_of_another_channel_is_refused(assert_refused, native_post, new_nonce, client, line_emulator):
    nonce = new_nonce(client)
    token = jwt.encode(claims(nonce), "another-channel-secret-0123456789", algorithm="HS256")
    assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token")


@pytest.mark.NT_15
@pytest.mark.IT_14
@pytest.mark.parametrize("token", ["", "garbage", "a.b", "a.b.c.d", "x" * 20_000, "eyJhbGciOiJFUzI1NiJ9.e30."])
def test_garbage_and_oversize_tokens_are_refused(native_post, new_nonce, client, line_emulator, token):
    nonce = new_nonce(client)
    response = native_post(client, {"id_token": token, "nonce": nonce})
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_id_token", "invalid_request")


def test_the_channel_secret_is_never_in_an_answer(native_post, new_nonce, client, line_emulator):
    nonce = new_nonce(client)
    response = native_post(client, {"id_token": "garbage", "nonce": nonce})
    assert settings.SOCIAL_AUTH_LINE_SECRET not in response.content.decode()
