"""Floods of anonymous requests against the cache: nonces already handed to apps stay
usable, and LINE's keys and the refetch throttle survive losing their cache entries.

The suite's cache is Django's default LocMemCache, which keeps 300 entries: every
distinct client address adds a rate-limit counter, so a flood from many addresses
pushes older entries out, as a full shared cache would.
"""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from line_auth.internal import jwks

CERTS = "/oauth2/v2.1/certs"
CHANNEL = settings.SOCIAL_AUTH_LINE_KEY
NONCE_URL = "/accounts/line/native/nonce/"

pytestmark = [pytest.mark.django_db, pytest.mark.LA_03]
FLOOD = 1_000


def flood_nonce_endpoint() -> None:
    """FLOOD nonce requests, each from its own address (so no per-address limit applies)."""
    flooder = Client()
    for index in range(FLOOD):
        address = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
        assert flooder.post(NONCE_URL, REMOTE_ADDR=address).status_code == 200


def test_a_nonce_flood_leaves_a_nonce_already_issued_usable(
    assert_refused, native_post, new_nonce, client, line_emulator
):
    taro = line_emulator.add_user()
    handed_to_the_app = new_nonce(client)

    flood_nonce_endpoint()

    token = line_emulator.make_id_token(taro, CHANNEL, nonce=handed_to_the_app, alg="ES256")
    response = native_post(client, {"id_token": token, "nonce": handed_to_the_app})
    assert response.status_code == 200, response.content
    replayed = native_post(Client(), {"id_token": token, "nonce": handed_to_the_app})
    assert_refused(replayed, 401, "invalid_nonce", accounts=1)


def test_a_flood_that_evicts_lines_keys_from_the_cache_costs_no_fetch(sdk_login, client, line_emulator):
    assert sdk_login(client, line_emulator).status_code == 200
    assert line_emulator.count_calls(CERTS) == 1

    flood_nonce_endpoint()
    assert cache.get(jwks.CACHE_KEY) is None  # the flood did push the keys out of the cache

    for _ in range(5):
        assert sdk_login(Client(), line_emulator).status_code == 200
    assert line_emulator.count_calls(CERTS) == 1


def test_the_refetch_throttle_survives_losing_its_cache_entry(
    assert_refused, native_post, new_nonce, sdk_login, client, line_emulator
):
    assert sdk_login(client, line_emulator).status_code == 200
    line_emulator.rotate_es256_key()
    assert sdk_login(Client(), line_emulator).status_code == 200  # one early fetch for the new kid
    assert line_emulator.count_calls(CERTS) == 2

    flood_nonce_endpoint()
    assert cache.get(jwks.REFETCH_KEY) is None and cache.get(jwks.CACHE_KEY) is None

    stranger = ec.generate_private_key(ec.SECP256R1())
    for index in range(10):
        nonce = new_nonce(client)
        now = int(time.time())
        claims = {"iss": "https://access.line.me", "sub": "U" + "b" * 32, "aud": CHANNEL,
                  "iat": now, "exp": now + 600, "nonce": nonce}
        token = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": f"random-{index}"})
        assert_refused(native_post(client, {"id_token": token, "nonce": nonce}), 401, "invalid_id_token", accounts=2)
    assert line_emulator.count_calls(CERTS) == 2


def test_the_shared_copy_wins_over_this_process_memory(sdk_login, client, line_emulator):
    """Another process refreshed the keys after a rotation: this one uses its copy, no fetch."""
    assert sdk_login(client, line_emulator).status_code == 200
    line_emulator.rotate_es256_key()
    cache.set(jwks.CACHE_KEY, {**line_emulator.jwks, "fetched_at": time.time()})
    assert sdk_login(Client(), line_emulator).status_code == 200
    assert line_emulator.count_calls(CERTS) == 1
