"""Load: N concurrent full LINE logins against the example site under gunicorn on
PostgreSQL, with the LINE emulator on loopback. Bounded in count and in time.

Each virtual visitor does what a browser does: loads the home page, presses the
LINE button (CSRF POST), opens the emulator's consent page, allows (adding the
Official Account as a friend), follows the redirects back, and checks that the
account page shows the friendship. Zero errors is the bar.

Run:  .venv/bin/python -m benchmarks.load_logins --logins 200 --concurrency 16
      .venv/bin/python -m benchmarks.load_logins --smoke       (CI: 30 logins, 8 at a time)
Needs gunicorn (pip install gunicorn) and PostgreSQL (PGHOST, PGPORT, PGUSER, PGPASSWORD;
127.0.0.1:5432 as user postgres by default). The database is <PGDATABASE>_bench_load.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import requests

from benchmarks.django_setup import fresh_database

ROOT = Path(__file__).resolve().parent.parent


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


def one_login(site: str, emulator: str, number: int, timeout: float) -> float:
    """One visitor's whole login; returns its wall time, raises on anything unexpected."""
    started = time.perf_counter()
    browser = requests.Session()
    home = browser.get(f"{site}/", timeout=timeout)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text).group(1)
    consent = browser.post(f"{site}/accounts/line/login/", timeout=timeout,
                           data={"csrfmiddlewaretoken": token, "next": "/account/"},
                           headers={"Referer": f"{site}/"})
    if not consent.url.startswith(emulator) or consent.status_code != 200:
        raise RuntimeError(f"no consent page: {consent.status_code} {consent.url}")
    form = hidden_fields(consent.text)
    name = f"Load Visitor {number}"
    form.update({"emulator_user": "", "emulator_new_name": name, "emulator_add_friend": "1",
                 "action": "approve"})
    account = browser.post(f"{emulator}/oauth2/v2.1/authorize/consent", data=form, timeout=timeout)
    if account.status_code != 200 or name not in account.text or 'data-friendship="friend"' not in account.text:
        raise RuntimeError(f"login did not land on the account page: {account.status_code} {account.url}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description="Concurrent full LINE logins under gunicorn + PostgreSQL")
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop starting logins after this")
    parser.add_argument("--smoke", action="store_true", help="a short run for CI: 30 logins, 8 at a time")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.smoke:
        args.logins, args.concurrency, args.max_seconds = 30, 8, 60

    database = fresh_database("postgres", "load")
    # The example site reads its database from these (libpq reads PGPORT and PGPASSWORD itself).
    server = {"DATABASE_URL_POSTGRES": database["NAME"], "PGHOST": database["HOST"],
              "PGPORT": str(database["PORT"]), "PGUSER": database["USER"]}
    env = {**os.environ, **server, "DJANGO_DEBUG": "0", "LINE_AUTH_NO_RATE_LIMITS": "1",
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "PYTHONPATH": str(ROOT / "example_project")}
    env.pop("DJANGO_SETTINGS_MODULE")  # the example site's manage.py and WSGI module choose theirs
    emulator_port, site_port = free_port(), free_port()
    emulator_url, site_url = f"http://127.0.0.1:{emulator_port}", f"http://127.0.0.1:{site_port}"
    env["LINE_EMULATOR_URL"] = emulator_url
    python = sys.executable
    subprocess.run([python, "example_project/manage.py", "migrate", "--no-input", "-v0"],
                   cwd=ROOT, env=env, check=True)
    processes = [
        subprocess.Popen([python, "-m", "line_auth.testing.server", "--port", str(emulator_port)],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL),
        subprocess.Popen([str(Path(python).with_name("gunicorn")), "example_project.wsgi:application",
                          "-b", f"127.0.0.1:{site_port}", "-w", str(args.workers), "--log-level", "warning"],
                         cwd=ROOT / "example_project", env=env),
    ]
    try:
        deadline = time.monotonic() + 30
        wait_until_up(emulator_url + "/.well-known/openid-configuration", deadline)
        wait_until_up(site_url + "/", deadline)
        latencies, errors = [], []
        stop_at = time.monotonic() + args.max_seconds
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = [pool.submit(lambda n=n: None if time.monotonic() > stop_at else
                                   one_login(site_url, emulator_url, n, timeout=30))
                       for n in range(args.logins)]
            for future in as_completed(futures):
                try:
                    result = future.result()
                    if result is not None:
                        latencies.append(result)
                except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                    errors.append(repr(error)[:200])
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)

    latencies.sort()
    figures = {
        "logins_requested": args.logins, "completed": len(latencies), "errors": len(errors),
        "concurrency": args.concurrency, "gunicorn_workers": args.workers, "seconds": round(elapsed, 2),
        "logins_per_second": round(len(latencies) / elapsed, 1) if elapsed else 0,
        "p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
        "p90_ms": round(latencies[int(len(latencies) * 0.9) - 1] * 1000) if latencies else None,
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000) if latencies else None,
        "max_ms": round(latencies[-1] * 1000) if latencies else None,
    }
    print(json.dumps(figures, indent=2))
    for error in errors[:5]:
        print("error:", error, file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 1 if errors or len(latencies) < args.logins else 0


if __name__ == "__main__":
    sys.exit(main())
