"""The LINE Platform emulator behaves as the spec sheet says LINE does."""

from __future__ import annotations

import ast
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import override_settings
from jwt.algorithms import RSAAlgorithm

from line_auth.testing import Channel, EmulatedUser, EmulatorError, LineEmulator, UnemulatedHostError, mask
from line_auth.testing import app as emulator_app
from line_auth.testing.app import EmulatorApp
from line_auth.testing.holds import ARRIVAL_TIMEOUT
from line_auth.testing.platform_state import PlatformState
from line_auth.testing.server import main as serve_main
from line_auth.testing.server import serve
from line_auth.testing.transport import intercept

CHANNEL_ID = "1234567890"
SECRET = "0123456789abcdef0123456789abcdef"
CALLBACK = "https://client.example/line/callback"
ACCESS = "https://access.line.me"
API = "https://api.line.me"
TOKEN = "/oauth2/v2.1/token"
# The PKCE pair from LINE's documentation (spec §8).
VERIFIER = "wJKN8qz5t8SSI9lMFhBB6qwNkQBkuPZoCxzRhwLRUo1"
CHALLENGE = "BSCQwo_m8Wf0fpjmwkIKmPAJ1A7tiuRSNDnXzODS7QI"
DAY = 24 * 3600


@pytest.fixture
def emu():
    started = time.time()  # the emulated clock stands still unless a test advances it
    emulator = LineEmulator(clock=lambda: started)
    emulator.add_channel(CHANNEL_ID, SECRET, callback_urls=[CALLBACK])
    with emulator.intercept():
        yield emulator


def auth_url(base: str = ACCESS, **overrides: str | None) -> str:
    params = {
        "response_type": "code",
        "client_id": CHANNEL_ID,
        "redirect_uri": CALLBACK,
        "state": "s7a7e",
        "scope": "profile openid",
        "nonce": "n0nce",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return f"{base}/oauth2/v2.1/authorize?" + urlencode(
        {k: v for k, v in params.items() if v is not None}
    )


def exchange(code: str | None, api: str = API, **overrides: str | None) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": CHANNEL_ID,
        "client_secret": SECRET,
        "code_verifier": VERIFIER,
    }
    data.update(overrides)
    return requests.post(
        f"{api}{TOKEN}", data={k: v for k, v in data.items() if v is not None}, timeout=5
    )


def login(emu: LineEmulator, user=None, **params: str | None) -> dict:
    result = emu.authorize(auth_url(**params), user)
    response = exchange(result.code)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


# The authorization code flow -------------------------------------------------


def test_full_code_flow_in_process(emu):
    taro = emu.add_user(name="Taro Line", email="taro@example.com")
    emu.set_friend(taro.user_id, CHANNEL_ID, True)
    result = emu.authorize(auth_url(scope="profile openid email"), taro)
    assert result.method == "GET" and result.params["state"] == "s7a7e"
    assert result.url.startswith(CALLBACK + "?code=")

    response = exchange(result.code)
    assert response.status_code == 200 and response.headers["x-line-request-id"]
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 30 * DAY
    assert tokens["scope"] == "profile openid"  # never echoes email
    assert len(tokens["refresh_token"]) == 20
    assert tokens["access_token"].startswith("eyJhbGciOiJIUzI1NiJ9.")

    claims = jwt.decode(
        tokens["id_token"],
        SECRET,
        algorithms=["HS256"],
        audience=CHANNEL_ID,
        issuer="https://access.line.me",
    )
    assert jwt.get_unverified_header(tokens["id_token"]) == {"alg": "HS256", "typ": "JWT"}
    assert claims["sub"] == taro.user_id and claims["nonce"] == "n0nce"
    assert claims["exp"] - claims["iat"] == 3600
    assert (claims["name"], claims["email"], claims["amr"]) == (
        "Taro Line",
        "taro@example.com",
        ["pwd"],
    )

    token = tokens["access_token"]
    profile = requests.get(f"{API}/v2/profile", headers=bearer(token), timeout=5).json()
    assert profile == {
        "userId": taro.user_id,
        "displayName": "Taro Line",
        "pictureUrl": taro.picture_url,
    }
    userinfo = requests.post(f"{API}/oauth2/v2.1/userinfo", headers=bearer(token), timeout=5).json()
    assert userinfo == {"sub": taro.user_id, "name": "Taro Line", "picture": taro.picture_url}
    friendship = requests.get(f"{API}/friendship/v1/status", headers=bearer(token), timeout=5)
    assert friendship.json() == {"friendFlag": True}
    verified = requests.get(
        f"{API}/oauth2/v2.1/verify", params={"access_token": token}, timeout=5
    ).json()
    assert verified["client_id"] == CHANNEL_ID and 0 < verified["expires_in"] <= 30 * DAY
    assert [call.path for call in emu.calls] == [
        TOKEN,
        "/v2/profile",
        "/oauth2/v2.1/userinfo",
        "/friendship/v1/status",
        "/oauth2/v2.1/verify",
    ]


