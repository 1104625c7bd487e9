"""Bulk token refresh spread over task worker processes: throughput against linear, and memory.

Run:  .venv/bin/python -m benchmarks.refresh_workers --json refresh_workers.json
      (options: --workers 1 2 4, --budget-workers 4, --budget 100, --latency 0.05,
       --concurrency 4, --calls-per-slot 40, --repeat 3, --memory 100000 1000000,
       --only throughput|memory; PostgreSQL only: workers are separate processes)

Every worker is a real ``manage.py db_worker`` process (django-tasks-db) on PostgreSQL,
started by this command; ``line_auth.refresh_due_line_tokens`` is queued once and the
workers share its chunks, as in production.

``throughput`` serves the LINE emulator on loopback with ``--latency`` seconds added to
every call and runs ``--workers`` processes of ``--concurrency`` calls each, so the
ideal rate is ``workers × concurrency / latency``; with ``--budget`` requests per second
(LINE_AUTH_LINE_REQUESTS_PER_SECOND, counted in Redis by every worker) it is capped at
the budget. The rate is the accounts refreshed over the time from the first chunk's
start to the last chunk's end (worker start-up is not counted); median of ``--repeat``.
The emulator's call count is exact: one token call per account.

``memory`` makes ``--memory`` accounts with one INSERT … SELECT per table and queues
the refresh; one worker process then runs it: the refresh task, which cuts all the
accounts into chunks (the one step whose work grows with the number of accounts), and
the first ``--memory-chunks`` chunks (each chunk is alike whatever the total). LINE is
answered in that process by a fixed, stateless token response (no emulator keeping a
million tokens, no HTTP). It reports the worker's peak RSS; flat means the same at
every size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.django_setup import join_django, setup_django
from benchmarks.report import table, write_json

ROOT = Path(__file__).resolve().parent.parent
TOKEN_PATH = "/oauth2/v2.1/token"
NAME = "refresh_workers"
POLL = 0.1  # seconds between looks at the task table while workers run
RUN_TIMEOUT = 1800  # a safety net only


def clone(model: Any, template_pk: int, count: int, overrides: dict[str, str], joins: str = "") -> None:
    """``count`` copies of one row in one INSERT … SELECT, some columns given as SQL over ``g``."""
    from django.db import connection

    table_name = model._meta.db_table
    columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
    values = ", ".join(overrides.get(column, f't."{column}"') for column in columns)
    names = ", ".join(f'"{column}"' for column in columns)
    sql = (
        f'INSERT INTO "{table_name}" ({names}) SELECT {values} FROM "{table_name}" t '  # noqa: S608
        f"CROSS JOIN generate_series(1, %s) g {joins} WHERE t.{model._meta.pk.column} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, template_pk])


def create_accounts(count: int, tokens: Any = None) -> None:
    """``count`` linked accounts due for refresh; ``tokens(i)`` gives each one's own tokens,
    otherwise every account holds the same (encrypted) tokens and rows are cloned in SQL."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from line_auth.models import REFRESH_TOKEN_LIFETIME, LineAccount

    user_model = get_user_model()
    now = timezone.now()
    if tokens is None:
        user = user_model.objects.create(username="bench0")
        template = LineAccount.objects.create(
            user=user, channel_id=settings.SOCIAL_AUTH_LINE_KEY, line_user_id=f"U{0:032x}",
            access_token="a" * 40, refresh_token="r" * 40, access_token_expires_at=now + timedelta(hours=1),
            refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
        )
        clone(user_model, user.pk, count - 1, {"username": "'bench' || g"})
        clone(LineAccount, template.pk, count - 1,
              {"user_id": "u.id", "line_user_id": "'U' || lpad(to_hex(g), 32, '0')", "social_id": "NULL"},
              joins=f'JOIN "{user_model._meta.db_table}" u ON u.username = \'bench\' || g')
        return
    users = user_model.objects.bulk_create([user_model(username=f"bench{index}") for index in range(count)])
    accounts = []
    for index, user in enumerate(users):
        access, refresh, user_id = tokens(index)
        accounts.append(LineAccount(
            user=user, channel_id=settings.SOCIAL_AUTH_LINE_KEY, line_user_id=user_id, access_token=access,
            refresh_token=refresh, access_token_expires_at=now + timedelta(hours=1),
            refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
        ))
    LineAccount.objects.bulk_create(accounts, batch_size=1000)


def start_workers(count: int, env: dict[str, str], *options: str) -> list[subprocess.Popen[str]]:
    command = [sys.executable, "-m", "benchmarks.refresh_workers", "--worker", *options]
    return [subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE)  # noqa: S603
            for _ in range(count)]


