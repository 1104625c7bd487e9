"""Throughput and memory of ``manage.py line_auth_refresh_tokens``.

Run:  .venv/bin/python -m benchmarks.refresh_bulk --json refresh.json
      (options: --db sqlite|postgres, --latency 0.05, --concurrency 1 4 16 32,
       --per-worker 100, --repeat 3, --memory 10000 100000, --only throughput|memory)

``throughput`` refreshes accounts whose tokens the in-process LINE emulator
issued, with ``--latency`` seconds added to every LINE call, so the ideal rate
is ``concurrency / latency``. Each concurrency runs ``--repeat`` times and the
median rate is reported next to the ideal and their ratio. Counted exactly,
per run: calls to LINE's token endpoint and SQL statements (both fixed by the
number of accounts); commits depend on timing and are shown for information.

``memory`` runs the command once per ``--memory`` size, each in a fresh child
process, on accounts answered with a fixed, stateless token response (so the
figure is the command's own memory and not the emulator's, which keeps every
token it issued). It reports tracemalloc's peak during the command and the
process's maximum RSS before and after; flat means the same at every size.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

from benchmarks.django_setup import setup_django
from benchmarks.report import table, write_json

TOKEN_PATH = "/oauth2/v2.1/token"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def create_accounts(count: int, issue: Any = None) -> None:
    """``count`` users with linked accounts due for refresh; ``issue(i)`` gives their tokens."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from line_auth.models import REFRESH_TOKEN_LIFETIME, LineAccount

    user_model = get_user_model()
    now = timezone.now()
    for start in range(0, count, 5000):
        stop = min(start + 5000, count)
        users = user_model.objects.bulk_create(
            [user_model(username=f"bench{index}") for index in range(start, stop)]
        )
        accounts = []
        for index, user in zip(range(start, stop), users, strict=True):
            access, refresh, user_id = issue(index) if issue else ("a", f"r{index}", f"U{index:032x}")
            accounts.append(
                LineAccount(
                    user=user,
                    channel_id=settings.SOCIAL_AUTH_LINE_KEY,
                    line_user_id=user_id,
                    access_token=access,
                    refresh_token=refresh,
                    access_token_expires_at=now + timedelta(hours=1),
                    refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
                )
            )
        LineAccount.objects.bulk_create(accounts, batch_size=1000)


