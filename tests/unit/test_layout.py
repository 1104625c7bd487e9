"""The package layout's rules: small modules, nothing importing the views, and no
import cycles, not even ones hidden by an import inside a function."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "line_auth"
# The emulator ships separately in spirit and is exempt for now; migrations are generated.
EXEMPT = ("testing", "migrations")
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent)
        if relative.parts[1] in EXEMPT:
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[tuple[ast.stmt, list[str], bool]]:
    """Each import of line_auth modules: the statement, what it loads, and whether at top level."""
    tree = ast.parse(path.read_text())
    top_level = set(tree.body) | {inner for node in tree.body if isinstance(node, ast.Try) for inner in node.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            loaded = [name for name in submodules if name in MODULES]
            targets = loaded if len(loaded) == len(submodules) else [node.module, *loaded]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        targets = [name for name in targets if name in MODULES]
        if targets:
            found.append((node, targets, node in top_level))
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_passes_300_lines(name):
    assert len(MODULES[name].read_text().splitlines()) <= MAX_LINES


def test_nothing_but_the_url_routes_imports_the_views():
    importers = {
        name
        for name, path in MODULES.items()
        for _, targets, _ in _imports(path)
        if not name.startswith("line_auth.views")
        and any(target == "line_auth.views" or target.startswith("line_auth.views.") for target in targets)
    }
    assert importers == {"line_auth.urls"}


def test_no_import_cycles_not_even_through_function_level_imports():
    graph = {
        name: {target for _, targets, _ in _imports(path) for target in targets if target != name}
        for name, path in MODULES.items()
    }
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"import cycle: {error.args[1]}")


def test_only_the_app_config_imports_line_auth_inside_a_function():
    """``AppConfig.ready`` must: models cannot be imported before the app registry is ready."""
    hidden = {
        (name, node.lineno)
        for name, path in MODULES.items()
        for node, _, top_level in _imports(path)
        if not top_level and name != "line_auth.apps"
    }
    assert hidden == set()


def _private_names(package: Path) -> set[str]:
    """Single-underscore names a package defines: methods, functions and attributes it sets."""
    found = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                found.add(node.attr)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found.add(node.target.id)
    return {name for name in found if name.startswith("_") and not name.startswith("__")}


def test_line_auth_uses_social_auth_through_its_public_api_only():
    """No private attribute of social-core or social-django is read: they change without notice."""
    import social_core
    import social_django

    theirs = _private_names(Path(social_core.__file__).parent) | _private_names(Path(social_django.__file__).parent)
    ours = _private_names(PACKAGE)
    used = {
        (name, node.lineno, node.attr)
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in theirs - ours
    }
    assert used == set()