def wait_for_the_run() -> None:
    """Until the queued refresh and every chunk it queued have finished."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + RUN_TIMEOUT
    while DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).exists() or \
            not DBTaskResult.objects.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not finish in time")
        time.sleep(POLL)


def chunk_span() -> tuple[float, int, int]:
    """Seconds from the first chunk's start to the last one's end; chunks; failed tasks."""
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    chunks = DBTaskResult.objects.filter(task_path="line_auth.tasks.run_batch_chunk")
    span = chunks.aggregate(start=Min("started_at"), end=Max("finished_at"))
    failed = DBTaskResult.objects.exclude(status="SUCCESSFUL").count()
    return (span["end"] - span["start"]).total_seconds(), chunks.count(), failed


def environment(line_url: str, redis_url: str, budget: float | None, chunk: int, concurrency: int) -> dict[str, str]:
    return {
        **os.environ,
        "LINE_AUTH_BENCH_LINE_URL": line_url,
        "LINE_AUTH_BENCH_REDIS": redis_url,
        "LINE_AUTH_BENCH_TASK_ENGINE": "django",
        "LINE_AUTH_BENCH_REQUESTS_PER_SECOND": "none" if budget is None else str(budget),
        "LINE_AUTH_BENCH_CHUNK_SIZE": str(chunk),
        "LINE_AUTH_BENCH_CONCURRENCY": str(concurrency),
    }


def throughput(args: argparse.Namespace) -> list[dict[str, Any]]:
    import redis
    from django.conf import settings
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from line_auth import tasks
    from line_auth.models import LineAccount
    from line_auth.testing import LineEmulator
    from line_auth.testing.server import serve

    emulator = LineEmulator()
    emulator.add_channel(settings.SOCIAL_AUTH_LINE_KEY, settings.SOCIAL_AUTH_LINE_SECRET)

    def issue(index: int) -> tuple[str, str, str]:
        user = emulator.add_user()
        issued = emulator.issue_tokens(user, settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
        return issued["access_token"], issued["refresh_token"], user.user_id

    runs = [(workers, None) for workers in args.workers] + [(workers, args.budget) for workers in args.budget_workers]
    most = max(workers for workers, _ in runs) * args.concurrency * args.calls_per_slot
    create_accounts(most, issue)
    server = serve(emulator, force=True)
    emulator.latency = args.latency
    rows = []
    try:
        for workers, budget in runs:
            accounts = workers * args.concurrency * args.calls_per_slot
            ids = list(LineAccount.objects.order_by("pk").values_list("pk", flat=True)[:accounts])
            # Four chunks per worker, so the last chunks leave few workers idle.
            env = environment(server.url, args.redis, budget, max(1, accounts // (4 * workers)), args.concurrency)
            processes = start_workers(workers, env)
            rates, spans = [], []
            try:
                for _ in range(args.repeat):
                    LineAccount.objects.exclude(pk__in=ids).update(access_token_expires_at=timezone.now()
                                                                   + timedelta(days=30))
                    LineAccount.objects.filter(pk__in=ids).update(access_token_expires_at=timezone.now()
                                                                  + timedelta(hours=1))
                    DBTaskResult.objects.all().delete()
                    redis.Redis.from_url(args.redis).flushdb()
                    emulator.reset_calls()
                    tasks.refresh_due_line_tokens.enqueue()
                    wait_for_the_run()
                    seconds, chunks, failed = chunk_span()
                    calls = emulator.count_calls(TOKEN_PATH)
                    assert (calls, failed) == (accounts, 0), (calls, failed)
                    rates.append(accounts / seconds)
                    spans.append({"seconds": round(seconds, 3), "chunks": chunks, "line_calls": calls})
            finally:
                for process in processes:
                    process.send_signal(signal.SIGTERM)
                for process in processes:
                    process.wait(60)
            linear = workers * args.concurrency / args.latency
            ideal = linear if budget is None else min(linear, budget)
            rate = statistics.median(rates)
            rows.append({
                "workers": workers, "budget_per_s": budget, "accounts": accounts, "linear_per_s": linear,
                "ideal_per_s": ideal, "accounts_per_s": round(rate, 1), "of_ideal": round(rate / ideal, 3),
                "min_per_s": round(min(rates), 1), "max_per_s": round(max(rates), 1),
                "line_calls": spans[-1]["line_calls"], "chunks": spans[-1]["chunks"], "runs": spans,
            })
            table(rows[-1:], ["workers", "budget_per_s", "accounts", "linear_per_s", "ideal_per_s",
                              "accounts_per_s", "of_ideal"])
    finally:
        server.stop()
    return rows


def memory(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for count in args.memory:
        out = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.refresh_workers", "--memory-child", str(count), "--redis", args.redis,
             "--memory-chunks", str(args.memory_chunks)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        table(rows[-1:], list(rows[-1]))
    return rows


def memory_child(count: int, redis_url: str, chunks_to_run: int) -> dict[str, Any]:
    """One size on a fresh database: make the accounts, run one worker: the refresh task and
    the first ``chunks_to_run`` chunks it queued."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from line_auth import tasks
    from line_auth.models import LineAccount

    started = time.perf_counter()
    create_accounts(count)
    made = time.perf_counter() - started
    tasks.refresh_due_line_tokens.enqueue()
    env = {**environment("http://127.0.0.1:9", redis_url, None, 500, 4), "LINE_AUTH_BENCH_STUB_LINE": "1"}
    started = time.perf_counter()
    (worker,) = start_workers(1, env, "--max-tasks", str(1 + chunks_to_run))
    out, _ = worker.communicate(timeout=RUN_TIMEOUT)
    ran = time.perf_counter() - started
    # The stub's token lives 30 days; the accounts were made expiring within the hour.
    refreshed = LineAccount.objects.filter(access_token_expires_at__gt=timezone.now() + timedelta(days=29)).count()
    report = json.loads(out.strip().splitlines()[-1])
    done = DBTaskResult.objects.filter(status="SUCCESSFUL")
    assert done.count() == 1 + chunks_to_run and refreshed == chunks_to_run * 500, (done.count(), refreshed)
    return {"accounts": count, "chunks_queued": report["chunks"], "chunks_run": chunks_to_run,
            "refreshed": refreshed, "worker_rss_at_start_mib": report["rss_at_start_mib"],
            "worker_peak_rss_mib": report["peak_rss_mib"], "rows_made_s": round(made, 1),
            "worker_s": round(ran, 1)}