def test_scopes_limit_what_each_api_returns(emu):
    user = emu.add_user(picture_url=None)
    tokens = login(emu, user, scope="openid")
    assert "name" not in jwt.decode(tokens["id_token"], options={"verify_signature": False})
    token = tokens["access_token"]
    assert requests.get(f"{API}/oauth2/v2.1/userinfo", headers=bearer(token), timeout=5).json() == {
        "sub": user.user_id
    }
    denied = requests.get(f"{API}/v2/profile", headers=bearer(token), timeout=5)
    assert denied.status_code == 401 and "message" in denied.json()

    no_openid = login(emu, user, scope="profile")
    assert "id_token" not in no_openid
    profile = requests.get(
        f"{API}/v2/profile", headers=bearer(no_openid["access_token"]), timeout=5
    )
    assert "pictureUrl" not in profile.json()


def test_pkce_mismatch_is_invalid_grant(emu):
    result = emu.authorize(auth_url(), emu.add_user())
    assert error_of(exchange(result.code, code_verifier="x" * 43))[:2] == (400, "invalid_grant")


def test_code_is_single_use_and_expires_after_ten_minutes(emu):
    result = emu.authorize(auth_url(), emu.add_user())
    assert exchange(result.code).status_code == 200
    assert error_of(exchange(result.code))[:2] == (400, "invalid_grant")

    late = emu.authorize(auth_url(), emu.add_user())
    emu.advance(601)
    assert error_of(exchange(late.code))[:2] == (400, "invalid_grant")


def test_redirect_uri_rules(emu):
    with pytest.raises(EmulatorError):
        emu.authorize(auth_url(redirect_uri="https://evil.example/cb"))
    with pytest.raises(EmulatorError):
        emu.authorize(auth_url(client_id="999"))
    # A registered callback with extra query parameters is allowed (spec §3.2)...
    extra = CALLBACK + "?next=%2Fhome"
    result = emu.authorize(auth_url(redirect_uri=extra), emu.add_user())
    assert result.url.startswith(extra + "&code=")
    # ...but the token request must repeat it exactly.
    assert error_of(exchange(result.code))[:2] == (400, "invalid_grant")
    page = requests.get(
        auth_url(redirect_uri="https://evil.example/cb"), allow_redirects=False, timeout=5
    )
    assert page.status_code == 400 and "text/html" in page.headers["Content-Type"]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "UNSUPPORTED_RESPONSE_TYPE"),
        ({"scope": "email"}, "INVALID_SCOPE"),
        ({"scope": "profile email"}, "INVALID_SCOPE"),
        ({"code_challenge_method": "plain"}, "INVALID_REQUEST"),
        ({"prompt": "sometimes"}, "INVALID_REQUEST"),
        ({"bot_prompt": "always"}, "INVALID_REQUEST"),
        ({"max_age": "soon"}, "INVALID_REQUEST"),
        ({"state": None}, "INVALID_REQUEST"),
    ],
)
def test_invalid_parameters_redirect_with_an_error(emu, overrides, error):
    result = emu.authorize(auth_url(**overrides), emu.add_user())
    assert result.params["error"] == error and result.code is None
    assert result.params.get("state") == overrides.get("state", "s7a7e")


def test_error_codes_follow_error_case(emu):
    assert emu.authorize(auth_url(), outcome="deny").params == {
        "error": "ACCESS_DENIED",
        "error_description": "The resource owner denied the request.",
        "state": "s7a7e",
    }
    emu.error_case = "lower"
    assert emu.authorize(auth_url(), outcome="server_error").params["error"] == "server_error"


def test_auto_login_failure_returns_unusable_code_and_state_unless_disabled(emu):
    user = emu.add_user()
    failed = emu.authorize(auth_url(), user, outcome="auto_login_failure")
    assert failed.params["state"] != "s7a7e" and failed.code is None
    assert error_of(exchange(failed.params["code"]))[:2] == (400, "invalid_grant")

    retried = emu.authorize(auth_url(disable_auto_login="true"), user, outcome="auto_login_failure")
    assert retried.params["state"] == "s7a7e"
    assert exchange(retried.code).status_code == 200


def test_prompt_none_needs_earlier_consent(emu):
    user = emu.add_user()
    assert emu.authorize(auth_url(prompt="none"), user).params["error"] == "LOGIN_REQUIRED"
    login(emu, user)
    assert emu.authorize(auth_url(prompt="none"), user).code


def test_form_post_result(emu):
    result = emu.authorize(auth_url(response_mode="form_post"), emu.add_user())
    assert (result.method, result.url) == ("POST", CALLBACK)
    assert result.form == result.params and result.form["state"] == "s7a7e"
    assert exchange(result.form["code"]).status_code == 200


