"""Which of the keys LINE publishes verify a native ID token, and when the JWKS is fetched again.

LINE's JWKS document is the input here, so a stand-in client serves it and counts fetches.
"""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import cache

from line_auth.exceptions import InvalidIdToken
from line_auth.internal import jwks
from line_auth.internal.id_token import verify_es256_id_token

CHANNEL_ID = "1234567890"
ISSUER = "https://access.line.me"
LINE_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


class PublishedKeys:
    """LINE's ``/oauth2/v2.1/certs`` answering with ``document``."""

    def __init__(self, *keys: dict) -> None:
        self.document: dict = {"keys": list(keys)}
        self.fetches = 0

    def get_jwks(self) -> dict:
        self.fetches += 1
        return self.document


def jwk(private_key: ec.EllipticCurvePrivateKey, **fields) -> dict:
    published = jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    published.update({"alg": "ES256", "use": "sig"})
    published.update(fields)
    return {name: value for name, value in published.items() if value is not None}


@pytest.fixture
def line(monkeypatch):
    cache.clear()
    published = PublishedKeys()
    monkeypatch.setattr(jwks, "get_client", lambda: published)
    yield published
    cache.clear()


def token(private_key: ec.EllipticCurvePrivateKey = LINE_KEY, kid: str | None = "k1") -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "U" + "c" * 32, "aud": CHANNEL_ID, "exp": now + 600, "iat": now}
    return jwt.encode(claims, private_key, algorithm="ES256", headers={"kid": kid} if kid else None)


def verify(raw: str) -> dict:
    return verify_es256_id_token(raw, key_for=jwks.key_for, audience=CHANNEL_ID, issuer=ISSUER)


def reason(raw: str) -> str:
    with pytest.raises(InvalidIdToken) as caught:
        verify(raw)
    return caught.value.reason


def test_without_a_kid_the_only_published_key_is_used(line):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    assert verify(token(kid=None))["sub"] == "U" + "c" * 32


def test_without_a_kid_two_published_keys_are_ambiguous(line):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1"), jwk(OTHER_KEY, kid="k2")]
    assert reason(token(kid=None)) == "kid required: LINE publishes several keys"
    assert verify(token(kid="k1")) and verify(token(OTHER_KEY, kid="k2"))


@pytest.mark.parametrize(
    "unusable",
    [
        {"use": "enc"},
        {"alg": "ES384"},
        {"crv": "P-384"},
        {"kty": "RSA"},
        {"x": 12345},
        {"y": None},
    ],
    ids=["encryption-key", "other-alg", "other-curve", "other-type", "x-not-text", "no-y"],
)
def test_a_key_not_for_es256_signatures_is_never_used(line, unusable):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1", **unusable)]
    assert reason(token()) == "unknown key"


def test_use_and_alg_may_be_left_out(line):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1", use=None, alg=None)]
    assert verify(token())


def test_a_token_signed_with_another_key_under_a_known_kid_is_refused(line):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    assert reason(token(OTHER_KEY)) == "bad signature"


def test_an_unknown_kid_refetches_once_per_interval(line, settings):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    assert verify(token())
    line.document["keys"] = [jwk(LINE_KEY, kid="k1"), jwk(OTHER_KEY, kid="k2")]  # LINE adds a key
    assert verify(token(OTHER_KEY, kid="k2"))
    assert reason(token(kid="k3")) == "unknown key"
    assert line.fetches == 2


def test_an_early_fetch_made_by_another_process_is_not_repeated_within_the_interval(line):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    assert verify(token())
    assert reason(token(kid="k2")) == "unknown key"  # the one early fetch of this interval
    jwks.forget()  # now as another process: nothing in its memory, the throttle in the shared cache
    assert reason(token(kid="k3")) == "unknown key"
    assert line.fetches == 2


def test_an_unknown_kid_in_the_first_token_costs_one_fetch(line):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    assert reason(token(kid="k2")) == "unknown key"
    assert line.fetches == 1  # the copy just fetched is LINE's latest: no early refetch on top


def test_keys_one_process_fetched_serve_another_from_the_shared_cache(line):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    assert verify(token())
    jwks.forget()  # now as another process
    assert verify(token())
    assert line.fetches == 1


def test_with_no_refetch_interval_every_unknown_kid_refetches(line, settings):
    settings.LINE_AUTH_JWKS_REFETCH_INTERVAL = 0
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    assert verify(token())
    for attempt in range(3):
        assert reason(token(kid=f"unknown-{attempt}")) == "unknown key"
    assert line.fetches == 4


@pytest.mark.parametrize("document", [{}, {"keys": None}, {"keys": "k1"}, {"keys": {"k1": {}}}])
def test_a_jwks_without_a_list_of_keys_is_no_key_at_all(line, document):
    line.document = document
    assert reason(token()) == "unknown key"


def test_entries_that_are_not_keys_are_skipped(line):
    line.document["keys"] = ["k1", None, 7, jwk(LINE_KEY, kid="k1")]
    assert verify(token())


def test_the_keys_are_kept_for_the_cache_ttl(line, settings):
    line.document["keys"] = [jwk(LINE_KEY, kid="k1")]
    for _ in range(3):
        assert verify(token())
    assert line.fetches == 1
    settings.LINE_AUTH_JWKS_CACHE_TTL = 0
    cache.clear()
    for _ in range(3):
        assert verify(token())
    assert line.fetches == 4
