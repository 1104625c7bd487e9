import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from line_auth.exceptions import InvalidIdToken
from line_auth.internal.id_token import verify_web_id_token

CHANNEL_ID = "1234567890"
SECRET = "0123456789abcdef0123456789abcdef"


def verify(token, **overrides):
    arguments = {"channel_id": CHANNEL_ID, "channel_secret": SECRET,
                 "issuer": "https://access.line.me", "nonce": "expected-nonce", "leeway": 60}
    arguments.update(overrides)
    return verify_web_id_token(token, **arguments)


def test_a_genuine_token_gives_its_claims(id_token_factory):
    claims = verify(id_token_factory(email="taro@example.com"))
    assert claims["sub"] == "U" + "a" * 32
    assert claims["email"] == "taro@example.com"


def _unsigned(payload):
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(payload).encode()).decode()
    return f"{header}.{body}."


@pytest.mark.IT_02
@pytest.mark.IT_03
@pytest.mark.IT_04
@pytest.mark.IT_05
@pytest.mark.IT_06
@pytest.mark.IT_07
@pytest.mark.IT_09
@pytest.mark.IT_10
@pytest.mark.IT_11
@pytest.mark.IT_12
@pytest.mark.IT_14
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("alg_none", "algorithm"),
        ("other_secret", "bad signature"),
        ("es256", "algorithm"),
        ("wrong_iss", "wrong issuer"),
        ("wrong_aud", "wrong audience"),
        ("aud_list_with_extra", "audience"),
        ("expired", "expired"),
        ("iat_future", "future"),
        ("no_nonce", "nonce"),
        ("other_nonce", "nonce"),
        ("no_sub", "sub"),
        ("garbage", "malformed"),
        ("oversize", "too large"),
    ],
)
def test_forged_or_stale_tokens_are_refused(case, reason, id_token_factory):
    now = int(time.time())
    tokens = {
        "alg_none": lambda: _unsigned({"iss": "https://access.line.me", "sub": "U1", "aud": CHANNEL_ID,
                                       "exp": now + 60, "iat": now, "nonce": "expected-nonce"}),
        "other_secret": lambda: id_token_factory(key="f" * 32),
        "es256": lambda: id_token_factory(key=ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"),
        "wrong_iss": lambda: id_token_factory(iss="https://evil.example"),
        "wrong_aud": lambda: id_token_factory(aud="999"),
        "aud_list_with_extra": lambda: id_token_factory(aud=[CHANNEL_ID, "999"]),
        "expired": lambda: id_token_factory(exp=now - 3600, iat=now - 7200),
        "iat_future": lambda: id_token_factory(iat=now + 3600, exp=now + 7200),
        "no_nonce": lambda: id_token_factory(nonce=None),
        "other_nonce": lambda: id_token_factory(nonce="from-another-login"),
        "no_sub": lambda: id_token_factory(sub=None),
        "garbage": lambda: "not.a-token",
        "oversize": lambda: id_token_factory(name="x" * 10_000),
    }
    with pytest.raises(InvalidIdToken) as caught:
        verify(tokens[case]())
    assert reason in caught.value.reason


@pytest.mark.IT_02
def test_tampered_payload_with_a_valid_header_is_refused(id_token_factory):
    header, _payload, signature = id_token_factory().split(".")
    forged = jwt.utils.base64url_encode(b'{"sub":"Uattacker"}').decode()
    with pytest.raises(InvalidIdToken):
        verify(f"{header}.{forged}.{signature}")


@pytest.mark.IT_16
def test_max_age_requires_a_recent_auth_time(id_token_factory):
    now = int(time.time())
    assert verify(id_token_factory(auth_time=now - 10), max_age=300)
    with pytest.raises(InvalidIdToken, match="auth_time"):
        verify(id_token_factory(), max_age=300)
    with pytest.raises(InvalidIdToken, match="max_age"):
        verify(id_token_factory(auth_time=now - 3000), max_age=300)


@pytest.mark.NT_14
def test_an_unknown_critical_header_is_refused(id_token_factory):
    token = id_token_factory(headers={"crit": ["x-line-magic"], "x-line-magic": True})
    with pytest.raises(InvalidIdToken):
        verify(token)


@pytest.mark.NT_13
def test_a_key_in_the_header_changes_nothing(id_token_factory):
    """A web token signed with the attacker's secret stays refused whatever the header offers."""
    token = id_token_factory(key="attacker-secret-0123456789abcdef", headers={
        "jwk": {"kty": "oct", "k": "YXR0YWNrZXItc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY"},
        "jku": "https://evil.example/keys"})
    with pytest.raises(InvalidIdToken, match="bad signature"):
        verify(token)


@pytest.mark.parametrize(
    ("signed", "expected", "accepted"),
    [
        ("ノンス", "ノンス", True),
        ("\ud800", "\ud800", True),
        ("expected-nonce", "ノンス", False),
        ("ノンス", "expected-nonce", False),
        ("\ud800", "\udfff", False),
    ],
)
def test_a_non_ascii_nonce_is_compared_not_crashed_on(signed, expected, accepted, id_token_factory):
    """hmac.compare_digest raises TypeError on non-ASCII str; a 500 for the visitor."""
    token = id_token_factory(nonce=signed)
    if accepted:
        assert verify(token, nonce=expected)["nonce"] == signed
    else:
        with pytest.raises(InvalidIdToken, match="nonce mismatch"):
            verify(token, nonce=expected)
