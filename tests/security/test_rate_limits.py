"""Rate limits on the endpoints anyone can call, and what an anonymous flood leaves in
the database: 429 with Retry-After (JSON for apps, the friendly page for browsers),
counted per client address and overall, nothing written on a refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.utils import timezone
from social_django.models import Nonce

from line_auth.exceptions import RateLimited
from line_auth.internal import ratelimit
from line_auth.models import LineAccount

BEGIN_URL = "/accounts/line/login/"
CHANNEL = django_settings.SOCIAL_AUTH_LINE_KEY
NONCE_URL = "/accounts/line/native/nonce/"

pytestmark = [pytest.mark.django_db, pytest.mark.LA_03]


def rows() -> tuple[int, ...]:
    """Everything a request could write: sessions, social-core nonces, users, LINE accounts."""
    return (Session.objects.count(), Nonce.objects.count(), get_user_model().objects.count(),
            LineAccount.objects.count())


def assert_rate_limited_json(response) -> None:
    assert response.status_code == 429, response.content
    assert response.json()["error"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60


# -- each endpoint --


def test_login_starts_over_the_limit_get_the_friendly_page_and_write_nothing(settings, line_emulator):
    settings.LINE_AUTH_RATE_LIMITS = {"login": {"per_address": 3}}
    for _ in range(3):
        assert Client().post(BEGIN_URL).status_code == 302
    before = rows()

    refused = Client().post(BEGIN_URL)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert b"Too many login attempts" in refused.content and b"<form" in refused.content
    assert rows() == before
    assert Client(REMOTE_ADDR="192.0.2.7").post(BEGIN_URL).status_code == 302  # another address


def test_nonce_requests_over_the_limit_get_a_json_429(settings):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": {"per_address": 2}}
    client = Client()
    assert [client.post(NONCE_URL).status_code for _ in range(2)] == [200, 200]
    assert_rate_limited_json(client.post(NONCE_URL))


def test_native_logins_over_the_limit_get_a_json_429_and_write_nothing(
    native_post, new_nonce, settings, client, line_emulator
):
    settings.LINE_AUTH_RATE_LIMITS = {"native_login": {"per_address": 2}}
    for _ in range(2):
        assert native_post(client, {"access_token": "not-a-token"}).status_code == 401
    user = line_emulator.add_user()
    nonce = new_nonce(client)
    token = line_emulator.make_id_token(user, CHANNEL, nonce=nonce, alg="ES256")

    assert_rate_limited_json(native_post(client, {"id_token": token, "nonce": nonce}))
    assert rows() == (0, 0, 0, 0)


# -- how requests are counted --


def test_the_overall_limit_holds_whatever_the_addresses(settings):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": {"per_address": None, "overall": 5}}
    statuses = [Client(REMOTE_ADDR=f"198.51.100.{index}").post(NONCE_URL).status_code for index in range(7)]
    assert statuses == [200] * 5 + [429] * 2


def test_one_address_over_its_limit_does_not_spend_everyones_budget(settings):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": {"per_address": 2, "overall": 5}}
    noisy = Client(REMOTE_ADDR="203.0.113.1")
    assert [noisy.post(NONCE_URL).status_code for _ in range(10)] == [200] * 2 + [429] * 8
    others = [Client(REMOTE_ADDR=f"203.0.113.{index}").post(NONCE_URL).status_code for index in range(2, 6)]
    assert others == [200, 200, 200, 429]


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(settings):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": {"per_address": 2}}
    statuses = [Client().post(NONCE_URL, HTTP_X_FORWARDED_FOR=f"192.0.2.{index}").status_code for index in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(settings):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": {"per_address": 2}}
    settings.LINE_AUTH_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def from_client(address: str, forged: str = "") -> int:
        forwarded = f"{forged}, {address}" if forged else address
        return Client(**proxy).post(NONCE_URL, HTTP_X_FORWARDED_FOR=forwarded).status_code

    # What a client writes into the header itself comes first and is ignored.
    assert [from_client("192.0.2.1", forged=f"198.51.100.{index}") for index in range(3)] == [200, 200, 429]
    assert from_client("192.0.2.2") == 200  # a second visitor behind the same proxy
    assert Client(**proxy).post(NONCE_URL).status_code == 200  # no header: the proxy's own address


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),  # one subscriber's /64
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:192.0.2.1", "192.0.2.1", True),  # IPv4 written as IPv6
    ],
)
def test_addresses_are_counted_per_subscriber(settings, first, second, shared):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": {"per_address": 1}}
    assert Client(REMOTE_ADDR=first).post(NONCE_URL).status_code == 200
    assert Client(REMOTE_ADDR=second).post(NONCE_URL).status_code == (429 if shared else 200)


def test_a_window_ends_and_counting_starts_again(settings):
    settings.LINE_AUTH_RATE_LIMITS = {"login": {"per_address": 1}}
    request = RequestFactory().post(BEGIN_URL)
    start_of_window = 1_800_000_000  # a multiple of the 60-second window
    ratelimit.check(request, "login", now=start_of_window + 10)
    with pytest.raises(RateLimited) as refused:
        ratelimit.check(request, "login", now=start_of_window + 15.5)
    assert refused.value.retry_after == 45
    ratelimit.check(request, "login", now=start_of_window + 60)


def test_limits_can_be_lifted_per_endpoint(settings):
    settings.LINE_AUTH_RATE_LIMITS = {"native_nonce": None}
    request = RequestFactory().post(NONCE_URL)
    for _ in range(200):
        ratelimit.check(request, "native_nonce", now=1_800_000_000)


def test_a_broken_setting_lifts_the_limits_rather_than_breaking_logins(settings, line_emulator, caplog):
    settings.LINE_AUTH_RATE_LIMITS = {"login": {"per_address": "ten"}}
    assert Client().post(BEGIN_URL).status_code == 302
    assert "Rate limits not applied" in caplog.text


# -- what an anonymous flood leaves behind --


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[django_settings.SESSION_COOKIE_NAME].value)


def test_an_anonymous_login_start_leaves_a_session_that_expires_with_its_state(start, client, line_emulator):
    start(client)
    expires_in = session_row(client).expire_date - timezone.now()
    assert timedelta(minutes=25) < expires_in <= timedelta(minutes=30)  # social-core's state lifetime


def test_logging_in_restores_the_sites_session_expiry(login, client, line_emulator):
    response = login(client, line_emulator)
    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert session_row(client).expire_date - timezone.now() > timedelta(days=13)  # SESSION_COOKIE_AGE


def test_a_visitors_existing_session_keeps_its_expiry(start, client, line_emulator):
    session = client.session
    session["basket"] = ["tea"]
    session.save()
    start(client)
    assert session_row(client).expire_date - timezone.now() > timedelta(days=13)
    assert client.session["basket"] == ["tea"]


def test_a_second_login_start_in_the_same_session_keeps_it_short_lived(come_back, start, client, line_emulator):
    come_back(client, line_emulator.authorize(start(client), line_emulator.add_user(), outcome="deny"))
    start(client)
    assert session_row(client).expire_date - timezone.now() <= timedelta(minutes=30)
