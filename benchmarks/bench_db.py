"""A fresh, migrated database for a benchmark: a SQLite file or a PostgreSQL database.

The settings are the test suite's, with the database swapped, so a benchmark
measures the same app the tests check.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup(kind: str, name: str, **overrides: Any) -> str:
    """Configure Django on a new database called ``name``; return a one-line description."""
    import django
    from django.conf import settings

    import tests.settings as base

    values = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    if kind == "postgres":
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": "postgres",
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
        }
    else:
        path = Path(os.environ.get("BENCH_DIR", "/tmp")) / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    values["DATABASES"] = {"default": database}
    values["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    # The suite's response recorder keeps every page in memory: not for benchmarks.
    values["MIDDLEWARE"] = [name for name in base.MIDDLEWARE if name != "tests.recording.RecordResponses"]
    # Every benchmark login comes from one test client: a flood by design.
    values["LINE_AUTH_RATE_LIMITS"] = {"login": None, "native_nonce": None, "native_login": None}
    values.update(overrides)
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    version = connection.pg_version if kind == "postgres" else connection.Database.sqlite_version
    return f"{connection.vendor} {version}"
