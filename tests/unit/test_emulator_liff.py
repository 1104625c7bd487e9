"""The emulator's LIFF and LINE MINI App channels: what liff.getIDToken() and
liff.getAccessToken() hand an app, and what an openid-only consent lets a token read."""

from __future__ import annotations

import jwt
import requests

from line_auth.testing import LineEmulator
from line_auth.testing.liff import OPENID_ONLY
from line_auth.testing.state import LIFF_ACCESS_TOKEN_TTL

NOW = 1_800_000_000.0
API = "https://api.line.me"


def emulator() -> LineEmulator:
    line = LineEmulator(clock=lambda: NOW)
    line.add_liff_channel("2100000002", "2" * 32)
    line.add_liff_channel("2100000004", "4" * 32, scopes=OPENID_ONLY)
    return line


def test_a_liff_id_token_has_no_nonce_and_the_time_the_app_opened():
    line = emulator()
    user = line.add_user(name="Liff")
    session = line.liff_session(user, "2100000002", issued_ago=90)
    header = jwt.get_unverified_header(session.id_token)
    claims = jwt.decode(session.id_token, line.key_ring.public_key, algorithms=["ES256"], audience="2100000002",
                        options={"verify_exp": False, "verify_iat": False})
    assert header["alg"] == "ES256" and "nonce" not in claims
    assert (claims["sub"], claims["iat"], claims["name"]) == (user.user_id, int(NOW) - 90, "Liff")


def test_a_liff_access_token_lives_12_hours_for_the_channels_consent():
    line = emulator()
    with line.intercept():
        full = line.liff_session(line.add_user(), "2100000002").access_token
        narrow = line.liff_session(line.add_user(), "2100000004").access_token
        verified = [requests.get(f"{API}/oauth2/v2.1/verify", params={"access_token": token}, timeout=5).json()
                    for token in (full, narrow)]
    assert [answer["scope"] for answer in verified] == ["profile openid", "openid"]
    assert {answer["expires_in"] for answer in verified} == {LIFF_ACCESS_TOKEN_TTL}


def test_an_openid_only_id_token_carries_no_profile():
    line = emulator()
    session = line.liff_session(line.add_user(name="Hidden"), "2100000004")
    claims = jwt.decode(session.id_token, options={"verify_signature": False})
    assert "name" not in claims and "picture" not in claims
