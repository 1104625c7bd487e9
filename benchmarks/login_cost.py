"""Cost of one web login, line_auth against social-core's stock LineOAuth2.

Counts what does not drift with the machine: calls to LINE and SQL statements of
the callback request, for a first-time and a returning user; also the callback's
CPU time (median, emulator in-process, no latency) and the wall time of the
callback with 50 ms injected per LINE call (median). Both backends run in the
same Django project against the same in-process LINE emulator, alternating
login by login, so a change in the machine's load touches both alike. Returning logins
happen a minute after the first one (the clock social-core stamps into
``extra_data`` is moved), as they would in real life. The CPU time the emulator
spends answering is LINE's work, not the site's: it is left out of the figure
(the stock backend makes two calls to LINE, line_auth one). The stock backend keeps no
audit trail, so line_auth is compared with its trail off (``LINE_AUTH_AUDIT``).

``--audit`` measures the trail's own cost instead: line_auth alone, trail off and
on, counting the login start too (its authorization request is recorded there):
SQL statements of start and callback, and their CPU time (median).

Run:  .venv/bin/python -m benchmarks.login_cost [--logins 50] [--db sqlite|postgres] [--json out.json] [--trace]
      .venv/bin/python -m benchmarks.login_cost --audit [--logins 50] [--db sqlite|postgres] [--json out.json]

``--trace`` prints every statement of each row's last login, transaction control included.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any
from unittest import mock

from benchmarks.django_setup import setup_django

BACKENDS = ("line_auth", "stock")
BEGIN = {"line_auth": "/accounts/line/login/", "stock": "/social/login/line_stock/"}
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


class _LineServerCpu:
    """Counts the CPU time the in-process emulator spends answering, to leave it out."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> _LineServerCpu:
        from line_auth.testing.app import EmulatorApp

        answer, counter = EmulatorApp.__call__, self

        def counted(app: Any, environ: dict[str, Any], start_response: Any) -> Any:
            started = time.process_time()
            try:
                return answer(app, environ, start_response)
            finally:
                counter.seconds += time.process_time() - started

        self._patch = mock.patch.object(EmulatorApp, "__call__", counted)
        self._patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.stop()


class _MinuteLater:
    """Stands in for the ``time`` module inside social-core's backend base."""

    @staticmethod
    def time() -> float:
        return time.time() + 60


