"""Nonces handed to apps: accepted once, until the second they expire, and never an error.

The clock is injected (``now=``), so these tests do not depend on when they run.
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import signing

from line_auth.internal import nonces
from line_auth.internal.cache import shared_cache

ISSUED_AT = 1_000_000.0  # a fixed moment, in seconds since the epoch
TTL = 600  # LINE_AUTH_NONCE_TTL's default, which the test settings keep


@pytest.fixture(autouse=True)
def empty_cache():
    shared_cache().clear()
    yield
    shared_cache().clear()


def test_a_nonce_is_accepted_at_the_moment_given_not_the_wall_clock():
    nonce = nonces.issue(now=ISSUED_AT)
    assert nonces.consume(nonce, now=ISSUED_AT + 1) is True


def test_a_nonce_is_accepted_until_its_last_second_then_refused():
    last_chance = nonces.issue(now=ISSUED_AT)
    too_late = nonces.issue(now=ISSUED_AT)
    assert nonces.consume(last_chance, now=ISSUED_AT + TTL - 0.5) is True
    assert nonces.consume(too_late, now=ISSUED_AT + TTL) is False


def test_a_nonce_is_accepted_once():
    nonce = nonces.issue(now=ISSUED_AT)
    assert nonces.consume(nonce, now=ISSUED_AT + 1) is True
    assert nonces.consume(nonce, now=ISSUED_AT + 2) is False


def test_the_used_marker_is_kept_only_as_long_as_the_nonce_would_have_been_valid():
    """The cache holds one marker per spent nonce; it must go when the nonce expires."""
    nonce = nonces.issue(now=ISSUED_AT)
    cache = shared_cache()
    with mock.patch.object(cache, "add", wraps=cache.add) as add:
        assert nonces.consume(nonce, now=ISSUED_AT + 100.5)
    (_key, _value, timeout), _ = add.call_args
    assert timeout == TTL - 100


# "\ud800.x" has the shape of a signed value, but a lone surrogate cannot even be encoded to check it.
@pytest.mark.parametrize("nonce", [None, 12345, b"bytes", ["a"], "\ud800", "\ud800.x", "日本語.x", "x" * 300])
def test_anything_but_a_nonce_this_server_issued_is_refused_without_an_error(nonce):
    assert nonces.consume(nonce, now=ISSUED_AT) is False


def test_a_nonce_is_url_safe():
    """Apps pass it to the LINE SDK and LIFF, which put it in a URL."""
    assert re.fullmatch(r"[A-Za-z0-9_\-.]+", nonces.issue(now=ISSUED_AT))


def test_a_nonce_has_the_shape_the_docs_show():
    """docs/native-login.md: 32 base64url characters (24 random bytes), the expiry, the signature."""
    random_part, expires, signature = nonces.issue(now=ISSUED_AT).split(".")
    assert (len(random_part), expires, len(signature)) == (32, str(int(ISSUED_AT) + TTL), 43)


def test_a_value_signed_for_another_purpose_is_not_a_nonce():
    """Django's signer with its default salt signs other things; only our salt makes a nonce."""
    expires = int(ISSUED_AT) + TTL
    for signer in (signing.Signer(sep="."), signing.Signer()):
        assert nonces.consume(signer.sign(f"abcdefgh.{expires}"), now=ISSUED_AT) is False
