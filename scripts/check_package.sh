#!/usr/bin/env bash
# Build the sdist and wheel, run `twine check`, and inspect the wheel's file list:
# templates, static files, compiled translations and py.typed must be in it;
# tests/, example_project/, benchmarks/, docs/ and scripts/ must not. The sdist must carry
# the README, the LICENSE, the static files and the compiled translations; the wheel's
# metadata the LICENSE.
# Usage: bash scripts/check_package.sh   (uses .venv; installs build and twine into it)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check build twine

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.venv/bin/python -m build --outdir "$out" . >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
.venv/bin/python -m twine check --strict "$out"/*.whl "$out"/*.tar.gz

.venv/bin/python - "$out" <<'PY'
import sys
import tarfile
import zipfile
from pathlib import Path

out = Path(sys.argv[1])
wheel = next(out.glob("*.whl"))
sdist = next(out.glob("*.tar.gz"))
names = set(zipfile.ZipFile(wheel).namelist())
problems = []

required = [
    "line_auth/__init__.py",
    *(f"line_auth/{package}/__init__.py" for package in ("admin", "checks", "friendship", "internal", "views")),
    "line_auth/py.typed",
    "line_auth/templates/line_auth/base.html",
    "line_auth/templates/line_auth/error.html",
    "line_auth/templates/line_auth/login.html",
    "line_auth/templates/line_auth/account.html",
    "line_auth/templates/line_auth/snippets/login_button.html",
    "line_auth/static/line_auth/line_auth.css",
    "line_auth/migrations/0001_initial.py",
    "line_auth/testing/pytest_plugin.py",
]
for language in ("ja", "zh_Hant", "th"):
    required += [f"line_auth/locale/{language}/LC_MESSAGES/django.{ext}" for ext in ("po", "mo")]
problems += [f"missing from the wheel: {name}" for name in required if name not in names]
if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
    problems.append("missing from the wheel's metadata: LICENSE (setup.cfg license_files)")

forbidden = ("tests/", "example_project/", "benchmarks/", "artifacts/", "docs/", "scripts/")
problems += [f"must not be in the wheel: {name}" for name in sorted(names) if name.startswith(forbidden)]
problems += [f"bytecode in the wheel: {name}" for name in sorted(names) if name.endswith((".pyc", ".pyo"))]

# Every shipped template and static file of the source tree is in the wheel.
for path in Path("line_auth").rglob("*"):
    if path.is_file() and path.parts[1] in ("templates", "static", "locale") and path.suffix != ".pyc":
        if path.as_posix() not in names:
            problems.append(f"missing from the wheel: {path.as_posix()}")

with tarfile.open(sdist) as archive:
    members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
for name in ("README.md", "LICENSE", "setup.cfg", "pyproject.toml", "line_auth/static/line_auth/line_auth.css",
             "line_auth/locale/ja/LC_MESSAGES/django.mo"):
    if name not in members:
        problems.append(f"missing from the sdist: {name}")

print(f"{wheel.name}: {len(names)} files; {sdist.name}: {len(members)} files")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("package check passed")
PY