def one_login(client: Any, emulator: Any, backend: str, user: Any, later: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The query log keeps its last 9,000 entries; a full log would capture nothing.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as begin_queries:
        begin_cpu = time.process_time()
        begin = client.post(BEGIN[backend])
        begin_cpu = time.process_time() - begin_cpu
    result = emulator.authorize(begin["Location"], user)
    emulator.reset_calls()
    clock = mock.patch("social_core.backends.base.time", _MinuteLater) if later else mock.MagicMock()
    with clock, CaptureQueriesContext(connection) as queries, _LineServerCpu() as line_cpu:
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        response = client.get(result.url)
        cpu = time.process_time() - cpu_started - line_cpu.seconds
        wall = time.perf_counter() - wall_started
    assert response.status_code == 302, (backend, response.status_code, response.content[:300])
    sql = [q["sql"] for q in queries.captured_queries]
    statements = [text for text in sql if not text.startswith(TRANSACTION_CONTROL)]
    begin_statements = [q for q in begin_queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    return {"calls": [call.path for call in emulator.calls], "statements": len(statements),
            "transaction_control": len(sql) - len(statements), "cpu_ms": cpu * 1000, "wall_ms": wall * 1000,
            "sql": sql, "begin_statements": len(begin_statements), "begin_cpu_ms": begin_cpu * 1000}


def measure(emulator: Any, logins: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Both backends, alternating login by login so that both meet the same machine load;
    one untimed round first, so neither gets a colder process."""
    from django.test import Client

    rows: dict[str, dict[str, list[dict[str, Any]]]] = {
        backend: {"first": [], "returning": []} for backend in BACKENDS}
    for number in range(logins + 1):
        for backend in BACKENDS:
            # Each visitor has a name of their own: a taken username costs line_auth one more SELECT.
            user, client = emulator.add_user(name=f"Visitor {backend} {number}"), Client()
            first = one_login(client, emulator, backend, user, later=False)
            client.logout()
            returning = one_login(client, emulator, backend, user, later=True)
            if number:
                rows[backend]["first"].append(first)
                rows[backend]["returning"].append(returning)
    return {backend: {kind: _summary(found) for kind, found in kinds.items()} for backend, kinds in rows.items()}


def _summary(found: list[dict[str, Any]]) -> dict[str, Any]:
    return {"calls": found[-1]["calls"], "statements": found[-1]["statements"],
            "transaction_control": found[-1]["transaction_control"], "sql": found[-1]["sql"],
            "cpu_ms": round(statistics.median(r["cpu_ms"] for r in found), 2),
            "wall_ms": round(statistics.median(r["wall_ms"] for r in found), 1)}


def ideal_login(ours: dict[str, Any], stock: dict[str, Any], latency: float) -> dict[str, Any]:
    """The least a login can cost: the one call to LINE the authorization code flow cannot do
    without (the code exchange), the lower of the two CPU times, and a wall time of that one
    call's latency on top of the faster backend's wall time without latency (its database and
    in-process emulator time included). No statement count is given: what a site stores at a
    login is its own choice."""
    cpu_ms = min(ours["cpu_ms"], stock["cpu_ms"])
    wall_ms = min(ours["wall_ms"], stock["wall_ms"])
    return {"calls": 1, "cpu_ms": cpu_ms, "wall_ms_at_latency": round(latency * 1000 + wall_ms, 1)}


def audit_cost(emulator: Any, logins: int) -> dict[str, dict[str, dict[str, Any]]]:
    """line_auth's login start and callback with the audit trail off and on, in turn, so
    neither side gets a warmer process; one untimed round first."""
    from django.test import Client, override_settings

    measured: dict[str, dict[str, list[dict[str, Any]]]] = {
        audit: {"first": [], "returning": []} for audit in ("off", "on")}
    for round_number in range(logins + 1):
        for audit, rows in measured.items():
            with override_settings(LINE_AUTH_AUDIT=audit == "on"):
                user, client = emulator.add_user(), Client()
                first = one_login(client, emulator, "line_auth", user, later=False)
                client.logout()
                returning = one_login(client, emulator, "line_auth", user, later=True)
            if round_number:
                rows["first"].append(first)
                rows["returning"].append(returning)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for audit, rows in measured.items():
        results[audit] = {
            kind: {"statements": found[-1]["begin_statements"] + found[-1]["statements"],
                   "transaction_control": found[-1]["transaction_control"],
                   "cpu_ms": round(statistics.median(r["begin_cpu_ms"] + r["cpu_ms"] for r in found), 2)}
            for kind, found in rows.items()
        }
    return results


def report_audit_cost(described: str, logins: int, results: dict[str, dict[str, dict[str, Any]]]) -> None:
    print(f"{described}; {logins} logins per row; login start + callback of line_auth")
    print(f"{'login':<10} {'audit':<6} {'SQL':>5} {'txn':>4} {'CPU ms':>7}")
    for kind in ("first", "returning"):
        for audit in ("off", "on"):
            row = results[audit][kind]
            print(f"{kind:<10} {audit:<6} {row['statements']:>5} {row['transaction_control']:>4} {row['cpu_ms']:>7}")
        off, on = results["off"][kind], results["on"][kind]
        print(f"{'':<10} trail adds {on['statements'] - off['statements']} statements, "
              f"CPU x{on['cpu_ms'] / off['cpu_ms']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per LINE call for the wall-time run")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--audit", action="store_true", help="the audit trail's cost instead (line_auth only)")
    parser.add_argument("--trace", action="store_true", help="print every statement of the last login of each row")
    args = parser.parse_args()
    described = setup_django(args.db, "login")
    from django.conf import settings
    from django.test import override_settings
    from django.test.utils import setup_test_environment

    from line_auth.testing import LineEmulator

    setup_test_environment()
    emulator = LineEmulator()
    emulator.add_channel(settings.SOCIAL_AUTH_LINE_KEY, settings.SOCIAL_AUTH_LINE_SECRET)
    if args.audit:
        with emulator.intercept():
            audit_results = audit_cost(emulator, args.logins)
        report_audit_cost(described, args.logins, audit_results)
        if args.json:
            with open(args.json, "w") as handle:
                json.dump(audit_results, handle, indent=2)
        return
    with emulator.intercept(), override_settings(LINE_AUTH_AUDIT=False):
        results = measure(emulator, args.logins)
        emulator.latency = args.latency
        slow = measure(emulator, max(5, args.logins // 5))
    for backend in BACKENDS:
        for kind in ("first", "returning"):
            results[backend][kind]["wall_ms_at_latency"] = slow[backend][kind]["wall_ms"]

    print(f"{described}; {args.logins} logins per row; wall time with "
          f"{args.latency * 1000:.0f} ms per LINE call")
    print(f"{'login':<10} {'backend':<10} {'LINE calls':>10} {'SQL':>5} {'txn':>4} {'CPU ms':>7} "
          f"{'wall ms':>8}  calls")
    for kind in ("first", "returning"):
        for backend in BACKENDS:
            row = results[backend][kind]
            print(f"{kind:<10} {backend:<10} {len(row['calls']):>10} {row['statements']:>5} "
                  f"{row['transaction_control']:>4} {row['cpu_ms']:>7} {row['wall_ms_at_latency']:>8}  "
                  + " ".join(row["calls"]))
        ours, stock = results["line_auth"][kind], results["stock"][kind]
        ideal = ideal_login(ours, stock, args.latency)
        results.setdefault("ideal", {})[kind] = ideal
        print(f"{kind:<10} {'ideal':<10} {ideal['calls']:>10} {'-':>5} {'-':>4} {ideal['cpu_ms']:>7} "
              f"{ideal['wall_ms_at_latency']:>8}  /oauth2/v2.1/token")
        print(f"{'':<10} ratio line_auth/stock: CPU {ours['cpu_ms'] / stock['cpu_ms']:.2f}, "
              f"wall at latency {ours['wall_ms_at_latency'] / stock['wall_ms_at_latency']:.2f}; "
              f"line_auth/ideal: wall at latency {ours['wall_ms_at_latency'] / ideal['wall_ms_at_latency']:.2f}")
    if args.trace:
        for kind in ("first", "returning"):
            for backend in BACKENDS:
                print(f"\n-- {kind} login, {backend}:")
                print("\n".join(f"  {text[:160]}" for text in results[backend][kind]["sql"]))
    for backend in BACKENDS:
        for row in results[backend].values():
            del row["sql"]
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
