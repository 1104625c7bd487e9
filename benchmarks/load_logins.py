"""Load: concurrent web and native LINE logins across several gunicorn servers and workers
sharing PostgreSQL and Redis, with the LINE emulator on loopback. Bounded in count and time.

Several gunicorn servers (``--servers``, each on its own port, as machines behind a load
balancer would be), each with ``--workers`` worker processes, run the example site on one
PostgreSQL database and one Redis cache (Django's RedisCache: nonces, LINE's keys, rate
limits). Two kinds of visitor run at once:

- a web login, as a browser does it: the home page and the LINE button (CSRF POST) on one
  server, the emulator's consent page (adding the Official Account as a friend), then LINE's
  redirect back delivered to ANOTHER server under the same public host name, which must find
  the login's state in the shared session and show the friendship on the account page;
- a native login, as an app does it: ``POST native/nonce/`` on one server, the ID token (ES256)
  from the emulator, ``POST native/login/`` on the next server, then the same token and nonce
  replayed once on a third server (another process), which must refuse it (401
  ``invalid_nonce``): single use holds across processes only because the cache is shared.

Zero errors and every replay refused is the bar. gunicorn's access log (path and worker pid,
no query string) shows how the requests spread over the worker processes.

Run:  .venv/bin/python -m benchmarks.load_logins --logins 200 --concurrency 16 --json load.json
      .venv/bin/python -m benchmarks.load_logins --smoke       (CI: 20 web + 20 native, 8 at a time)
Needs gunicorn, PostgreSQL (PGHOST, PGPORT, PGUSER, PGPASSWORD; 127.0.0.1:5432 as user postgres by
default; the database is <PGDATABASE>_bench_load) and Redis (``--redis``, default
``$LINE_AUTH_LOAD_REDIS`` or redis://127.0.0.1:6379/0; only this run's keys are written and removed).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import requests

from benchmarks.django_setup import fresh_database

ROOT = Path(__file__).resolve().parent.parent
CHANNEL_ID, CHANNEL_SECRET = "1234567890", "0123456789abcdef0123456789abcdef"  # the example site's
NATIVE_LOGIN = "/accounts/line/native/login/"
CALLBACK = "/accounts/line/complete/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def web_login(servers: list[str], emulator_url: str, number: int, timeout: float) -> float:
    """One browser's login, started on one server and finished on the next; returns its wall time."""
    started = time.perf_counter()
    start, finish = servers[number % len(servers)], servers[(number + 1) % len(servers)]
    browser = requests.Session()
    home = browser.get(f"{start}/", timeout=timeout)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text)
    if token is None:
        raise RuntimeError(f"no CSRF token on the home page: {home.status_code}")
    consent = browser.post(f"{start}/accounts/line/login/", timeout=timeout,
                           data={"csrfmiddlewaretoken": token.group(1), "next": "/account/"},
                           headers={"Referer": f"{start}/"})
    if not consent.url.startswith(emulator_url) or consent.status_code != 200:
        raise RuntimeError(f"no consent page: {consent.status_code} {consent.url}")
    name = f"Load Visitor {number}"
    form = {**hidden_fields(consent.text), "emulator_user": "", "emulator_new_name": name,
            "emulator_add_friend": "1", "action": "approve"}
    back = browser.post(f"{emulator_url}/oauth2/v2.1/authorize/consent", data=form, timeout=timeout,
                        allow_redirects=False)
    location = back.headers.get("Location", "")
    if back.status_code != 302 or not location.startswith(start + CALLBACK):
        raise RuntimeError(f"LINE did not send the browser back: {back.status_code}")
    # The load balancer hands the callback to another server; the public host name stays.
    account = browser.get(finish + location[len(start):], timeout=timeout,
                          headers={"Host": start.removeprefix("http://")})
    if account.status_code != 200 or name not in account.text or 'data-friendship="friend"' not in account.text:
        raise RuntimeError(f"login did not land on the account page: {account.status_code} {account.url}")
    return time.perf_counter() - started


