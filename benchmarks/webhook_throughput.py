"""Webhook requests per second through the real view (Django test client, full middleware).

Run:  .venv/bin/python -m benchmarks.webhook_throughput --db postgres --json webhook.json
      (options: --batch 1 100 500, --accounts 10000, --seconds 5)

Each request is a signed body of ``--batch`` follow/unfollow events, every one
new (a fresh ``webhookEventId``, a later timestamp) and half of them for users
who have no linked account, so every request writes: processed IDs, account
statuses, history rows and remembered statuses. Requests run one after another
in one process (one worker); a deployment multiplies by its worker count.

Printed beside the target: 5,000 events a second on one process at 100 events
per request, the SQL statements one request takes (they should not grow with
the events per request), and this process's CPU time per request (the rest is
the database's work and, on a shared machine, waiting for a core).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from typing import Any

from benchmarks.django_setup import setup_django
from benchmarks.report import table, write_json

URL = "/accounts/line/webhook/"
TARGET_EVENTS_PER_S = 5_000
SERIALS = itertools.count(1)  # event IDs and timestamps never repeat across bodies
START_MS = int(time.time() * 1000)


def linked_users(count: int) -> list[str]:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from line_auth.models import LineAccount

    user_model = get_user_model()
    users = user_model.objects.bulk_create([user_model(username=f"hook{i}") for i in range(count)])
    LineAccount.objects.bulk_create(
        [
            LineAccount(
                user=user, channel_id=settings.SOCIAL_AUTH_LINE_KEY, line_user_id=f"U{i:032x}"
            )
            for i, user in enumerate(users)
        ],
        batch_size=1000,
    )
    analyze(LineAccount)
    return [f"U{i:032x}" for i in range(count)]


def analyze(model: Any) -> None:
    """Give the planner the statistics a live table has: autovacuum would gather them in a
    deployment, but not before the benchmark starts (nor at all where it is off). Without
    them PostgreSQL guesses the freshly loaded accounts table is tiny and reads every
    account to find a request's 50."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def bodies(users: list[str], batch: int, requests: int) -> list[tuple[bytes, str]]:
    from django.conf import settings

    from line_auth.views.webhook import signature

    out = []
    for _ in range(requests):
        events = []
        for _ in range(batch):
            serial = next(SERIALS)
            # Alternate a linked user and a stranger, following or blocking.
            user = (
                users[serial % len(users)]
                if serial % 2
                else f"U{serial:032x}".replace("U0", "Uf", 1)
            )
            events.append(
                {
                    "type": "follow" if serial % 3 else "unfollow",
                    "mode": "active",
                    "timestamp": START_MS + serial,
                    "source": {"type": "user", "userId": user},
                    "webhookEventId": f"01BENCH{serial:019d}",
                    "deliveryContext": {"isRedelivery": False},
                    "follow": {"isUnblocked": False},
                }
            )
        raw = json.dumps({"destination": "U" + "e" * 32, "events": events}).encode()
        out.append((raw, signature(raw, settings.LINE_AUTH_WEBHOOK_SECRET)))
    return out


def recorder(statements: list[str]) -> Any:
    """A database execute wrapper that notes each statement (transaction control is not one)."""

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 100, 500])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="time spent per batch size")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    described = setup_django(args.db, "webhook")
    from django.db import connection
    from django.test import Client

    users = linked_users(args.accounts)
    client = Client()
    print(f"{described}; {args.accounts:,} linked accounts; one process, sequential requests")
    rows = []
    for batch in args.batch:
        payloads = bodies(users, batch, 50)
        for raw, sig in payloads[:2]:  # warm up
            client.generic(
                "POST", URL, raw, content_type="application/json", HTTP_X_LINE_SIGNATURE=sig
            )
        statements: list[str] = []
        with connection.execute_wrapper(recorder(statements)):
            raw, sig = payloads[2]
            client.generic("POST", URL, raw, content_type="application/json", HTTP_X_LINE_SIGNATURE=sig)
        done, started, started_cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < args.seconds:
            if done + 3 >= len(payloads):
                payloads += bodies(users, batch, 50)
            raw, sig = payloads[done + 3]
            response = client.generic(
                "POST", URL, raw, content_type="application/json", HTTP_X_LINE_SIGNATURE=sig
            )
            assert response.status_code == 200, response.status_code
            done += 1
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        rows.append(
            {
                "events_per_request": batch,
                "requests": done,
                "requests_per_s": round(done / elapsed, 1),
                "events_per_s": round(done * batch / elapsed),
                "ms_per_request": round(1000 * elapsed / done, 2),
                "python_cpu_ms_per_request": round(1000 * cpu / done, 2),
                "statements_per_request": len(statements),
                "target_events_per_s": TARGET_EVENTS_PER_S if batch == 100 else None,
            }
        )
    table(
        rows,
        [
            "events_per_request",
            "requests",
            "requests_per_s",
            "events_per_s",
            "target_events_per_s",
            "ms_per_request",
            "python_cpu_ms_per_request",
            "statements_per_request",
        ],
    )
    write_json(args.json, {"benchmark": "webhook_throughput", "database": described, "batches": rows})


if __name__ == "__main__":
    main()
