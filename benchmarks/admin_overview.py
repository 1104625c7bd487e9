"""Query count and render time of the two admin pages at 1,000 and 100,000 accounts.

Run:  .venv/bin/python -m benchmarks.admin_overview --db postgres --json admin.json
      (options: --accounts 1000 100000, --runs 5)

For each size in ``--accounts`` (in increasing order; the database grows to each
one), creates users with linked accounts spread over 120 days (a third friends,
a third not, a third unknown, tokens expiring over the next 40 days) and one
friendship change for two accounts in three, rolls the overview's daily figures
up, then renders the LineAccount changelist and the overview page through the
test client as a superuser.
Reports the SQL queries per render (exact; it should not grow with the number
of accounts), the median, min and max of ``--runs`` renders, and the slowest query.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from typing import Any

from benchmarks.django_setup import setup_django
from benchmarks.report import table, write_json

STATUSES = ("friend", "not_friend", "unknown")


PAGES = {
    "changelist": "/admin/line_auth/lineaccount/",
    "overview": "/admin/line_auth/lineaccount/overview/",
}


def populate(first: int, count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.utils import timezone

    from line_auth.models import FriendshipChange, LineAccount

    user_model = get_user_model()
    now = timezone.now()
    for start in range(first, count, 10_000):
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


def render(client: Any, url: str, runs: int) -> dict[str, Any]:
    """``runs`` renders of ``url``: queries of the last one, and the times of all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - began)
        assert response.status_code == 200, (url, response.status_code)
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    return {
        "queries": len(queries),
        "median_ms": round(1000 * statistics.median(timings), 1),
        "min_ms": round(1000 * min(timings), 1),
        "max_ms": round(1000 * max(timings), 1),
        "bytes": len(response.content),
        "slowest_query_ms": round(1000 * float(slowest["time"]), 1),
        "slowest_query": slowest["sql"][:160],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--accounts", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    described = setup_django(args.db, "overview")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from line_auth import figures

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", "b@example.com", "pw"))
    rows, created = [], 0
    for size in sorted(args.accounts):
        started = time.perf_counter()
        populate(created, size)
        created = size
        if args.db == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        figures.roll_up(full=True)  # what the scheduled task does; the overview reads its figures
        print(f"{size:,} accounts ready in {time.perf_counter() - started:.0f} s", flush=True)
        for page, url in PAGES.items():
            rows.append({"accounts": size, "page": page, **render(client, url, args.runs)})
    print(f"{described}; {args.runs} renders per row, test client as a superuser")
    table(rows, ["accounts", "page", "queries", "median_ms", "min_ms", "max_ms", "bytes", "slowest_query_ms"])
    for row in rows:
        print(f"{row['accounts']:>7,} {row['page']:<10} slowest: {row['slowest_query'][:110]}")
    write_json(args.json, {"benchmark": "admin_overview", "database": described, "pages": rows})


if __name__ == "__main__":
    main()