def test_friendship_status_changed_only_when_the_option_was_shown(emu):
    user = emu.add_user()
    assert "friendship_status_changed" not in emu.authorize(auth_url(), user).params
    added = emu.authorize(auth_url(bot_prompt="normal"), user, add_friend=True)
    assert added.params["friendship_status_changed"] == "true" and emu.is_friend(
        user.user_id, CHANNEL_ID
    )
    # Already a friend: the option is not shown, so LINE sends no parameter.
    assert (
        "friendship_status_changed"
        not in emu.authorize(auth_url(bot_prompt="aggressive"), user).params
    )


def test_consent_page_and_form_post_over_http(emu):
    existing = emu.add_user(name="Hanako")
    url = auth_url(response_mode="form_post", bot_prompt="normal", scope="profile openid email")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    for snippet in (
        "Hanako",
        'name="emulator_add_friend"',
        'name="emulator_grant_email"',
        'value="approve"',
        'value="deny"',
        "Simulate auto-login failure",
        "Server error",
    ):
        assert snippet in page.text
    hidden = dict(parse_qs(urlsplit(url).query))
    form = {name: values[0] for name, values in hidden.items()}
    answer = requests.post(
        f"{ACCESS}/oauth2/v2.1/authorize/consent",
        data={**form, "action": "approve", "emulator_user": existing.user_id},
        timeout=5,
    )
    assert answer.status_code == 200 and "<noscript>" in answer.text
    assert f'action="{CALLBACK}"' in answer.text and 'name="code"' in answer.text
    hidden_page = requests.get(auth_url(disable_auto_login="true"), timeout=5).text
    assert (
        "Simulate auto-login failure" not in hidden_page
        and "emulator_add_friend" not in hidden_page
    )


def test_consent_cookie_enables_prompt_none_in_the_same_browser(emu):
    browser = requests.Session()
    form = {name: values[0] for name, values in parse_qs(urlsplit(auth_url()).query).items()}
    consent = browser.post(
        f"{ACCESS}/oauth2/v2.1/authorize/consent",
        data={**form, "action": "approve", "emulator_new_name": "Jiro"},
        allow_redirects=False,
        timeout=5,
    )
    assert consent.status_code == 302 and "code=" in consent.headers["Location"]
    silent = browser.get(auth_url(prompt="none"), allow_redirects=False, timeout=5)
    assert "code=" in silent.headers["Location"]
    stranger = requests.get(auth_url(prompt="none"), allow_redirects=False, timeout=5)
    assert "error=LOGIN_REQUIRED" in stranger.headers["Location"]


# Client authentication -------------------------------------------------------


def test_client_secret_is_required_for_web_only_channels(emu):
    result = emu.authorize(auth_url(), emu.add_user())
    assert error_of(exchange(result.code, client_secret=None))[:2] == (400, "invalid_client")
    assert error_of(exchange(result.code, client_secret="wrong"))[:2] == (400, "invalid_client")


def test_mobile_channels_exchange_with_pkce_alone_and_get_es256(emu):
    emu.add_channel("2000000000", "m" * 32, app_types=("mobile", "web"))
    url = auth_url(client_id="2000000000")
    result = emu.authorize(url, emu.add_user())
    response = exchange(
        result.code, client_id="2000000000", client_secret=None, id_token_key_type="JWK"
    )
    assert response.status_code == 200, response.text
    id_token = response.json()["id_token"]
    jwks = requests.get(f"{API}/oauth2/v2.1/certs", timeout=5).json()
    header = jwt.get_unverified_header(id_token)
    assert header["alg"] == "ES256" and header["kid"] == emu.es256_kid
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(id_token, key, algorithms=["ES256"], audience="2000000000")
    assert claims["iss"] == "https://access.line.me"


# Refresh, revoke, deauthorize ------------------------------------------------


def refresh(refresh_token: str) -> requests.Response:
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CHANNEL_ID,
        "client_secret": SECRET,
    }
    return requests.post(f"{API}{TOKEN}", data=data, timeout=5)


def test_refresh_keeps_the_refresh_token_until_ninety_days_after_login(emu):
    tokens = login(emu, emu.add_user())
    emu.advance(60 * DAY)
    renewed = refresh(tokens["refresh_token"])
    assert renewed.status_code == 200
    body = renewed.json()
    assert body["refresh_token"] == tokens["refresh_token"] and body["expires_in"] == 30 * DAY
    assert "id_token" not in body and body["access_token"] != tokens["access_token"]
    emu.advance(31 * DAY)
    assert error_of(refresh(tokens["refresh_token"])) == (
        400,
        "invalid_grant",
        "invalid refresh token",
    )


