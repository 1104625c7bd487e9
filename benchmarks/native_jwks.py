"""Native/LIFF server login: verified logins per second and JWKS fetches.

Run:  .venv/bin/python -m benchmarks.native_jwks --db postgres --logins 1000 --json native.json

Each login is what an app does: ask the site for a nonce (``POST native/nonce/``),
log in with the LINE SDK (the in-process emulator signs an ID token with that
nonce), send the token (``POST native/login/``). Every login is a new LINE
user, so each creates a Django user and a ``LineAccount``: the real view, the
real database. Nonces and tokens are prepared first, so the timed part is only
the site's login view: verification, nonce spending and the database writes.

Phases, one after another in one process with one JWKS cache:
``es256 cold`` is the first ES256 login (empty cache: one fetch);
``es256 warm`` is ``--logins`` ES256 logins on the warm cache;
``hs256`` is ``--logins`` HS256 logins (channel secret, no JWKS);
``es256 rotated`` is ``--logins`` ES256 logins after LINE rotated its key
(the new ``kid`` is unknown: one early fetch, then warm again).
Counted exactly: JWKS fetches and all LINE calls per phase, SQL statements
per login (transaction control excluded).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from benchmarks.django_setup import setup_django
from benchmarks.report import table, write_json

CERTS_PATH = "/oauth2/v2.1/certs"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def phase(name: str, client: Any, emulator: Any, channel: str, alg: str, logins: int) -> dict[str, Any]:
    """``logins`` native logins with ``alg`` tokens; times only ``POST native/login/``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    emulator.reset_calls()
    timings, statements = [], []
    # Nonces are prepared 100 at a time: LocMemCache keeps 300 entries and culls the rest.
    for start in range(0, logins, 100):
        prepared = []
        for _ in range(min(100, logins - start)):
            nonce = client.post("/accounts/line/native/nonce/").json()["nonce"]
            token = emulator.make_id_token(emulator.add_user(), channel, nonce=nonce, alg=alg)
            prepared.append(json.dumps({"id_token": token, "nonce": nonce}))
        for body in prepared:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.post("/accounts/line/native/login/", body, content_type="application/json")
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content
            statements.append(sum(not q["sql"].startswith(TRANSACTION_CONTROL) for q in queries.captured_queries))
    return {
        "phase": name,
        "alg": alg,
        "logins": logins,
        "logins_per_s": round(logins / sum(timings), 1),
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "jwks_fetches": emulator.count_calls(CERTS_PATH),
        "line_calls": emulator.count_calls(),
        "sql_per_login": statistics.median(statements),
        "sql_max": max(statements),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--logins", type=int, default=1000, help="logins per warm phase")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    described = setup_django(args.db, "native")
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from line_auth.conf import line_settings
    from line_auth.testing import LineEmulator

    cache.clear()
    channel = settings.SOCIAL_AUTH_LINE_KEY
    emulator = LineEmulator()
    emulator.add_channel(channel, settings.SOCIAL_AUTH_LINE_SECRET)
    client = Client()
    with emulator.intercept():
        rows = [
            phase("es256 cold", client, emulator, channel, "ES256", 1),
            phase("es256 warm", client, emulator, channel, "ES256", args.logins),
            phase("hs256", client, emulator, channel, "HS256", args.logins),
        ]
        emulator.rotate_es256_key()
        rows.append(phase("es256 rotated", client, emulator, channel, "ES256", args.logins))
    print(
        f"{described}; cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; "
        f"JWKS cache {line_settings.jwks_cache_ttl} s, early refetch at most every "
        f"{line_settings.jwks_refetch_interval} s; one process, sequential requests"
    )
    table(
        rows,
        ["phase", "alg", "logins", "logins_per_s", "median_ms", "jwks_fetches", "line_calls"]
        + ["sql_per_login", "sql_max"],
        "native login (POST native/login/ only; nonce and token prepared beforehand)",
    )
    total = sum(row["logins"] for row in rows)
    fetches = sum(row["jwks_fetches"] for row in rows)
    print(f"{total:,} logins, {fetches} JWKS fetches in all (2 keys seen: the first and the rotated one)")
    write_json(
        args.json,
        {"benchmark": "native_jwks", "database": described, "phases": rows,
         "total_logins": total, "total_jwks_fetches": fetches},
    )


if __name__ == "__main__":
    main()