def native_login(servers: list[str], emulator: Any, number: int, timeout: float) -> tuple[float, bool]:
    """An app's login (nonce on one server, login on the next), then its replay on a third.

    Returns the login's wall time and whether the replay was refused as LINE's docs require.
    """
    started = time.perf_counter()
    first, second, third = (servers[(number + step) % len(servers)] for step in range(3))
    nonce = requests.post(f"{first}/accounts/line/native/nonce/", timeout=timeout).json()["nonce"]
    user = emulator.add_user(name=f"Load App User {number}")
    body = {"id_token": emulator.make_id_token(user, CHANNEL_ID, nonce=nonce, alg="ES256"), "nonce": nonce}
    login = requests.post(f"{second}{NATIVE_LOGIN}", json=body, timeout=timeout)
    if login.status_code != 200 or login.json().get("line_user_id") != user.user_id:
        raise RuntimeError(f"native login failed: {login.status_code} {login.text[:120]}")
    elapsed = time.perf_counter() - started
    replay = requests.post(f"{third}{NATIVE_LOGIN}", json=body, timeout=timeout)
    refused = replay.status_code == 401 and replay.json().get("error") == "invalid_nonce"
    return elapsed, refused


def start_servers(count: int, workers: int, env: dict[str, str], log_dir: Path) -> tuple[list[str], list[Any]]:
    """``count`` gunicorn servers of ``workers`` processes each; access logs carry path and pid only."""
    urls, processes = [], []
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    for index in range(count):
        port = free_port()
        urls.append(f"http://127.0.0.1:{port}")
        processes.append(subprocess.Popen(
            [gunicorn, "example_project.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(workers),
             "--log-level", "warning", "--access-logfile", str(log_dir / f"access-{index}.log"),
             "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"],
            cwd=ROOT / "example_project", env=env, stderr=(log_dir / f"errors-{index}.log").open("w")))
    return urls, processes


def served_by(log_dir: Path) -> dict[str, Counter[str]]:
    """Worker pids that answered each kind of login request, from the access logs."""
    found: dict[str, Counter[str]] = {"callback": Counter(), "native_login": Counter()}
    # A native login and its replay are both POSTs to native/login/.
    for log in log_dir.glob("access-*.log"):
        for line in log.read_text().splitlines():
            pid, _method, path, _status = line.split(" ", 3)
            if path == CALLBACK:
                found["callback"][pid] += 1
            elif path == NATIVE_LOGIN:
                found["native_login"][pid] += 1
    return found


def percentiles(latencies: list[float]) -> dict[str, int | None]:
    latencies = sorted(latencies)
    if not latencies:
        return {"p50_ms": None, "p90_ms": None, "max_ms": None}
    return {"p50_ms": round(statistics.median(latencies) * 1000),
            "p90_ms": round(latencies[max(0, int(len(latencies) * 0.9) - 1)] * 1000),
            "max_ms": round(latencies[-1] * 1000)}


def run(tasks: list[Callable[[], Any]], concurrency: int, stop_at: float) -> tuple[list[Any], list[str]]:
    """Run the tasks ``concurrency`` at a time; none starts after ``stop_at``."""
    results, errors = [], []
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(lambda task=task: None if time.monotonic() > stop_at else task()) for task in tasks]
        for future in as_completed(futures):
            try:
                results.append(future.result())
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                errors.append(repr(error)[:200])
    return results, errors


