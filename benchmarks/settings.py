"""The settings of every benchmark: the test suite's, so a benchmark measures the app the
tests check, on a database of the benchmark's own.

``benchmarks.django_setup`` chooses that database through two environment variables:
``LINE_AUTH_TEST_DB`` (``postgres``, or SQLite otherwise) as the test settings read it, and
``LINE_AUTH_BENCHMARK``, the benchmark's name. On PostgreSQL the server, user and password
come from ``PGHOST``, ``PGPORT``, ``PGUSER`` and ``PGPASSWORD`` exactly as in the test
settings, and the database is ``<PGDATABASE>_bench_<benchmark>``; on SQLite it is a file in
``BENCH_DIR`` (``/tmp`` by default).

social-core's stock LINE backend is registered too, under the name ``line_stock`` (a
subclass that changes nothing but the name, because both backends are called ``line``), so
``login_cost`` can compare the two in one project.
"""

import os
from pathlib import Path

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, MIDDLEWARE, SOCIAL_AUTH_LINE_KEY, SOCIAL_AUTH_LINE_SECRET

BENCHMARK = os.environ.get("LINE_AUTH_BENCHMARK", "default")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES = {"default": {**DATABASES["default"], "NAME": f"{DATABASES['default']['NAME']}_bench_{BENCHMARK}"}}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(os.environ.get("BENCH_DIR", "/tmp")) / f"line_auth_bench_{BENCHMARK}.sqlite3"),
    }}

AUTHENTICATION_BACKENDS = [
    "line_auth.backends.LineBackend",
    "benchmarks.stock.StockLineOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "benchmarks.urls"
SOCIAL_AUTH_LINE_STOCK_KEY = SOCIAL_AUTH_LINE_KEY
SOCIAL_AUTH_LINE_STOCK_SECRET = SOCIAL_AUTH_LINE_SECRET
LINE_AUTH_WEBHOOK_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
# Django's own logging only: a benchmark prints its table, not the suite's log lines.
LOGGING = {"version": 1, "disable_existing_loggers": False}
# The suite's response recorder keeps every page in memory: not for benchmarks.
MIDDLEWARE = [name for name in MIDDLEWARE if name != "tests.recording.RecordResponses"]
# Every benchmark login comes from one test client: a flood by design.
LINE_AUTH_RATE_LIMITS = {"login": None, "native_nonce": None, "native_login": None}

# refresh_workers: task workers on the database backend, the LINE emulator it serves, and the
# budget of calls to LINE in a cache every worker shares (Redis); each set through the environment.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LINE_AUTH_TASK_ENGINE = os.environ.get("LINE_AUTH_BENCH_TASK_ENGINE") or None
if os.environ.get("LINE_AUTH_BENCH_LINE_URL"):
    LINE_AUTH_ACCESS_BASE_URL = LINE_AUTH_API_BASE_URL = os.environ["LINE_AUTH_BENCH_LINE_URL"]
if os.environ.get("LINE_AUTH_BENCH_REDIS"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["LINE_AUTH_BENCH_REDIS"]}}
_budget = os.environ.get("LINE_AUTH_BENCH_REQUESTS_PER_SECOND", "none")
LINE_AUTH_LINE_REQUESTS_PER_SECOND = None if _budget == "none" else float(_budget)
LINE_AUTH_BATCH_CHUNK_SIZE = int(os.environ.get("LINE_AUTH_BENCH_CHUNK_SIZE", "500"))
LINE_AUTH_BATCH_CONCURRENCY = int(os.environ.get("LINE_AUTH_BENCH_CONCURRENCY", "4"))
