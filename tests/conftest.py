"""Shared fixtures: the LINE emulator (shipped in line_auth.testing) and factories."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.core.cache import caches

from line_auth.internal import jwks

pytest_plugins = ["line_auth.testing.pytest_plugin"]
TRANSPORT_LOGGERS = ("urllib3.", "django.server")


def _emulators(request: pytest.FixtureRequest) -> list[Any]:
    found = []
    if "line_emulator" in request.fixturenames:
        found.append(request.getfixturevalue("line_emulator"))
    if "line_emulator_server" in request.fixturenames:
        found.append(request.getfixturevalue("line_emulator_server").emulator)
    return found


@pytest.fixture(autouse=True)
def empty_caches() -> Any:
    """Nonces spent, LINE's keys and rate-limit counters live in the cache and in this
    process's memory of the keys; each test starts with none, whatever ran before it."""
    def clear() -> None:
        for cache in caches.all():
            cache.clear()
        jwks.forget()

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def no_secret_leaks(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Any:
    """After every test: no token LINE issued, nor the channel secret, appears in any
    log line or in any page or header the site rendered (security catalogue BR-07)."""
    from tests.recording import RENDERED

    emulators = _emulators(request)  # set up first, so they outlive this check
    RENDERED.clear()
    caplog.set_level(logging.DEBUG)
    yield
    secrets = {settings.SOCIAL_AUTH_LINE_SECRET}
    for emulator in emulators:
        secrets |= emulator.issued_secrets()
    # Transport access logs (urllib3 at DEBUG, Django's dev server) print request lines,
    # which carry LINE's callback code and GET /verify's token; SECURITY.md says to keep
    # them above DEBUG in production. Everything else must never show a secret.
    records = [
        record
        for record in caplog.get_records("setup") + caplog.get_records("call")
        if not record.name.startswith(TRANSPORT_LOGGERS)
    ]
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in records)
    rendered = "\n".join(RENDERED)
    leaked = sorted(secret[:12] + "..." for secret in secrets if secret and (secret in logged or secret in rendered))
    assert not leaked, f"secrets leaked into logs or pages: {leaked}"


@pytest.fixture(autouse=True)
def retry_pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's pauses between retries, recorded instead of waited for."""
    from line_auth.client import LineClient

    pauses: list[float] = []
    monkeypatch.setattr(LineClient, "pause", staticmethod(pauses.append))
    return pauses


@pytest.fixture
def id_token_factory() -> Callable[..., str]:
    """Sign a web-login ID token the way LINE does (HS256 with the channel secret)."""

    def make(key: str | None = None, algorithm: str = "HS256", headers: dict | None = None,
             **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": "https://access.line.me",
            "sub": "U" + "a" * 32,
            "aud": settings.SOCIAL_AUTH_LINE_KEY,
            "exp": now + 3600,
            "iat": now,
            "nonce": "expected-nonce",
            "name": "Taro Line",
        }
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key or settings.SOCIAL_AUTH_LINE_SECRET, algorithm=algorithm,
                          headers=headers)

    return make


@pytest.fixture
def user_factory(django_user_model: Any) -> Callable[..., Any]:
    counter = iter(range(1_000_000))

    def make(**fields: Any) -> Any:
        fields.setdefault("username", f"user{next(counter)}")
        return django_user_model.objects.create_user(**fields)

    return make


@pytest.fixture
def line_account_factory(user_factory: Callable[..., Any]) -> Callable[..., Any]:
    from line_auth.models import LineAccount

    counter = iter(range(1_000_000))

    def make(**fields: Any) -> LineAccount:
        fields.setdefault("user", user_factory())
        fields.setdefault("channel_id", settings.SOCIAL_AUTH_LINE_KEY)
        fields.setdefault("line_user_id", f"U{next(counter):032x}")
        fields.setdefault("display_name", "Taro Line")
        return LineAccount.objects.create(**fields)

    return make