def test_revoke_ends_the_access_and_refresh_tokens(emu):
    tokens = login(emu, emu.add_user())
    data = {
        "access_token": tokens["access_token"],
        "client_id": CHANNEL_ID,
        "client_secret": SECRET,
    }
    revoked = requests.post(f"{API}/oauth2/v2.1/revoke", data=data, timeout=5)
    assert revoked.status_code == 200 and revoked.content == b""
    check = requests.get(
        f"{API}/oauth2/v2.1/verify", params={"access_token": tokens["access_token"]}, timeout=5
    )
    assert error_of(check) == (400, "invalid_request", "The access token revoked")
    assert error_of(refresh(tokens["refresh_token"]))[1] == "invalid_grant"


def channel_token() -> str:
    data = {"grant_type": "client_credentials", "client_id": CHANNEL_ID, "client_secret": SECRET}
    response = requests.post(f"{API}/oauth2/v3/token", data=data, timeout=5)
    assert response.json()["expires_in"] == 900
    return response.json()["access_token"]


def test_deauthorize_unlinks_once(emu):
    user = emu.add_user()
    tokens = login(emu, user)
    body = {"userAccessToken": tokens["access_token"]}
    headers = bearer(channel_token())
    first = requests.post(f"{API}/user/v1/deauthorize", json=body, headers=headers, timeout=5)
    assert first.status_code == 204 and first.content == b""
    second = requests.post(f"{API}/user/v1/deauthorize", json=body, headers=headers, timeout=5)
    assert (second.status_code, second.json()) == (400, {"message": "invalid token"})
    assert error_of(refresh(tokens["refresh_token"]))[1] == "invalid_grant"
    assert emu.authorize(auth_url(prompt="none"), user).params["error"] == "LOGIN_REQUIRED"
    bad = requests.post(f"{API}/user/v1/deauthorize", json=body, headers=bearer("nope"), timeout=5)
    assert bad.status_code == 401 and "message" in bad.json()


# Several channels: each token belongs to the channel that issued it ------------------

OTHER_ID, OTHER_SECRET = "2000000002", "fedcba9876543210fedcba9876543210"


def test_a_token_of_one_channel_is_refused_with_another_channels_credentials(emu):
    emu.add_channel(OTHER_ID, OTHER_SECRET)
    tokens = login(emu, emu.add_user())
    other = {"client_id": OTHER_ID, "client_secret": OTHER_SECRET}

    refreshed = requests.post(f"{API}{TOKEN}", data={"grant_type": "refresh_token",
                                                      "refresh_token": tokens["refresh_token"], **other}, timeout=5)
    assert error_of(refreshed)[:2] == (400, "invalid_grant")
    requests.post(f"{API}/oauth2/v2.1/revoke", data={"access_token": tokens["access_token"], **other}, timeout=5)
    verified = requests.get(f"{API}/oauth2/v2.1/verify", params={"access_token": tokens["access_token"]}, timeout=5)
    assert verified.json()["client_id"] == CHANNEL_ID  # not revoked by the other channel
    other_token = requests.post(f"{API}/oauth2/v3/token", data={"grant_type": "client_credentials", **other},
                                timeout=5).json()["access_token"]
    deauthorized = requests.post(f"{API}/user/v1/deauthorize", json={"userAccessToken": tokens["access_token"]},
                                 headers=bearer(other_token), timeout=5)
    assert (deauthorized.status_code, deauthorized.json()) == (400, {"message": "invalid token"})
    assert refresh(tokens["refresh_token"]).status_code == 200  # still alive for its own channel


def test_channels_of_one_provider_see_one_user_id_and_other_providers_another(emu):
    emu.add_channel("2000000002", OTHER_SECRET)  # the default provider, like CHANNEL_ID
    emu.add_channel("2000000003", OTHER_SECRET, provider="brand-b")
    emu.add_channel("2000000004", OTHER_SECRET, provider="brand-b")
    taro, hanako = emu.add_user(), emu.add_user()

    assert emu.user_id_for(taro, CHANNEL_ID) == emu.user_id_for(taro, "2000000002") == taro.user_id
    brand_b = emu.user_id_for(taro, "2000000003")
    assert brand_b == emu.user_id_for(taro, "2000000004") != taro.user_id
    assert brand_b != emu.user_id_for(hanako, "2000000003")
    assert re.fullmatch(r"U[0-9a-f]{32}", brand_b)
    tokens = emu.issue_tokens(taro, "2000000003", scope="profile openid", id_token_alg="HS256")
    assert jwt.decode(tokens["id_token"], OTHER_SECRET, algorithms=["HS256"], audience="2000000003")["sub"] == brand_b
    profile = requests.get(f"{API}/v2/profile", headers=bearer(tokens["access_token"]), timeout=5).json()
    assert profile["userId"] == brand_b


# The stateless channel access token (/oauth2/v3/token) ----------------------------

V3_TOKEN = "/oauth2/v3/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
BAD_CLIENT_CREDENTIALS = {
    "error": "invalid_request",
    "error_description": "Invalid 'client_credentials'.",
}


