"""The suite's own layout: shared helpers are fixtures, so no test module imports another
module of tests/ except what Django and Celery load (settings, URLs, apps, middleware)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# Modules Django or Celery load by dotted path; everything else in tests/ is a test module,
# a conftest or a package marker.
LOADED_BY_DJANGO = {
    "tests.settings", "tests.urls", "tests.recording", "tests.celery_app", "tests.user_models", "tests.worker_settings"
}


def dotted(path: Path) -> str:
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def loaded_by_django(module: str) -> bool:
    return any(module == allowed or module.startswith(allowed + ".") for allowed in LOADED_BY_DJANGO)


def imports_of(path: Path) -> set[str]:
    """Every module an import statement names, anywhere in the file (function-level too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = dotted(path).rsplit(".", node.level - (path.name == "__init__.py"))[0]
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module or "")
    return found


def test_no_module_of_the_suite_imports_a_test_module_or_a_helper_module():
    offending = {
        f"{dotted(path)} imports {module}"
        for path in TESTS.rglob("*.py")
        for module in imports_of(path)
        if (module == "tests" or module.startswith("tests.")) and not loaded_by_django(module)
    }
    assert not offending, sorted(offending)


def test_every_module_outside_the_django_apps_is_a_test_module_or_a_conftest():
    """A helper module would invite imports; helpers are fixtures in a conftest.py."""
    helpers = {
        dotted(path)
        for path in TESTS.rglob("*.py")
        if not path.name.startswith("test_")
        and path.name not in ("conftest.py", "__init__.py")
        and not loaded_by_django(dotted(path))
    }
    assert not helpers, sorted(helpers)
