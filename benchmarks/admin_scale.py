"""The LINE accounts admin at millions of accounts, on PostgreSQL: time and queries per page.

Run:  .venv/bin/python -m benchmarks.admin_scale --accounts 1000000 2000000 4000000 --json scale.json
      (options: --runs 5; sizes in increasing order, the database grows to each)

Loads users, linked accounts and their friendship history with PostgreSQL's
``COPY`` (indexes and constraints dropped during the load and built again after
it, as one would for a bulk import), then ``VACUUM ANALYZE`` and the overview's
roll-up, and renders each admin page through the test client as a superuser:
the changelist, its filters, the search by LINE user ID and by name, the change
page and the overview. For each page it prints the SQL queries of one render
(they must not grow with the table) and the median of ``--runs`` renders beside
the target: no more queries than at the smallest size, under 500 ms. Beside the
wall time: this process's CPU time (Django rendering the page) and the time the
database took for the queries, which tell the page's own cost when other work
shares the machine.

The data: accounts linked over the past year, a third friends, a third not, a
third unknown; tokens expiring from 10 days ago to 30 days ahead; refresh
deadlines from 2 days ago to 88 days ahead; 2% flagged as needing a new login;
display names from 40 given names and 40 family names; one friendship change for
two accounts in three over the past 120 days.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from benchmarks.django_setup import setup_django
from benchmarks.report import table, write_json

TARGET_MS = 500
CHUNK = 100_000
CHANNEL = "1234567890"
GIVEN = (
    "Taro Hanako Jiro Yuki Haruto Sakura Ren Aoi Sota Yui Minato Himari Riku Mei Kaito Rin Yuto Hina "
    "Asahi Saki Daiki Nana Kenta Mio Shota Emi Takumi Koharu Naoki Airi Somchai Malee Anan Ploy "
    "Wei Mei-Ling Chen Yu-Ting Niran Kanya"
).split()
FAMILY = (
    "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki "
    "Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto Ishikawa Ogawa "
    "Okada Goto Hasegawa Murakami Wong Lin Chang Huang Saetang Srisuk Chaiyaporn Wu Liu Tsai"
).split()
STATUSES = ("friend", "not_friend", "unknown")


def line_user_id(index: int) -> str:
    """A LINE-shaped user ID ("U" and 32 hex digits), spread as real ones are."""
    return f"U{(index * 0x9E3779B97F4A7C15F39CC0605CEDC835) % (1 << 128):032x}"


def display_name(index: int) -> str:
    return f"{GIVEN[index % len(GIVEN)]} {FAMILY[(index // len(GIVEN)) % len(FAMILY)]}"


class Clock:
    """Timestamps as COPY text, cached by minute: formatting ten million datetimes is slow."""

    def __init__(self, now: datetime) -> None:
        self.now = now.replace(second=0, microsecond=0)
        self.cache: dict[int, str] = {}

    def minutes(self, offset: int) -> str:
        text = self.cache.get(offset)
        if text is None:
            text = self.cache[offset] = (self.now + timedelta(minutes=offset)).isoformat()
        return text


def user_rows(start: int, stop: int, clock: Clock) -> Iterator[str]:
    for i in range(start, stop):
        joined = clock.minutes(-((i * 7919) % (365 * 1440)))
        yield f"{i + 2}\t!\t\\N\tf\tuser{i}\t\t\t\tf\tt\t{joined}\n"


def account_rows(start: int, stop: int, clock: Clock, token: str) -> Iterator[str]:
    for i in range(start, stop):
        linked = clock.minutes(-((i * 7919) % (365 * 1440)))
        access = clock.minutes(((i * 31) % (40 * 24) - 10 * 24) * 60)
        deadline = clock.minutes(((i * 37) % (90 * 24) - 2 * 24) * 60)
        relogin = "t" if i % 50 == 0 else "f"
        status = STATUSES[i % 3]
        yield (
            f"{i + 1}\t{i + 2}\t{CHANNEL}\t{line_user_id(i)}\t{display_name(i)}\t\t\tprofile openid\t[]\t"
            f"{token}\t{token}\t{access}\t{deadline}\t{relogin}\t{status}\t{linked}\twebhook\t"
            f"{linked}\t{linked}\t{linked}\n"
        )


def change_rows(start: int, stop: int, clock: Clock) -> Iterator[str]:
    for i in range(start, stop):
        status = STATUSES[i % 3]
        if status == "unknown":
            continue
        at = clock.minutes(-((i * 104729) % (120 * 1440)))
        previous = "unknown" if i % 2 else ("not_friend" if status == "friend" else "friend")
        yield f"{i + 1}\t{previous}\t{status}\twebhook\t{at}\t{at}\n"


TABLES: dict[str, tuple[str, Callable[..., Iterator[str]]]] = {
    "auth_user": (
        "id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined",
        user_rows,
    ),
    "line_auth_lineaccount": (
        "id, user_id, channel_id, line_user_id, display_name, picture_url, email, scopes, amr, "
        "access_token, refresh_token, access_token_expires_at, refresh_token_expires_at, needs_relogin, "
        "friendship, friendship_checked_at, friendship_source, created, last_login_at, modified",
        account_rows,
    ),
    "line_auth_friendshipchange": ("account_id, previous, current, source, event_at, changed_at", change_rows),
}


def load(cursor: Any, first: int, size: int, clock: Clock, token: str) -> dict[str, float]:
    """COPY accounts ``first`` to ``size`` in; return the seconds each step took."""
    took: dict[str, float] = {}
    started = time.perf_counter()
    rebuild = drop_indexes(cursor, list(TABLES))
    took["drop_s"] = time.perf_counter() - started
    started = time.perf_counter()
    for name, (columns, rows) in TABLES.items():
        arguments = (clock, token) if name == "line_auth_lineaccount" else (clock,)
        with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for chunk in range(first, size, CHUNK):
                copy.write("".join(rows(chunk, min(chunk + CHUNK, size), *arguments)))
    took["copy_s"] = time.perf_counter() - started
    started = time.perf_counter()
    for statement in rebuild:
        cursor.execute(statement)
    for name in TABLES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
        )
    took["index_s"] = time.perf_counter() - started
    started = time.perf_counter()
    for name in TABLES:
        cursor.execute(f"VACUUM ANALYZE {name}")
    took["vacuum_analyze_s"] = time.perf_counter() - started
    return {key: round(value, 1) for key, value in took.items()}


def drop_indexes(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the tables' secondary indexes, unique and foreign-key constraints; return how to remake them.

    Foreign keys come back ``NOT VALID`` (the loader made the rows consistent; validating
    would read every row again), everything else as it was.
    """
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        [tables],
    )
    indexes = cursor.fetchall()
    remake = [definition for _, definition in indexes]
    for table_name, name, definition, kind in constraints:
        cursor.execute(f'ALTER TABLE {table_name} DROP CONSTRAINT "{name}"')
        valid = " NOT VALID" if kind == "f" else ""
        remake.append(f'ALTER TABLE {table_name} ADD CONSTRAINT "{name}" {definition}{valid}')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    # Unique constraints first (the foreign keys need them), then the rest.
    return sorted(remake, key=lambda statement: "FOREIGN KEY" in statement)


