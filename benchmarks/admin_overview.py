"""Query count and render time of the admin overview page at a realistic size.

    .venv/bin/python benchmarks/admin_overview.py --db sqlite --accounts 100000
    .venv/bin/python benchmarks/admin_overview.py --db postgres --accounts 100000

Creates ``--accounts`` users with linked accounts spread over 120 days (a third
friends, a third not, a third unknown, tokens expiring over the next 40 days)
and one friendship change for two accounts in three, then renders the page
through the test client as a superuser and reports the queries and the median
of ``--runs`` renders.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from bench_db import setup

STATUSES = ("friend", "not_friend", "unknown")


def populate(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.utils import timezone

    from line_auth.models import FriendshipChange, LineAccount

    user_model = get_user_model()
    now = timezone.now()
    for start in range(0, count, 10_000):
        stop = min(start + 10_000, count)
        users = user_model.objects.bulk_create(
            [user_model(username=f"overview{i}") for i in range(start, stop)], batch_size=2000
        )
        accounts = LineAccount.objects.bulk_create(
            [
                LineAccount(
                    user=user,
                    channel_id="1234567890",
                    line_user_id=f"U{i:032x}",
                    friendship=STATUSES[i % 3],
                    friendship_source="webhook",
                    access_token_expires_at=now + timedelta(days=i % 40, hours=1),
                    refresh_token_expires_at=now + timedelta(days=i % 90, hours=1),
                )
                for i, user in zip(range(start, stop), users, strict=True)
            ],
            batch_size=2000,
        )
        FriendshipChange.objects.bulk_create(
            [
                FriendshipChange(
                    account=account,
                    previous="unknown" if i % 2 else "friend",
                    current=account.friendship,
                    source="webhook",
                    event_at=now - timedelta(days=i % 120, minutes=i % 1440),
                )
                for i, account in zip(range(start, stop), accounts, strict=True)
                if account.friendship != "unknown"
            ],
            batch_size=2000,
        )
    # auto_now_add ignores given values, so spread the link dates afterwards.
    LineAccount.objects.update(created=F("refresh_token_expires_at") - timedelta(days=120))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    described = setup(args.db, "line_auth_bench_overview")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    populate(args.accounts)
    if args.db == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"{described}; {args.accounts:,} accounts created in {time.perf_counter() - started:.0f} s"
    )
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", "b@example.com", "pw"))
    timings = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get("/admin/line_auth/lineaccount/overview/")
            timings.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    print(
        f"overview: {len(queries)} queries, median {1000 * statistics.median(timings):.0f} ms "
        f"(min {1000 * min(timings):.0f}, max {1000 * max(timings):.0f}) over {args.runs} renders; "
        f"{len(response.content):,} bytes"
    )
    print(f"slowest query {1000 * float(slowest['time']):.0f} ms: {slowest['sql'][:120]}")


if __name__ == "__main__":
    main()