class Counting:
    """Counts SQL statements (not transaction control) and commits on the default connection."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def __enter__(self) -> Counting:
        from django.db import connection

        connection.ensure_connection()
        self._original_commit = connection.commit
        self._wrapper = connection.execute_wrapper(self._execute)
        self._wrapper.__enter__()

        def commit() -> None:
            self.commits += 1
            self._original_commit()

        connection.commit = commit  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        self._wrapper.__exit__(*exc)
        connection.commit = self._original_commit  # type: ignore[method-assign]

    def _execute(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.statements += 1
        return execute(sql, params, many, context)


def run_command(*args: str) -> tuple[str, float, Counting]:
    from django.core.management import call_command

    out = StringIO()
    with Counting() as counted:
        started = time.perf_counter()
        call_command("line_auth_refresh_tokens", *args, stdout=out, stderr=StringIO())
        elapsed = time.perf_counter() - started
    return out.getvalue().strip(), elapsed, counted


def throughput(latency: float, concurrencies: list[int], per_worker: int, repeat: int) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.utils import timezone

    from line_auth.models import LineAccount
    from line_auth.testing import LineEmulator

    emulator = LineEmulator()
    emulator.add_channel(settings.SOCIAL_AUTH_LINE_KEY, settings.SOCIAL_AUTH_LINE_SECRET)

    def issue(index: int) -> tuple[str, str, str]:
        user = emulator.add_user()
        tokens = emulator.issue_tokens(user, settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
        return tokens["access_token"], tokens["refresh_token"], user.user_id

    create_accounts(per_worker * max(concurrencies), issue)
    emulator.latency = latency
    rows = []
    with emulator.intercept():
        for concurrency in concurrencies:
            accounts = per_worker * concurrency
            ids = list(LineAccount.objects.order_by("pk").values_list("pk", flat=True)[:accounts])
            rates, runs = [], []
            for _ in range(repeat):
                # Exactly ``accounts`` are due: the first ones, expiring within the hour.
                LineAccount.objects.exclude(pk__in=ids).update(
                    access_token_expires_at=timezone.now() + timedelta(days=30)
                )
                LineAccount.objects.filter(pk__in=ids).update(
                    access_token_expires_at=timezone.now() + timedelta(hours=1)
                )
                emulator.reset_calls()
                summary, elapsed, counted = run_command("--concurrency", str(concurrency))
                assert summary.startswith(f"Refreshed {accounts},"), summary
                rates.append(accounts / elapsed)
                runs.append({"seconds": round(elapsed, 3), "accounts_per_s": round(accounts / elapsed, 1),
                             "line_calls": emulator.count_calls(TOKEN_PATH), "sql_statements": counted.statements,
                             "commits": counted.commits})
            ideal = concurrency / latency if latency else None
            rate = statistics.median(rates)
            rows.append({
                "concurrency": concurrency, "accounts": accounts, "ideal_per_s": ideal,
                "accounts_per_s": round(rate, 1), "ratio": round(rate / ideal, 3) if ideal else None,
                "min_per_s": round(min(rates), 1), "max_per_s": round(max(rates), 1),
                "line_calls": runs[-1]["line_calls"], "sql_statements": runs[-1]["sql_statements"],
                "commits": runs[-1]["commits"], "runs": runs,
            })
    return rows


def memory_child(count: int) -> dict[str, Any]:
    """One size, in this (fresh) process: create accounts, refresh them all, measure."""
    from line_auth.client import LineClient

    def refresh(self: LineClient, channel: object, refresh_token: str) -> dict[str, object]:
        return {"access_token": "b" * 180, "expires_in": 2592000, "refresh_token": refresh_token,
                "scope": "profile", "token_type": "Bearer"}

    LineClient.refresh = refresh  # type: ignore[method-assign]
    create_accounts(count)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    summary, elapsed, counted = run_command("--concurrency", "16")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert summary.startswith(f"Refreshed {count},"), summary
    return {"accounts": count, "tracemalloc_peak_mib": round(peak / 2**20, 1),
            "max_rss_before_mib": round(rss_before / 1024), "max_rss_after_mib": round(rss_after / 1024),
            "seconds_with_tracemalloc": round(elapsed, 1), "sql_statements": counted.statements,
            "commits": counted.commits}


def memory(sizes: list[int], db: str) -> list[dict[str, Any]]:
    rows = []
    for count in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.refresh_bulk", "--db", db, "--memory-child", str(count)],
            cwd=Path(__file__).resolve().parent.parent, check=True, capture_output=True, text=True,
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--only", choices=("throughput", "memory"))
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every LINE call")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--per-worker", type=int, default=100, help="accounts per concurrent call")
    parser.add_argument("--repeat", type=int, default=3, help="runs per concurrency (median reported)")
    parser.add_argument("--memory", type=int, nargs="+", default=[10_000, 100_000], help="account counts")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.memory_child:
        setup_django(args.db, f"refresh_mem_{args.memory_child}")
        print(json.dumps(memory_child(args.memory_child)))
        return
    described = setup_django(args.db, "refresh")
    figures: dict[str, Any] = {"benchmark": "refresh_bulk", "database": described}
    print(f"{described}; line_auth_refresh_tokens")
    if args.only != "memory":
        figures["latency_s"] = args.latency
        figures["throughput"] = throughput(args.latency, args.concurrency, args.per_worker, args.repeat)
        table(figures["throughput"],
              ["concurrency", "accounts", "ideal_per_s", "accounts_per_s", "ratio", "min_per_s", "max_per_s",
               "line_calls", "sql_statements", "commits"],
              f"throughput at {args.latency * 1000:.0f} ms per LINE call, median of {args.repeat}")
    if args.only != "throughput":
        figures["memory"] = memory(args.memory, args.db)
        table(figures["memory"],
              ["accounts", "tracemalloc_peak_mib", "max_rss_before_mib", "max_rss_after_mib",
               "seconds_with_tracemalloc", "sql_statements", "commits"],
              "memory, --concurrency 16, one fresh process per size")
    write_json(args.json, figures)


if __name__ == "__main__":
    main()
