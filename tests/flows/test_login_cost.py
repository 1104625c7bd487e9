"""A web login costs no more SQL than social-core's stock LINE backend, side by side in one
project, measured the way ``benchmarks.login_cost`` measures it: every statement of the
callback request, transaction control (BEGIN, SAVEPOINT, COMMIT ...) counted apart."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from benchmarks.login_cost import one_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("benchmarks.urls")]
# (SQL statements, transaction control) of line_auth's callback, identical on SQLite and PostgreSQL.
# First login: the session load, the state's claim, one look-up of the LINE user, the pending
# webhook status, the username check, user + social row + LineAccount, the user's names, and
# Django's login (new session key, old one deleted, last_login, the session saved).
# A returning login: the session load, the state's claim, one look-up of the LINE user, one
# UPDATE of its LineAccount (no transaction: the only write of the pipeline), and Django's login.
EXPECTED = {"first": (15, 10), "returning": (10, 6)}
# Without the webhook no status can be waiting for a first login, and none is looked for.
WITHOUT_WEBHOOK = {"first": (14, 10), "returning": (10, 6)}


@pytest.fixture
def stock_backend(settings):
    """social-core's own LineOAuth2 beside line_auth's, as the benchmark registers it."""
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "benchmarks.stock.StockLineOAuth2"]
    settings.SOCIAL_AUTH_LINE_STOCK_KEY = django_settings.SOCIAL_AUTH_LINE_KEY
    settings.SOCIAL_AUTH_LINE_STOCK_SECRET = django_settings.SOCIAL_AUTH_LINE_SECRET
    # Stock keeps no audit trail; its cost is measured on its own (benchmarks.login_cost --audit).
    settings.LINE_AUTH_AUDIT = False


def cost(client, line_emulator, backend: str) -> dict[str, dict]:
    user = line_emulator.add_user(name=f"Cost {backend}")
    first = one_login(client, line_emulator, backend, user, later=False)
    client.logout()
    return {"first": first, "returning": one_login(client, line_emulator, backend, user, later=True)}


@pytest.mark.usefixtures("stock_backend")
def test_a_login_costs_no_more_sql_and_fewer_calls_than_stock_social_core(client, line_emulator, settings):
    # The webhook on, so a first login also looks for a status it delivered earlier.
    settings.LINE_AUTH_WEBHOOK_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
    ours = cost(client, line_emulator, "line_auth")
    client.logout()
    stock = cost(client, line_emulator, "stock")
    for kind in ("first", "returning"):
        counted = (ours[kind]["statements"], ours[kind]["transaction_control"])
        assert counted == EXPECTED[kind], (kind, ours[kind]["sql"])
        assert ours[kind]["statements"] <= stock[kind]["statements"], kind
        assert ours[kind]["transaction_control"] <= stock[kind]["transaction_control"], kind
        assert ours[kind]["calls"] == ["/oauth2/v2.1/token"]
        assert len(stock[kind]["calls"]) == 2  # the token, then the profile


@pytest.mark.usefixtures("stock_backend")
def test_without_the_webhook_a_first_login_looks_for_no_waiting_status(client, line_emulator):
    ours = cost(client, line_emulator, "line_auth")
    for kind in ("first", "returning"):
        counted = (ours[kind]["statements"], ours[kind]["transaction_control"])
        assert counted == WITHOUT_WEBHOOK[kind], (kind, ours[kind]["sql"])
