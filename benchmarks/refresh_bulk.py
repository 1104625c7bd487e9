"""Throughput and memory of ``manage.py refresh_line_tokens``.

    .venv/bin/python benchmarks/refresh_bulk.py throughput --latency 0.05 --concurrency 1 4 16
    .venv/bin/python benchmarks/refresh_bulk.py memory --accounts 100000

``throughput`` refreshes accounts whose tokens the in-process LINE emulator
issued, with ``--latency`` seconds added to every LINE call. ``memory`` creates
``--accounts`` accounts in a SQLite file and answers refreshes with a fixed,
stateless token response, so the figure is the command's own memory and not
the emulator's (which keeps every token it ever issued); it reports
tracemalloc's peak during the run and the process's maximum RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import timedelta
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DB_PATH = Path(os.environ.get("BENCH_DB", "/tmp/line_auth_refresh_bench.sqlite3"))


def setup_django() -> None:
    import django
    from django.conf import settings

    import tests.settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    values["DATABASES"] = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DB_PATH)}}
    values["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    DB_PATH.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)


def create_accounts(count: int, issue: object = None) -> None:
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
        for index, user in zip(range(start, stop), users, strict=False):
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


def run_command(*args: str) -> tuple[str, float]:
    from django.core.management import call_command

    out = StringIO()
    started = time.perf_counter()
    call_command("refresh_line_tokens", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip(), time.perf_counter() - started


def throughput(latency: float, concurrencies: list[int], per_worker: int) -> None:
    from django.conf import settings
    from django.utils import timezone

    from line_auth.models import LineAccount
    from line_auth.testing import LineEmulator

    emulator = LineEmulator()
    emulator.add_channel(settings.SOCIAL_AUTH_LINE_KEY, settings.SOCIAL_AUTH_LINE_SECRET)
    count = per_worker * max(concurrencies)

    def issue(index: int) -> tuple[str, str, str]:
        user = emulator.add_user()
        tokens = emulator.issue_tokens(user, settings.SOCIAL_AUTH_LINE_KEY, scope="profile")
        return tokens["access_token"], tokens["refresh_token"], user.user_id

    create_accounts(count, issue)
    emulator.latency = latency
    print(f"latency {latency * 1000:.0f} ms per LINE call")
    with emulator.intercept():
        for concurrency in concurrencies:
            accounts = per_worker * concurrency
            soon = timezone.now() + timedelta(hours=1)
            ids = list(LineAccount.objects.order_by("pk").values_list("pk", flat=True)[:accounts])
            LineAccount.objects.exclude(pk__in=ids).update(
                access_token_expires_at=timezone.now() + timedelta(days=30)
            )
            LineAccount.objects.filter(pk__in=ids).update(access_token_expires_at=soon)
            summary, elapsed = run_command("--concurrency", str(concurrency))
            print(
                f"concurrency {concurrency:>2}: {accounts} accounts in {elapsed:.2f} s = "
                f"{accounts / elapsed:.1f} accounts/s  [{summary}]"
            )


def memory(count: int) -> None:
    from line_auth.client import LineClient

    def refresh(self: LineClient, refresh_token: str) -> dict[str, object]:
        return {"access_token": "b" * 180, "expires_in": 2592000, "refresh_token": refresh_token,
                "scope": "profile", "token_type": "Bearer"}

    LineClient.refresh = refresh  # type: ignore[method-assign]
    started = time.perf_counter()
    create_accounts(count)
    print(f"created {count} accounts in {time.perf_counter() - started:.1f} s")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    summary, elapsed = run_command("--concurrency", "16")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{summary} in {elapsed:.1f} s (with tracemalloc on)")
    print(f"tracemalloc peak during the command: {peak / 2**20:.1f} MiB")
    print(f"max RSS: {rss_before / 1024:.0f} MiB before the command, {rss_after / 1024:.0f} MiB after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    speed = sub.add_parser("throughput")
    speed.add_argument("--latency", type=float, default=0.05)
    speed.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    speed.add_argument("--per-worker", type=int, default=100, help="accounts per concurrent call")
    mem = sub.add_parser("memory")
    mem.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    setup_django()
    try:
        if args.mode == "throughput":
            throughput(args.latency, args.concurrency, args.per_worker)
        else:
            memory(args.accounts)
    finally:
        DB_PATH.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