def main() -> int:
    parser = argparse.ArgumentParser(description="Concurrent web and native LINE logins on several gunicorn servers")
    parser.add_argument("--logins", type=int, default=200, help="web logins, and as many native logins")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--servers", type=int, default=2, help="gunicorn servers (2 or more)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per server")
    parser.add_argument("--redis", default=os.environ.get("LINE_AUTH_LOAD_REDIS", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--max-seconds", type=float, default=180, help="stop starting logins after this")
    parser.add_argument("--smoke", action="store_true", help="a short run for CI: 20 + 20 logins, 8 at a time")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.smoke:
        args.logins, args.concurrency, args.max_seconds = 20, 8, 60
    if args.servers < 2:
        parser.error("--servers must be 2 or more: replays go to another server")

    from line_auth.testing.emulator import LineEmulator
    from line_auth.testing.server import serve
    from line_auth.testing.state import Channel

    database = fresh_database("postgres", "load")
    prefix = f"load-{secrets.token_hex(4)}"
    emulator = LineEmulator([Channel(CHANNEL_ID, CHANNEL_SECRET)])
    # The benchmark settings have DEBUG off; this emulator serves only loopback for this run.
    running = serve(emulator, force=True)
    # The example site reads its database from these (libpq reads PGPORT and PGPASSWORD itself).
    env = {**os.environ, "DATABASE_URL_POSTGRES": database["NAME"], "PGHOST": database["HOST"],
           "PGPORT": str(database["PORT"]), "PGUSER": database["USER"], "DJANGO_DEBUG": "0",
           "LINE_AUTH_NO_RATE_LIMITS": "1", "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "PYTHONPATH": str(ROOT / "example_project"), "LINE_EMULATOR_URL": running.url,
           "REDIS_URL": args.redis, "CACHE_KEY_PREFIX": prefix}
    env.pop("DJANGO_SETTINGS_MODULE")  # the example site's manage.py and WSGI module choose theirs
    subprocess.run([sys.executable, "example_project/manage.py", "migrate", "--no-input", "-v0"],
                   cwd=ROOT, env=env, check=True)
    log_dir = Path(tempfile.mkdtemp(prefix="line_auth_load_"))
    servers, processes = start_servers(args.servers, args.workers, env, log_dir)
    try:
        deadline = time.monotonic() + 30
        for url in servers:
            wait_until_up(url + "/", deadline)
        web = [lambda n=n: ("web", web_login(servers, running.url, n, timeout=30)) for n in range(args.logins)]
        native = [lambda n=n: ("native", *native_login(servers, emulator, n, timeout=30)) for n in range(args.logins)]
        tasks = [task for pair in zip(web, native, strict=True) for task in pair]
        started = time.perf_counter()
        results, errors = run(tasks, args.concurrency, time.monotonic() + args.max_seconds)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        running.stop()
        _forget(args.redis, prefix)
    spread = served_by(log_dir)
    if errors:
        for log in sorted(log_dir.glob("errors-*.log")):
            print(f"{log.name}:", *log.read_text().splitlines()[-10:], sep="\n  ", file=sys.stderr)
    for log in log_dir.glob("*"):
        log.unlink()
    log_dir.rmdir()

    web_times = [row[1] for row in results if row and row[0] == "web"]
    native_rows = [row for row in results if row and row[0] == "native"]
    refused = sum(1 for row in native_rows if row[2])
    figures = {
        "servers": args.servers, "workers_per_server": args.workers,
        "worker_processes": args.servers * args.workers, "concurrency": args.concurrency,
        "web_logins": {"requested": args.logins, "completed": len(web_times), **percentiles(web_times)},
        "native_logins": {"requested": args.logins, "completed": len(native_rows),
                          **percentiles([row[1] for row in native_rows])},
        "replays": {"sent": len(native_rows), "refused": refused},
        "errors": len(errors), "seconds": round(elapsed, 2),
        "logins_per_second": round((len(web_times) + len(native_rows)) / elapsed, 1) if elapsed else 0,
        "callbacks_per_worker": sorted(spread["callback"].values(), reverse=True),
        "native_login_requests_per_worker": sorted(spread["native_login"].values(), reverse=True),
    }
    print(json.dumps(figures, indent=2))
    for error in errors[:5]:
        print("error:", error, file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    complete = len(web_times) == len(native_rows) == args.logins
    return 0 if complete and not errors and refused == args.logins else 1


def _forget(redis_url: str, prefix: str) -> None:
    """Remove this run's cache keys (nonces spent, LINE's keys) from the shared Redis."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


if __name__ == "__main__":
    sys.exit(main())