@pytest.fixture(scope="module")
def assertion_key():
    """An Assertion Signing Key pair as LINE's console asks for: RSA 2048, RS256, sig."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True) | {"alg": "RS256", "use": "sig"}
    return private, public


def assertion(emu: LineEmulator, key, kid: str, **claims) -> str:
    now = int(emu.now())
    payload = {"iss": CHANNEL_ID, "sub": CHANNEL_ID, "aud": "https://api.line.me/", "exp": now + 1800}
    payload = {name: value for name, value in (payload | claims).items() if value is not None}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def v3_token(**data: str) -> requests.Response:
    return requests.post(f"{API}{V3_TOKEN}", data={"grant_type": "client_credentials", **data}, timeout=5)


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_id": CHANNEL_ID, "client_secret": "f" * 32},
        {"client_id": "9999999999", "client_secret": SECRET},
        {"client_id": CHANNEL_ID},
    ],
)
def test_channel_token_refuses_bad_channel_credentials_as_line_documents(emu, credentials):
    response = v3_token(**credentials)
    assert (response.status_code, response.json()) == (400, BAD_CLIENT_CREDENTIALS)
    assert emu.issued_secrets() == {SECRET}  # no channel token was issued


def test_channel_token_from_a_jwt_assertion_unlinks_a_user(emu, assertion_key):
    private, public = assertion_key
    kid = emu.add_assertion_key(CHANNEL_ID, public)
    user = emu.add_user()
    tokens = login(emu, user)
    signed = assertion(emu, private, kid)
    issued = v3_token(client_assertion_type=ASSERTION_TYPE, client_assertion=signed)
    assert issued.status_code == 200, issued.text
    assert emu.calls[-1].sent("client_assertion") == mask(signed)  # a credential: never recorded
    assert issued.json()["token_type"] == "Bearer" and issued.json()["expires_in"] == 900
    unlinked = requests.post(
        f"{API}/user/v1/deauthorize",
        json={"userAccessToken": tokens["access_token"]},
        headers=bearer(issued.json()["access_token"]),
        timeout=5,
    )
    assert unlinked.status_code == 204


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"exp": -1}, 400),  # expired (seconds from now)
        ({"exp": 1801}, 400),  # an assertion may live 30 minutes at most
        ({"exp": None}, 400),
        ({"aud": "https://api.line.me/oauth2/v3/token"}, 400),
        ({"sub": "9999999999"}, 400),
        ({"iss": "9999999999", "sub": "9999999999"}, 400),  # no such channel
        ({"kid": "not-registered"}, 404),
        ({"signed_by": "another key"}, 400),
        ({"assertion_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}, 400),
    ],
)
def test_channel_token_refuses_a_bad_assertion(emu, assertion_key, change, status):
    private, public = assertion_key
    kid = change.pop("kid", None) or emu.add_assertion_key(CHANNEL_ID, public)
    key = private
    if change.pop("signed_by", None):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assertion_type = change.pop("assertion_type", ASSERTION_TYPE)
    if isinstance(change.get("exp"), int):
        change["exp"] += int(emu.now())
    response = v3_token(
        client_assertion_type=assertion_type, client_assertion=assertion(emu, key, kid, **change)
    )
    expected = (
        BAD_CLIENT_CREDENTIALS
        if status == 400
        else {"message": "Cannot find channel key that satisfies the conditions"}
    )
    assert (response.status_code, response.json()) == (status, expected)
    assert emu.issued_secrets() == {SECRET}


def test_the_console_accepts_only_rs256_2048_bit_signing_keys(emu, assertion_key):
    _, public = assertion_key
    bare = {name: value for name, value in public.items() if name not in ("alg", "use", "key_ops")}
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    for refused in (
        bare | {"alg": "RS512", "use": "sig"},
        bare | {"alg": "RS256"},
        bare | {"alg": "RS256", "use": "enc"},
        bare | {"alg": "RS256", "key_ops": ["verify", "sign"]},
        RSAAlgorithm.to_jwk(small, as_dict=True) | {"alg": "RS256", "use": "sig"},
    ):
        with pytest.raises(EmulatorError, match="Assertion Signing Key"):
            emu.add_assertion_key(CHANNEL_ID, refused)
    by_use = emu.add_assertion_key(CHANNEL_ID, bare | {"alg": "RS256", "use": "sig"})
    by_key_ops = emu.add_assertion_key(CHANNEL_ID, bare | {"alg": "RS256", "key_ops": ["verify"]})
    assert by_use != by_key_ops


# LIFF --------------------------------------------------------------------------------


def test_a_liff_access_token_lasts_twelve_hours(emu):
    user = emu.add_user()
    token = emu.liff_access_token(user, CHANNEL_ID)

    def verify() -> requests.Response:
        return requests.get(f"{API}/oauth2/v2.1/verify", params={"access_token": token}, timeout=5)

    assert verify().json() == {"scope": "profile openid", "client_id": CHANNEL_ID, "expires_in": 43200}
    assert requests.get(f"{API}/v2/profile", headers=bearer(token), timeout=5).status_code == 200
    emu.advance(43199)
    assert verify().json()["expires_in"] == 1
    emu.advance(1)
    assert error_of(verify()) == (400, "invalid_request", "The access token expired")
    assert requests.get(f"{API}/v2/profile", headers=bearer(token), timeout=5).status_code == 401


# Verify endpoints --------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "form", "description"),
    [
        ({}, {"nonce": "n0nce", "user_id": None}, None),
        ({"iss": "https://evil.example"}, {}, "Invalid IdToken Issuer."),
        ({"aud": "42"}, {}, "Invalid IdToken Audience."),
        ({}, {"nonce": "other"}, "Invalid IdToken Nonce."),
        ({}, {"user_id": "U" + "0" * 32}, "Invalid IdToken Subject Identifier."),
    ],
)
def test_verify_id_token(emu, claims, form, description):
    user = emu.add_user()
    id_token = emu.make_id_token(user, CHANNEL_ID, nonce="n0nce", **claims)
    data = {"id_token": id_token, "client_id": CHANNEL_ID, **form}
    if data.get("user_id", "") is None:
        data["user_id"] = user.user_id
    response = requests.post(f"{API}/oauth2/v2.1/verify", data=data, timeout=5)
    if description is None:
        assert response.status_code == 200 and response.json()["sub"] == user.user_id
    else:
        assert error_of(response) == (400, "invalid_request", description)


def test_verify_id_token_signature_expiry_and_rotation(emu):
    user = emu.add_user()

    def verify(id_token: str) -> requests.Response:
        return requests.post(
            f"{API}/oauth2/v2.1/verify",
            data={"id_token": id_token, "client_id": CHANNEL_ID},
            timeout=5,
        )

    forged = jwt.encode(
        {"iss": "https://access.line.me", "aud": CHANNEL_ID}, "f" * 32, algorithm="HS256"
    )
    assert error_of(verify(forged))[2] == "Invalid IdToken."
    es256 = emu.make_id_token(user, CHANNEL_ID, alg="ES256")
    assert verify(es256).status_code == 200
    old_kid = emu.es256_kid
    assert emu.rotate_es256_key() != old_kid and [k["kid"] for k in emu.jwks["keys"]] == [
        emu.es256_kid
    ]
    assert error_of(verify(es256))[2] == "Invalid IdToken."
    hs256 = emu.make_id_token(user, CHANNEL_ID)
    emu.advance(3601)
    assert error_of(verify(hs256))[2] == "IdToken expired."


def test_verify_access_token_errors(emu):
    tokens = login(emu, emu.add_user())

    def verify(token: str) -> requests.Response:
        return requests.get(f"{API}/oauth2/v2.1/verify", params={"access_token": token}, timeout=5)

    assert error_of(verify("not-a-token"))[2] == "The access token not JWS"
    emu.advance(30 * DAY + 1)
    assert error_of(verify(tokens["access_token"]))[2] == "The access token expired"


def test_issue_tokens_and_discovery(emu):
    user = emu.add_user()
    tokens = emu.issue_tokens(user, CHANNEL_ID, nonce="liff")
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "ES256"
    assert requests.get(f"{API}/v2/profile", headers=bearer(tokens["access_token"]), timeout=5).ok
    config = requests.get(f"{ACCESS}/.well-known/openid-configuration", timeout=5).json()
    assert config["issuer"] == "https://access.line.me"
    assert config["jwks_uri"] == f"{API}/oauth2/v2.1/certs"


# Fault injection ----------------------------------------------------------------


def test_fail_next_status_html_and_truncated(emu):
    emu.fail_next("/v2/profile", status=429, body='{"message":"rate limit"}', times=2)
    emu.fail_next(TOKEN, kind="html", status=502)
    emu.fail_next(TOKEN, kind="truncated")
    for _ in range(2):
        limited = requests.get(f"{API}/v2/profile", timeout=5)
        assert (limited.status_code, limited.json()) == (429, {"message": "rate limit"})
        assert limited.headers["x-line-request-id"]
    assert requests.get(f"{API}/v2/profile", timeout=5).status_code == 401  # back to normal

    result = emu.authorize(auth_url(), emu.add_user())
    html = exchange(result.code)
    assert html.status_code == 502 and html.headers["Content-Type"].startswith("text/html")
    truncated = exchange(emu.authorize(auth_url(), emu.add_user()).code)
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        json.loads(truncated.text)
    assert emu.count_calls(TOKEN) == 2 and emu.count_calls() == 5


def test_fail_next_network_kinds_and_method_filter(emu):
    emu.fail_next(TOKEN, kind="timeout")
    emu.fail_next("/oauth2/v2.1/verify", kind="connection_refused", method="POST")
    with pytest.raises(requests.exceptions.ReadTimeout):
        exchange("anything")
    assert (
        requests.get(
            f"{API}/oauth2/v2.1/verify", params={"access_token": "x"}, timeout=5
        ).status_code
        == 400
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"{API}/oauth2/v2.1/verify", data={}, timeout=5)
    assert [call.status for call in emu.calls] == [0, 400, 0]


def test_intercept_refuses_hosts_it_does_not_emulate_and_names_them():
    emulator = LineEmulator()
    with emulator.intercept("http://line.test/api"):
        assert requests.get("http://line.test/api/oauth2/v2.1/certs", timeout=5).json()["keys"]
        with pytest.raises(UnemulatedHostError, match=r"'api\.line\.me\.example\.org'"):
            requests.get("https://api.line.me.example.org/v2/profile", timeout=5)
        with pytest.raises(UnemulatedHostError, match="'line.test'.*passthrough"):
            requests.post("http://line.test/apix", timeout=5)  # not under the emulated prefix
    assert emulator.calls and all(call.host == "line.test" for call in emulator.calls)
    assert type(requests.Session().get_adapter(f"{API}/v2/profile")).__name__ == "HTTPAdapter"


def test_passthrough_lets_only_the_hosts_asked_for_reach_the_network():
    some = LineEmulator(passthrough=["http://127.0.0.1:9"])
    with some.intercept():
        assert type(requests.Session().get_adapter("http://127.0.0.1:9/x")).__name__ == "HTTPAdapter"
        with pytest.raises(UnemulatedHostError, match="'example.org'"):
            requests.get("https://example.org/", timeout=5)
    every = LineEmulator(passthrough=True)
    with every.intercept():
        assert type(requests.Session().get_adapter("https://example.org/")).__name__ == "HTTPAdapter"
        assert type(requests.Session().get_adapter(f"{API}/v2/profile")).__name__ == "WsgiAdapter"


# A piece other projects can use ------------------------------------------------------------


def test_the_constructor_configures_everything(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(emulator_app.time, "sleep", slept.append)
    hanako = EmulatedUser("U" + "1" * 32, "Hanako")
    emulator = LineEmulator(
        [Channel(CHANNEL_ID, SECRET, [CALLBACK], app_types=("mobile",), has_bot=False)],
        [hanako],
        access_base_url="http://login.test/",
        api_base_url="http://api.test",
        error_case="lower",
        latency=0.25,
        clock=lambda: 1_000_000.0,
    )
    with emulator.intercept():
        denied = emulator.authorize(auth_url(base="http://login.test"), hanako, outcome="deny")
        assert denied.params["error"] == "access_denied"
        approved = emulator.authorize(auth_url(base="http://login.test", bot_prompt="normal"), hanako)
        assert "friendship_status_changed" not in approved.params  # no bot linked
        tokens = exchange(approved.code, api="http://api.test", client_secret=None).json()
        assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["iat"] == 1_000_000
    assert slept == [0.25]
    with pytest.raises(EmulatorError, match="error_case"):
        LineEmulator(error_case="title")
    with pytest.raises(EmulatorError, match="app_types"):
        LineEmulator([Channel(CHANNEL_ID, SECRET, app_types=("desktop",))])


def test_request_handlers_serve_the_platform_state_alone():
    platform = PlatformState(api_base_url=API)
    platform.add_channel(Channel(CHANNEL_ID, SECRET))
    with intercept(EmulatorApp(platform), [API]):
        data = {"grant_type": "client_credentials", "client_id": CHANNEL_ID, "client_secret": SECRET}
        response = requests.post(f"{API}/oauth2/v3/token", data=data, timeout=5)
    assert response.status_code == 200
    assert set(platform.channel_tokens) == {response.json()["access_token"]}


def test_the_emulator_modules_import_one_way():
    """A module's imports, TYPE_CHECKING ones included, never lead back to it."""
    package = Path(emulator_app.__file__).parent
    graph = {path.stem: _local_imports(path) for path in package.glob("*.py")}

    def cycle_from(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in path:
            return (*path[path.index(module) :], module)
        for imported in sorted(graph.get(module, ())):
            found = cycle_from(imported, (*path, module))
            if found:
                return found
        return None

    cycles = {" -> ".join(found) for module in graph if (found := cycle_from(module, ()))}
    assert not cycles


def _local_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names |= {node.module} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("line_auth.testing."):
            names.add(node.module.rsplit(".", 1)[1])
    return names


# The pytest plugin and the live server -----------------------------------------------------


def test_line_emulator_fixture_uses_settings_channel(line_emulator, settings):
    tokens = line_emulator.issue_tokens(line_emulator.add_user(), settings.SOCIAL_AUTH_LINE_KEY)
    response = requests.get(f"{API}/v2/profile", headers=bearer(tokens["access_token"]), timeout=5)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "line_emulator_options", [{"passthrough": ["http://127.0.0.1:9"], "error_case": "lower"}]
)
def test_line_emulator_options_reach_the_constructor(line_emulator):
    assert line_emulator.error_case == "lower"
    assert type(requests.Session().get_adapter("http://127.0.0.1:9/x")).__name__ == "HTTPAdapter"
    with pytest.raises(UnemulatedHostError):
        requests.get("http://127.0.0.2:9/x", timeout=5)


