"""Shared fixtures: the LINE emulator (shipped in line_auth.testing), factories, and the
helpers the test modules share (a web or native login, linked accounts, a parallelism probe).

Helpers are fixtures, never imports: no test module imports another (see
tests/unit/test_suite_layout.py). The stateless ones are session-scoped, so hypothesis
tests may use them too."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone, translation

from line_auth.internal import jwks, login_rows
from line_auth.testing.state import ACCESS_TOKEN_TTL

pytest_plugins = ["line_auth.testing.pytest_plugin"]
TRANSPORT_LOGGERS = ("urllib3.", "django.server")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test runs under ``no_secret_leaks``, so every test proves catalogue case BR-07."""
    for item in items:
        if "no_secret_leaks" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.BR_07)


def _emulators(request: pytest.FixtureRequest) -> list[Any]:
    found = []
    if "line_emulator" in request.fixturenames:
        found.append(request.getfixturevalue("line_emulator"))
    if "line_emulator_server" in request.fixturenames:
        found.append(request.getfixturevalue("line_emulator_server").emulator)
    return found


@pytest.fixture(autouse=True)
def default_language() -> Any:
    """A request in another language leaves it active in this thread; each test starts in
    the default language, whatever ran before it (mutmut runs tests in its own order)."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def empty_caches() -> Any:
    """Nonces spent, LINE's keys and rate-limit counters live in the cache and in this
    process's memory of the keys; each test starts with none, whatever ran before it.
    So does the look-up's statement: mutmut forks each mutant from a process that ran
    the tests, and a statement kept from then would hide the mutants of its writing."""
    def clear() -> None:
        for cache in caches.all():
            cache.clear()
        jwks.forget()
        login_rows._written_once.cache_clear()

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


@pytest.fixture(autouse=True)
def budget_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Waits for the shared budget of calls to LINE, recorded instead of waited for: the
    budget's clock moves on by each wait, so the budget still counts as it would."""
    from line_auth.internal import budget

    waits: list[float] = []
    monkeypatch.setattr(budget, "clock", lambda: time.time() + sum(waits))
    monkeypatch.setattr(budget, "sleep", waits.append)
    return waits


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


@pytest.fixture
def model_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """What ``from_db`` is handed when a social row, a user or a ``LineAccount`` is loaded:
    (model, database, field names, values). Django documents overriding ``from_db``, for
    instance to remember the values an instance was loaded with."""
    from social_django.models import UserSocialAuth

    from line_auth.models import LineAccount

    loads: list[tuple[Any, ...]] = []
    for model in (UserSocialAuth, get_user_model(), LineAccount):
        def from_db(cls: Any, db: str, field_names: Any, values: Any, load: Any = model.from_db.__func__) -> Any:
            loads.append((cls, db, tuple(field_names), tuple(values)))
            return load(cls, db, field_names, values)

        monkeypatch.setattr(model, "from_db", classmethod(from_db))
    return loads


@pytest.fixture
def database_reads(settings: Any) -> list[Any]:
    """The models a site's database router is asked to read (it leaves them on the default database)."""
    asked: list[Any] = []

    class Router:
        def db_for_read(self, model: Any, **hints: Any) -> None:
            asked.append(model)

    settings.DATABASE_ROUTERS = [Router()]
    return asked


# -- a web login through the Django test client and the in-process emulator --


@pytest.fixture(scope="session")
def query() -> Callable[[str], dict[str, str]]:
    """A URL's query parameters, first value of each."""

    def parse(url: str) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}

    return parse


@pytest.fixture(scope="session")
def start() -> Callable[..., str]:
    """POST the LINE button; return the authorization URL LINE would receive."""

    def press(client: Any, **begin: Any) -> str:
        response = client.post(reverse("line_auth:login"), begin)
        assert response.status_code == 302, response.content
        return response["Location"]

    return press


@pytest.fixture(scope="session")
def come_back() -> Callable[[Any, Any], Any]:
    """Deliver LINE's redirect (query) or auto-submitted form (form_post) to the site."""

    def deliver(client: Any, result: Any) -> Any:
        if result.method == "POST":
            return client.post(urlsplit(result.url).path, result.form)
        return client.get(result.url)

    return deliver


