"""Django for a benchmark, set up one way: ``benchmarks.settings`` on a fresh, migrated database.

Every benchmark runs as ``python -m benchmarks.<name>`` from the repository root, so
``benchmarks`` and ``tests`` import without touching ``sys.path``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SETTINGS_MODULE = "benchmarks.settings"


def fresh_database(db: str, benchmark: str) -> dict[str, Any]:
    """Load the benchmark settings for ``db`` ("sqlite" or "postgres") and empty the database.

    Returns the database's settings, for a benchmark that runs another process on it.
    """
    os.environ["LINE_AUTH_TEST_DB"] = db
    os.environ["LINE_AUTH_BENCHMARK"] = benchmark
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    from django.conf import settings

    database: dict[str, Any] = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        import psycopg
        from psycopg import sql

        server = {key.lower(): database[key] for key in ("HOST", "PORT", "USER", "PASSWORD") if database.get(key)}
        # libpq reads PGPASSWORD itself when the settings give no password.
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            name = sql.Identifier(database["NAME"])
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    else:
        Path(database["NAME"]).unlink(missing_ok=True)
    return database


def setup_django(db: str, benchmark: str) -> str:
    """Set Django up for ``benchmark`` on a new, migrated database; return a one-line description."""
    fresh_database(db, benchmark)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    version = connection.pg_version if connection.vendor == "postgresql" else connection.Database.sqlite_version
    return f"{connection.vendor} {version}"


def join_django(db: str, benchmark: str) -> None:
    """Set Django up on ``benchmark``'s database as it is: for the worker processes a benchmark
    starts on the database it made with :func:`setup_django`."""
    os.environ["LINE_AUTH_TEST_DB"] = db
    os.environ["LINE_AUTH_BENCHMARK"] = benchmark
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