def test_live_server_round_trip():
    emulator = LineEmulator()
    emulator.add_channel(CHANNEL_ID, SECRET)
    server = serve(emulator, force=True)
    try:
        assert emulator.access_base_url == emulator.api_base_url == server.url
        page = requests.get(auth_url(base=server.url), timeout=5)
        assert page.status_code == 200 and "Emulator test controls" in page.text
        form = {name: values[0] for name, values in parse_qs(urlsplit(auth_url()).query).items()}
        consent = requests.post(
            f"{server.url}/oauth2/v2.1/authorize/consent",
            data={**form, "action": "approve"},
            allow_redirects=False,
            timeout=5,
        )
        location = consent.headers["Location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = exchange(code, api=server.url).json()
        profile = requests.get(
            f"{server.url}/v2/profile", headers=bearer(tokens["access_token"]), timeout=5
        )
        assert profile.json()["displayName"] == "Taro Line" and profile.headers["x-line-request-id"]
        emulator.fail_next("/v2/profile", kind="connection_refused")
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"{server.url}/v2/profile", timeout=5)
        assert emulator.calls[0].host == server.url.removeprefix("http://")
    finally:
        server.stop()


def test_a_live_timeout_stays_silent_until_the_server_stops_and_leaves_no_thread():
    emulator = LineEmulator()
    server = serve(emulator, force=True)
    try:
        before = set(threading.enumerate())
        arrival = emulator.hold_next("/v2/profile")  # tells when the request has reached LINE
        emulator.fail_next("/v2/profile", kind="timeout")
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{server.url}/v2/profile", timeout=0.2)
        arrival.wait_for_arrival()
        (waiting,) = set(threading.enumerate()) - before  # the request's own thread
    finally:
        server.stop()
    waiting.join(ARRIVAL_TIMEOUT)
    assert not waiting.is_alive()
    assert [call.status for call in emulator.calls] == [0]


