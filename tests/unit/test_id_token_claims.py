"""Which claim an ID token is refused for, and where the clock-skew and max_age limits lie.

The refusal reason is what a developer reads in the log ("LINE ID token rejected: ...")
and in the admin, so each case pins the exact reason, not just that something failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from line_auth.exceptions import InvalidIdToken
from line_auth.internal import id_token
from line_auth.internal.id_token import verify_es256_id_token, verify_web_id_token

CHANNEL_ID = "1234567890"
SECRET = "0123456789abcdef0123456789abcdef"
ISSUER = "https://access.line.me"
ES256_KEY = ec.generate_private_key(ec.SECP256R1())


def web(token: str, **overrides) -> dict:
    arguments = {"channel_id": CHANNEL_ID, "channel_secret": SECRET, "issuer": ISSUER,
                 "nonce": "expected-nonce"}
    arguments.update(overrides)
    return verify_web_id_token(token, **arguments)


def native(token: str, **overrides) -> dict:
    arguments = {"key_for": lambda kid: ES256_KEY.public_key(), "audience": CHANNEL_ID, "issuer": ISSUER}
    arguments.update(overrides)
    return verify_es256_id_token(token, **arguments)


def es256_token(headers: dict | None = None, **claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "sub": "U" + "b" * 32, "aud": CHANNEL_ID, "exp": now + 3600, "iat": now}
    payload.update(claims)
    return jwt.encode(payload, ES256_KEY, algorithm="ES256", headers=headers)


def refusal(verify, token: str, **overrides) -> str:
    with pytest.raises(InvalidIdToken) as caught:
        verify(token, **overrides)
    return caught.value.reason


@pytest.fixture
def frozen_clock(monkeypatch):
    """Stop line_auth's own clock at a whole second, so limits can be tested to the second."""
    now = float(int(time.time()))
    monkeypatch.setattr(id_token.time, "time", lambda: now)
    return int(now)


# -- the exact reason for each refused claim --


def test_a_wrong_algorithm_is_named_in_the_reason(id_token_factory):
    token = id_token_factory(key=ES256_KEY, algorithm="ES256")
    assert refusal(web, token) == "algorithm 'ES256' where HS256 is required"
    assert refusal(native, id_token_factory()) == "algorithm 'HS256' where ES256 is required"


def test_each_refused_claim_has_its_own_reason(id_token_factory):
    assert refusal(web, id_token_factory(aud="999")) == "wrong audience"
    assert refusal(web, id_token_factory(aud=[CHANNEL_ID])) == "wrong audience"
    assert refusal(web, id_token_factory(nonce="from-another-login")) == "nonce mismatch"
    assert refusal(web, id_token_factory(iss="https://evil.example")) == "wrong issuer"
    assert refusal(web, id_token_factory(exp=None)) == "missing claim exp"
    assert refusal(web, id_token_factory(sub="")) == "missing claim sub"
    assert refusal(web, id_token_factory(), channel_secret="") == "no channel secret configured"


def test_a_several_audience_token_is_refused_even_when_the_caller_accepts_several(id_token_factory):
    token = es256_token(aud=[CHANNEL_ID, "999"])
    assert refusal(native, token, audience=[CHANNEL_ID, "999"]) == "wrong audience"


def test_a_native_token_from_another_channel_is_refused():
    assert refusal(native, es256_token(aud="999"), audience=[CHANNEL_ID, "555"]) == "wrong audience"
    assert native(es256_token(aud="555"), audience=[CHANNEL_ID, "555"])["aud"] == "555"


def with_header(token: str, **header) -> str:
    """The same token under another header (its signature no longer matters: it is refused first)."""
    _header, payload, signature = token.split(".")
    raw = jwt.utils.base64url_encode(json.dumps({"alg": "ES256", "typ": "JWT", **header}).encode()).decode()
    return f"{raw}.{payload}.{signature}"


@pytest.mark.parametrize("kid", [123, ["a"], {"k": "v"}, True])
def test_a_kid_that_is_not_a_string_is_refused_before_any_key_is_looked_up(kid):
    looked_up = []
    token = with_header(es256_token(), kid=kid)
    reason = refusal(native, token, key_for=lambda found: looked_up.append(found) or ES256_KEY.public_key())
    assert reason.startswith("malformed")
    assert looked_up == []