def worker(max_tasks: int | None) -> None:
    """One ``manage.py db_worker`` process; prints its peak RSS (and chunks run) as JSON."""
    from django.core.management import call_command

    if os.environ.get("LINE_AUTH_BENCH_STUB_LINE"):
        from line_auth.client import LineClient

        def refresh(self: LineClient, channel: object, refresh_token: str) -> dict[str, object]:
            return {"access_token": "b" * 180, "expires_in": 2592000, "refresh_token": refresh_token,
                    "scope": "profile", "token_type": "Bearer"}

        LineClient.refresh = refresh  # type: ignore[method-assign]
    at_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    options = ["--no-startup-delay", "--no-reload", "--interval", "0.05", "--verbosity", "0"]
    call_command("db_worker", *options, *(["--max-tasks", str(max_tasks)] if max_tasks else []))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from django_tasks_db.models import DBTaskResult

    chunks = DBTaskResult.objects.filter(task_path="line_auth.tasks.run_batch_chunk").count()
    print(json.dumps({"peak_rss_mib": round(peak / 1024), "rss_at_start_mib": round(at_start / 1024),
                      "chunks": chunks}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("throughput", "memory"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker processes, no budget")
    parser.add_argument("--budget-workers", type=int, nargs="*", default=[4], help="worker processes under --budget")
    parser.add_argument("--budget", type=float, default=100, help="LINE_AUTH_LINE_REQUESTS_PER_SECOND for those runs")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every LINE call")
    parser.add_argument("--concurrency", type=int, default=4, help="LINE_AUTH_BATCH_CONCURRENCY of each worker")
    parser.add_argument("--calls-per-slot", type=int, default=40, help="accounts per worker per concurrent call")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median reported)")
    parser.add_argument("--memory", type=int, nargs="+", default=[100_000, 1_000_000], help="account counts")
    parser.add_argument("--redis", default=os.environ.get("LINE_AUTH_TEST_REDIS", "redis://127.0.0.1:6379/5"),
                        help="the Redis database the workers share the budget in (flushed)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--max-tasks", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory-chunks", type=int, default=20, help="chunks of 500 the memory run's worker runs")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.worker:
        join_django("postgres", NAME + os.environ.get("LINE_AUTH_BENCH_SUFFIX", ""))
        worker(args.max_tasks)
        return
    if args.memory_child:
        os.environ["LINE_AUTH_BENCH_SUFFIX"] = f"_mem_{args.memory_child}"
        setup_django("postgres", f"{NAME}_mem_{args.memory_child}")
        print(json.dumps(memory_child(args.memory_child, args.redis, args.memory_chunks)))
        return
    described = setup_django("postgres", NAME)
    figures: dict[str, Any] = {"benchmark": NAME, "database": described, "cpus": os.cpu_count()}
    print(f"{described}; {os.cpu_count()} cores; db_worker processes of django-tasks-db")
    if args.only != "memory":
        figures.update(latency_s=args.latency, concurrency_per_worker=args.concurrency)
        figures["throughput"] = throughput(args)
        table(figures["throughput"],
              ["workers", "budget_per_s", "accounts", "linear_per_s", "ideal_per_s", "accounts_per_s", "of_ideal",
               "min_per_s", "max_per_s", "line_calls", "chunks"],
              f"throughput at {args.latency * 1000:.0f} ms per LINE call, {args.concurrency} calls at once per "
              f"worker, median of {args.repeat}")
    if args.only != "throughput":
        figures["memory"] = memory(args)
        table(figures["memory"], list(figures["memory"][0]), "memory: one db_worker over every account, LINE stubbed")
    write_json(args.json, figures)


if __name__ == "__main__":
    main()
