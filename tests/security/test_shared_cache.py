"""Several web processes sharing one Redis cache: a nonce, or a LIFF ID token sent without
one, is spent once, and a rate limit is one budget, however many processes count against it.

Needs Redis on 127.0.0.1:6379 (the CI script starts it); database LINE_AUTH_TEST_REDIS_DB.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from line_auth.exceptions import IdTokenReplayed, RateLimited
from line_auth.internal import liff_tokens, nonces, ratelimit

pytestmark = [pytest.mark.LA_03]

REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('LINE_AUTH_TEST_REDIS_DB', '1')}"
PROCESSES = 4
# Every process counts in the same fixed window, whenever it runs.
NOW = 1_800_000_000.0


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                     "LOCATION": REDIS_URL}}
    settings.LINE_AUTH_CACHE = "shared"
    caches["shared"].clear()
    yield caches["shared"]
    caches["shared"].clear()


def in_processes(function, arguments):
    """Run ``function`` over ``arguments`` in separate processes (forked: same settings)."""
    with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
        return pool.map(function, arguments)


def spend(nonce: str) -> bool:
    return nonces.consume(nonce)


def requests_allowed(count: int) -> int:
    request = RequestFactory().post("/accounts/line/native/nonce/", REMOTE_ADDR="192.0.2.1")
    allowed = 0
    for _ in range(count):
        try:
            ratelimit.check(request, "native_nonce", now=NOW)
        except RateLimited:
            continue
        allowed += 1
    return allowed


def test_a_nonce_is_spent_once_across_processes(redis_cache):
    nonce = nonces.issue()
    assert sorted(in_processes(spend, [nonce] * PROCESSES * 3)) == [False] * (PROCESSES * 3 - 1) + [True]


LIFF_CLAIMS = {"iss": "https://access.line.me", "sub": "U" + "c" * 32, "aud": "2100000002",
               "iat": int(NOW) - 5, "exp": int(NOW) + 3600}


def spend_liff_token(claims: dict) -> bool:
    try:
        liff_tokens.accept_once(claims, now=NOW)
    except IdTokenReplayed:
        return False
    return True


def test_a_liff_id_token_is_accepted_once_across_processes(redis_cache):
    spent = in_processes(spend_liff_token, [LIFF_CLAIMS] * PROCESSES * 3)
    assert sorted(spent) == [False] * (PROCESSES * 3 - 1) + [True]


def test_a_rate_limit_is_one_budget_across_processes(redis_cache, settings):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": {"per_address": 25, "overall": 1000}}
    assert sum(in_processes(requests_allowed, [20] * PROCESSES)) == 25