def test_the_kid_names_the_key_used():
    looked_up = []
    claims = native(es256_token(headers={"kid": "key-2"}),
                    key_for=lambda kid: looked_up.append(kid) or ES256_KEY.public_key())
    assert claims["sub"] == "U" + "b" * 32
    assert looked_up == ["key-2"]


# -- clock skew: 60 seconds by default --


def test_a_token_just_expired_is_accepted_within_the_default_leeway(id_token_factory):
    now = int(time.time())
    assert web(id_token_factory(exp=now - 30, iat=now - 600))
    assert native(es256_token(exp=now - 30, iat=now - 600))


def test_a_token_expired_a_minute_ago_is_refused_by_default(id_token_factory):
    now = int(time.time())
    assert refusal(web, id_token_factory(exp=now - 60, iat=now - 600)) == "expired"
    assert refusal(native, es256_token(exp=now - 60, iat=now - 600)) == "expired"


def test_the_leeway_is_configurable(id_token_factory):
    now = int(time.time())
    assert web(id_token_factory(exp=now - 200, iat=now - 600), leeway=300)
    assert refusal(web, id_token_factory(exp=now - 30, iat=now - 600), leeway=0) == "expired"


def test_an_iat_up_to_the_leeway_ahead_is_accepted_and_beyond_refused(frozen_clock, id_token_factory):
    assert web(id_token_factory(iat=frozen_clock + 60, exp=frozen_clock + 3600))
    assert native(es256_token(iat=frozen_clock + 60, exp=frozen_clock + 3600))
    assert refusal(web, id_token_factory(iat=frozen_clock + 61, exp=frozen_clock + 3600)) == "issued in the future"
    assert refusal(native, es256_token(iat=frozen_clock + 61, exp=frozen_clock + 3600)) == "issued in the future"


# -- max_age --


def test_an_authentication_exactly_max_age_plus_leeway_old_is_accepted(frozen_clock, id_token_factory):
    assert web(id_token_factory(auth_time=frozen_clock - 360), max_age=300, leeway=60)


def test_an_authentication_a_second_older_is_refused(frozen_clock, id_token_factory):
    token = id_token_factory(auth_time=frozen_clock - 361)
    assert refusal(web, token, max_age=300, leeway=60) == "authentication older than max_age"


def test_max_age_needs_an_integer_auth_time(id_token_factory):
    now = int(time.time())
    for auth_time in (None, True, str(now), float(now)):
        token = id_token_factory(auth_time=auth_time)
        assert refusal(web, token, max_age=300) == "missing claim auth_time"


def test_without_max_age_auth_time_is_not_needed(id_token_factory):
    assert web(id_token_factory(auth_time=1), max_age=None)["auth_time"] == 1


# -- the shape checks before any key is used --


@pytest.mark.parametrize("token", ["", None, 123, b"a.b.c"])
def test_no_token_is_missing(token):
    assert refusal(web, token) == "missing"


def test_the_size_limit_is_8192_characters():
    at_limit = "a" * 4095 + "." + "a" * 4095 + "."
    assert len(at_limit) == id_token.MAX_TOKEN_LENGTH
    assert refusal(web, at_limit) == "malformed"
    assert refusal(web, at_limit + "a") == "too large"


@pytest.mark.parametrize(
    "token", ["abc", "a.b", "a.b.c.d", "x.y.z", "W10.e30.x"],
    ids=["no-dot", "one-dot", "three-dots", "not-base64", "header-a-list"],
)
def test_what_is_not_a_jwt_is_malformed(token):
    assert refusal(web, token) == "malformed"


def test_a_signed_payload_that_is_not_json_is_malformed():
    signing_input = b".".join(
        jwt.utils.base64url_encode(part) for part in (b'{"alg":"HS256","typ":"JWT"}', b"not json")
    )
    signature = jwt.utils.base64url_encode(hmac.new(SECRET.encode(), signing_input, hashlib.sha256).digest())
    assert refusal(web, (signing_input + b"." + signature).decode()) == "malformed"
