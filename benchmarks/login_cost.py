"""Cost of one web login, line_auth against social-core's stock LineOAuth2.

Counts what does not drift with the machine: calls to LINE and database queries
of the callback request, for a first-time and a returning user; also the
callback's CPU time (median). Both backends run in the same Django project
against the same in-process LINE emulator.

Run:  .venv/bin/python -m benchmarks.login_cost [--logins 50] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from line_auth.testing import LineEmulator  # noqa: E402
from tests.flow import query  # noqa: E402

BEGIN = {"line_auth": "/accounts/line/login/", "stock": "/social/login/line_stock/"}


def one_login(client: Client, emulator: LineEmulator, backend: str, user) -> dict:
    begin = client.post(BEGIN[backend])
    result = emulator.authorize(begin["Location"], user)
    emulator.reset_calls()
    with CaptureQueriesContext(connection) as queries:
        started = time.process_time()
        response = client.get(result.url)
        cpu = time.process_time() - started
    assert response.status_code == 302, (backend, response.status_code, response.content[:300])
    assert query(begin["Location"])["state"]
    return {"calls": len(emulator.calls), "call_paths": [c.path for c in emulator.calls],
            "queries": len(queries), "cpu_ms": cpu * 1000}


def measure(backend: str, emulator: LineEmulator, logins: int) -> dict:
    first, returning = [], []
    for _ in range(logins):
        user = emulator.add_user()
        client = Client()
        first.append(one_login(client, emulator, backend, user))
        client.logout()
        returning.append(one_login(client, emulator, backend, user))
    def summary(rows):
        return {"calls": rows[-1]["calls"], "call_paths": rows[-1]["call_paths"],
                "queries": rows[-1]["queries"], "cpu_ms_median": round(statistics.median(r["cpu_ms"] for r in rows), 2)}
    return {"first": summary(first), "returning": summary(returning)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    emulator = LineEmulator()
    from django.conf import settings
    emulator.add_channel(settings.SOCIAL_AUTH_LINE_KEY, settings.SOCIAL_AUTH_LINE_SECRET)
    with emulator.intercept():
        results = {backend: measure(backend, emulator, args.logins) for backend in ("line_auth", "stock")}
    assert get_user_model().objects.count() == 2 * args.logins
    print(f"{'login':<10} {'backend':<10} {'LINE calls':>10} {'DB queries':>10} {'CPU ms (median)':>16}  calls")
    for kind in ("first", "returning"):
        for backend in ("line_auth", "stock"):
            row = results[backend][kind]
            print(f"{kind:<10} {backend:<10} {row['calls']:>10} {row['queries']:>10} {row['cpu_ms_median']:>16}  "
                  + " ".join(row["call_paths"]))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