def test_hold_next_keeps_one_request_at_line_until_released(emu):
    first, second = [emu.authorize(auth_url(), emu.add_user()).code for _ in range(2)]
    with emu.hold_next(TOKEN, method="POST") as hold, ThreadPoolExecutor(1) as pool:
        held = pool.submit(exchange, first)
        hold.wait_for_arrival()
        assert exchange(second).status_code == 200  # only the next request is held
        assert not held.done() and emu.count_calls(TOKEN) == 1
        hold.release()
        assert held.result().status_code == 200
    assert emu.count_calls(TOKEN) == 2


def test_live_server_fixture(line_emulator_server):
    config = requests.get(
        f"{line_emulator_server.url}/.well-known/openid-configuration", timeout=5
    ).json()
    assert config["token_endpoint"] == f"{line_emulator_server.url}{TOKEN}"
    assert line_emulator_server.emulator.count_calls() == 1


def test_server_refuses_to_start_when_django_debug_is_off():
    emulator = LineEmulator()
    with override_settings(DEBUG=False), pytest.raises(EmulatorError, match="DEBUG"):
        serve(emulator)
    with override_settings(DEBUG=True):
        server = serve(emulator)
    server.stop()


def test_server_help_gives_the_default_channel_and_the_settings_of_a_site(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        serve_main(["--help"])
    help_text = capsys.readouterr().out
    assert f"(default: {CHANNEL_ID})" in help_text
    assert f"(default: {SECRET})" in help_text
    assert f'SOCIAL_AUTH_LINE_KEY = "{CHANNEL_ID}"' in help_text
    assert f'SOCIAL_AUTH_LINE_SECRET = "{SECRET}"' in help_text
    assert 'LINE_AUTH_ACCESS_BASE_URL = "http://127.0.0.1:8001"' in help_text
    assert 'LINE_AUTH_API_BASE_URL = "http://127.0.0.1:8001"' in help_text


def test_server_takes_more_channels_on_the_command_line():
    from line_auth.testing.server import extra_channel

    channel = extra_channel(f"{OTHER_ID}:{OTHER_SECRET}:brand-b")
    assert (channel.channel_id, channel.secret, channel.provider) == (OTHER_ID, OTHER_SECRET, "brand-b")
    assert extra_channel(f"{OTHER_ID}:{OTHER_SECRET}").provider == "default"
    with pytest.raises(Exception, match="ID:SECRET"):
        extra_channel("not-a-channel")