@pytest.fixture(scope="session")
def login(start: Callable[..., str], come_back: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """A whole web login; returns the site's response to the callback."""

    def log_in(client: Any, emulator: Any, user: Any = None, begin: dict | None = None, **consent: Any) -> Any:
        url = start(client, **(begin or {}))
        return come_back(client, emulator.authorize(url, user, **consent))

    return log_in


# -- a native (SDK / LIFF) login --


@pytest.fixture(scope="session")
def new_nonce() -> Callable[[Any], str]:
    """A nonce from the site's nonce endpoint, as an app asks for one."""

    def ask(client: Any) -> str:
        return client.post(reverse("line_auth:native_nonce")).json()["nonce"]

    return ask


@pytest.fixture(scope="session")
def native_post() -> Callable[..., Any]:
    """POST a body (JSON-encoded unless already text) to the native login endpoint."""

    def send(client: Any, body: Any, content_type: str = "application/json") -> Any:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return client.post(reverse("line_auth:native_login"), data, content_type=content_type)

    return send


@pytest.fixture(scope="session")
def sdk_login(new_nonce: Callable[[Any], str], native_post: Callable[..., Any]) -> Callable[..., Any]:
    """What the app does: get a nonce, log in with the LINE SDK (ES256), send the ID token."""

    def log_in(client: Any, emulator: Any, user: Any = None, **claims: Any) -> Any:
        user = user or emulator.add_user()
        nonce = new_nonce(client)
        token = emulator.make_id_token(user, settings.SOCIAL_AUTH_LINE_KEY, nonce=nonce, alg="ES256", **claims)
        return native_post(client, {"id_token": token, "nonce": nonce})

    return log_in


@pytest.fixture(scope="session")
def assert_refused() -> Callable[..., None]:
    """The JSON error, and nothing written: as many accounts and users as before."""
    from line_auth.models import LineAccount

    def check(response: Any, status: int, code: str, accounts: int = 0) -> None:
        assert response.status_code == status, response.content
        assert response.json()["error"] == code
        assert response.json()["error_description"]
        assert LineAccount.objects.count() == accounts and get_user_model().objects.count() == accounts

    return check


@pytest.fixture(scope="session")
def b64() -> Callable[[bytes], str]:
    """Unpadded base64url, as JWT segments are encoded."""

    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return encode


# -- accounts holding tokens the emulator really issued --


@pytest.fixture(scope="session")
def access_token_lifetime() -> timedelta:
    """What LINE (the emulator) gives a new access token; a refresh at moment t stores t + this."""
    return timedelta(seconds=ACCESS_TOKEN_TTL)


@pytest.fixture(scope="session")
def linked_account() -> Callable[..., Any]:
    """A LineAccount holding live emulator tokens; ``expires_in`` is what the site believes."""
    from line_auth.models import REFRESH_TOKEN_LIFETIME

    def make(emulator: Any, make_account: Any, *, expires_in: timedelta = timedelta(days=30), **fields: Any) -> Any:
        user = emulator.add_user()
        issued = emulator.issue_tokens(user, settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
        now = timezone.now()
        fields.setdefault("access_token", issued["access_token"])
        fields.setdefault("refresh_token", issued["refresh_token"])
        fields.setdefault("access_token_expires_at", now + expires_in)
        fields.setdefault("refresh_token_expires_at", now + REFRESH_TOKEN_LIFETIME)
        return make_account(line_user_id=user.user_id, scopes="profile", **fields)

    return make


# -- proving that calls run in parallel without timing them --

# Only a safety net: a barrier that is never reached fails the test instead of hanging it.
BARRIER_TIMEOUT = 30


class ParallelProbe:
    """Wraps ``function``; records the peak number of calls in flight at once.

    The first ``together`` calls block until all of them have started, so a caller
    that runs fewer than ``together`` calls at a time makes them fail
    (``BrokenBarrierError``) rather than pass slowly.
    """

    def __init__(self, function: Callable[..., Any], together: int) -> None:
        self.function = function
        self.together = threading.Barrier(together, timeout=BARRIER_TIMEOUT)
        self.lock = threading.Lock()
        self.started = self.active = self.peak = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.started += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
            meets = self.started <= self.together.parties
        try:
            if meets:
                self.together.wait()
            return self.function(*args, **kwargs)
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture(scope="session")
def parallel_probe() -> type[ParallelProbe]:
    """``parallel_probe(function, together)``: see ParallelProbe."""
    return ParallelProbe


# -- two workers at once, the first held at LINE --


@pytest.fixture(scope="session")
def second_while_first_at_line() -> Callable[[Any, Callable[[], Any]], tuple[Any, Any]]:
    """Run ``job`` in one thread until LINE holds it (``hold``: the emulator's ``hold_next``),
    run ``job`` again in another meanwhile, then let the first go; returns both results."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def run_twice(hold: Any, job: Callable[[], Any]) -> tuple[Any, Any]:
        def in_thread() -> Any:
            try:
                return job()
            finally:
                connection.close()

        with hold, ThreadPoolExecutor(2) as pool:
            first = pool.submit(in_thread)
            hold.wait_for_arrival()
            try:
                second = pool.submit(in_thread).result(timeout=30)
            finally:
                hold.release()
            return first.result(), second

    return run_twice