def pages(size: int, now: datetime) -> dict[str, str]:
    from urllib.parse import urlencode

    from django.utils import timezone

    from line_auth.figures import start_of

    base = "/admin/line_auth/lineaccount/"
    sample = size // 2 + 7
    today = timezone.localdate(now)
    # As the "Past 7 days" choice of Django's date filter writes it.
    week = urlencode(
        {
            "created__gte": str(start_of(today - timedelta(days=7))),
            "created__lt": str(start_of(today + timedelta(days=1))),
        }
    )
    return {
        "changelist": base,
        "filter friend": f"{base}?friendship__exact=friend",
        "filter past 7 days": f"{base}?{week}",
        "filter needs login": f"{base}?token_state=relogin",
        "filter token expired": f"{base}?token_state=expired",
        "search user ID": f"{base}?q={line_user_id(sample)}",
        "search ID prefix": f"{base}?q={line_user_id(sample)[:9]}",
        "search name, common": f"{base}?q=Taro",
        "search name, full": f"{base}?q={display_name(sample).replace(' ', '+')}",
        "change page": f"{base}{sample + 1}/change/",
        "overview": f"{base}overview/",
    }


def render(client: Any, url: str, runs: int) -> dict[str, Any]:
    """``runs`` renders of ``url`` after one warm-up: queries of the last, times of all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200, url
    timings, cpu, sql = [], [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        sql.append(sum(float(query["time"]) for query in queries.captured_queries))
        assert response.status_code == 200, (url, response.status_code)
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    html = response.content.decode()
    return {
        "queries": len(queries),
        "median_ms": round(1000 * statistics.median(timings), 1),
        "max_ms": round(1000 * max(timings), 1),
        "python_cpu_ms": round(1000 * statistics.median(cpu), 1),
        "sql_ms": round(1000 * statistics.median(sql), 1),
        "estimated": "about " in html,
        "slowest_query_ms": round(1000 * float(slowest["time"]), 1),
        "slowest_query": slowest["sql"][:200],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[1_000_000, 2_000_000, 4_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    described = setup_django("postgres", "admin_scale")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from line_auth import figures
    from line_auth.fields import encrypt

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", "b@example.com", "pw"))
    clock = Clock(datetime.now(dt_timezone.utc))
    token = encrypt("benchmark-token")  # one ciphertext for every row: the pages never decrypt in bulk
    rows: list[dict[str, Any]] = []
    loads: list[dict[str, Any]] = []
    baseline: dict[str, int] = {}
    created = 0
    print(described, flush=True)
    for size in sorted(args.accounts):
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            raw.execute("SET maintenance_work_mem = '1GB'")
            raw.execute("SET synchronous_commit = off")
            took = load(raw, created, size, clock, token)
            raw.execute("RESET maintenance_work_mem")
            raw.execute("RESET synchronous_commit")
        created = size
        started = time.perf_counter()
        figures.roll_up(full=True)
        took["roll_up_full_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        figures.roll_up()
        took["roll_up_s"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size('line_auth_lineaccount')")
            took["accounts_table_mb"] = cursor.fetchone()[0] // 2**20
        loads.append({"accounts": size, **took})
        print(f"{size:,} accounts ready: {took}", flush=True)
        for page, url in pages(size, clock.now).items():
            measured = render(client, url, args.runs)
            baseline.setdefault(page, measured["queries"])
            rows.append(
                {
                    "accounts": size,
                    "page": page,
                    **measured,
                    "queries_at_smallest": baseline[page],
                    "target_ms": TARGET_MS,
                    "ok": measured["queries"] <= baseline[page] and measured["median_ms"] < TARGET_MS,
                }
            )
            print(f"  {page:<22} {measured['queries']:>3} queries {measured['median_ms']:>8} ms", flush=True)
        write_json(args.json, {"benchmark": "admin_scale", "database": described, "loads": loads, "pages": rows})
    print(f"{described}; {args.runs} renders per row (median), test client as a superuser")
    table(loads, list(loads[0]))
    table(
        rows,
        ["accounts", "page", "queries", "queries_at_smallest", "median_ms", "target_ms", "ok", "python_cpu_ms",
         "sql_ms", "slowest_query_ms", "estimated"],
    )
    for row in rows:
        if not row["ok"]:
            print(f"over target: {row['accounts']:,} {row['page']}: {row['slowest_query'][:150]}")


if __name__ == "__main__":
    main()
