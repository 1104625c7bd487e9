"""The benchmarks set Django up one way and run as ``python -m benchmarks.<name>`` from the
repository root, on the PostgreSQL server the usual environment variables name."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("*.py"))
HELPER = ROOT / "benchmarks" / "django_setup.py"


def _chooses_settings_module(node: ast.AST) -> bool:
    """``environ["DJANGO_SETTINGS_MODULE"] = ...`` or ``environ.setdefault("DJANGO_SETTINGS_MODULE", ...)``."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        key = node.slice
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault":
        key = node.args[0] if node.args else None
    else:
        return False
    return isinstance(key, ast.Constant) and key.value == "DJANGO_SETTINGS_MODULE"


def _calls(path: Path) -> set[str]:
    """Dotted names a module uses (``sys.path``, ``django.setup``, ``settings.configure``) and
    whether it chooses the settings module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            names.add(f"{node.value.id}.{node.attr}")
        if _chooses_settings_module(node):
            names.add("DJANGO_SETTINGS_MODULE")
    return names


def test_no_benchmark_edits_sys_path():
    assert [path.name for path in BENCHMARKS if "sys.path" in _calls(path)] == []


def test_only_the_setup_helper_sets_django_up():
    setting_up = {"django.setup", "settings.configure", "DJANGO_SETTINGS_MODULE"}
    found = {path.name for path in BENCHMARKS if _calls(path) & setting_up}
    assert found == {HELPER.name}


def test_a_benchmark_database_is_on_the_server_the_pg_variables_name():
    environment = {**os.environ, "LINE_AUTH_TEST_DB": "postgres", "LINE_AUTH_BENCHMARK": "login",
                   "PGHOST": "db.example.com", "PGPORT": "6543", "PGUSER": "bench", "PGDATABASE": "site"}
    shown = subprocess.run(
        [sys.executable, "-c", "import json, benchmarks.settings as s; print(json.dumps(s.DATABASES['default']))"],
        cwd=ROOT, env=environment, check=True, capture_output=True, text=True,
    ).stdout
    database = json.loads(shown)
    assert (database["HOST"], database["PORT"], database["USER"], database["NAME"]) == (
        "db.example.com", "6543", "bench", "site_bench_login"
    )
