"""The documentation works as written: a new user copies its snippets, so they must run and
say what the code does."""

from __future__ import annotations

import ast
import configparser
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import get_commands
from social_django.models import UserSocialAuth

import line_auth
from line_auth.internal.steps import LINE_AUTH_PIPELINE
from line_auth.models import LineAccount
from line_auth.tasks import TASK_NAMES
from line_auth.testing.server import DEFAULT_CHANNEL_ID, DEFAULT_CHANNEL_SECRET

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]


def python_blocks(page: Path) -> list[str]:
    """Every ```python block of a page, dedented (list items indent theirs)."""
    found = re.findall(r"^( *)```python\n(.*?)^\1```", page.read_text(), flags=re.M | re.S)
    return [textwrap.dedent(body) for _, body in found]


def block_with(page: Path, marker: str) -> str:
    found = [block for block in python_blocks(page) if marker in block]
    assert len(found) == 1, f"{page.name}: expected one python block with {marker!r}, found {len(found)}"
    return found[0]


def run_snippet(page: Path, marker: str) -> dict:
    namespace: dict = {}
    exec(compile(block_with(page, marker), str(page), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


def string_list(block: str, name: str) -> list[str]:
    body = re.search(rf"^{name} = \[(.*?)^\]", block, flags=re.M | re.S)
    assert body, f"no {name} list"
    return re.findall(r'"([^"]+)"', body.group(1))


# Snippets ----------------------------------------------------------------------------------


def test_every_snippet_that_uses_os_imports_it():
    missing = [
        f"{page.name}: {block.splitlines()[0]}"
        for page in PAGES
        for block in python_blocks(page)
        if re.search(r"\bos\.", block) and not re.search(r"^import os$", block, flags=re.M)
    ]
    assert missing == []


def test_locale_middleware_sits_where_django_says():
    """After SessionMiddleware (it reads the session), before CommonMiddleware (it uses the language)."""
    blocks = [
        (page.name, block)
        for page in PAGES
        for block in python_blocks(page)
        if "LocaleMiddleware" in block and "MIDDLEWARE = [" in block
    ]
    assert blocks
    for page, block in blocks:
        middleware = [path.rsplit(".", 1)[-1] for path in string_list(block, "MIDDLEWARE")]
        assert "SessionMiddleware" in middleware and "CommonMiddleware" in middleware, page
        session, locale, common = (
            middleware.index(name) for name in ("SessionMiddleware", "LocaleMiddleware", "CommonMiddleware")
        )
        assert session < locale < common, page


def test_logging_snippets_keep_djangos_loggers():
    configs = [
        (page.name, ast.literal_eval(found.group(1)))
        for page in PAGES
        for block in python_blocks(page)
        for found in re.finditer(r"^LOGGING = (\{.*?^\})", block, flags=re.M | re.S)
    ]
    assert configs
    for page, config in configs:
        assert config.get("disable_existing_loggers") is False, page
        assert "line_auth" in config["loggers"], page


def test_the_default_pipeline_in_the_docs_is_the_one_the_backend_runs():
    documented = run_snippet(DOCS / "pipeline.md", '"line_auth.pipeline.save_line_account",\n)')
    assert tuple(documented["SOCIAL_AUTH_PIPELINE"]) == tuple(LINE_AUTH_PIPELINE)


@pytest.mark.django_db
def test_the_migration_recipe_links_old_logins_and_strips_both_plain_tokens(settings):
    user = get_user_model().objects.create_user("taro")
    social = UserSocialAuth.objects.create(
        user=user,
        provider="line",
        uid="U" + "1" * 32,
        extra_data={"access_token": "plain-access", "refresh_token": "plain-refresh", "expires": 2592000},
    )
    recipe = run_snippet(DOCS / "migrating.md", "def strip_plain_tokens")

    recipe["forwards"](apps, None)
    recipe["strip_plain_tokens"](apps, None)

    social.refresh_from_db()
    assert social.extra_data == {"expires": 2592000}
    account = LineAccount.objects.get()
    assert (account.user, account.social, account.line_user_id) == (user, social, social.uid)
    assert account.channel_id == settings.SOCIAL_AUTH_LINE_KEY


# What a new user needs to know -------------------------------------------------------------


def test_the_docs_give_the_emulators_default_channel_and_the_settings_to_reach_it():
    for page in (README, DOCS / "quickstart.md"):
        text = page.read_text()
        assert DEFAULT_CHANNEL_ID in text and DEFAULT_CHANNEL_SECRET in text, page.name
        assert 'LINE_AUTH_ACCESS_BASE_URL = "http://127.0.0.1:8001"' in text, page.name
        assert 'LINE_AUTH_API_BASE_URL = "http://127.0.0.1:8001"' in text, page.name


def test_the_install_instructions_name_the_wheel_a_checkout_builds():
    wheel = f"line_auth-{line_auth.__version__}-py3-none-any.whl"
    for page in (README, DOCS / "quickstart.md"):
        text = page.read_text()
        assert "pip install /path/to/line_auth" in text, page.name
        assert f"pip install dist/{wheel}" in text, page.name


def test_the_license_file_matches_the_package_metadata():
    metadata = configparser.ConfigParser()
    metadata.read(ROOT / "setup.cfg")
    assert metadata["metadata"]["license"] == "MIT"
    assert metadata["metadata"]["license_files"].split() == ["LICENSE"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the line_auth authors" in license_text
    assert re.search(r"^include LICENSE\b", (ROOT / "MANIFEST.in").read_text(), flags=re.M)



# Every name the docs give exists ----------------------------------------------------------

DOCUMENTED = [*PAGES, ROOT / "SECURITY.md", ROOT / "benchmarks" / "README.md"]
API = DOCS / "api.md"
OLD_COMMANDS = ("refresh_line_tokens", "sync_line_friendships", "prune_line_webhook_records")


def resolve(dotted: str) -> object | None:
    """The module or object a dotted path names, or ``None`` when nothing answers to it."""
    parts = dotted.split(".")
    for length in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:length]))
        except ImportError:
            continue
        for name in parts[length:]:
            found = getattr(found, name, None)
        return found
    return None


def names_that_are_not_imports() -> set[str]:
    """Dotted names the docs rightly give that no import reaches: tasks' and loggers' names."""
    loggers = {
        found
        for path in (ROOT / "line_auth").rglob("*.py")
        for found in re.findall(r'getLogger\("([\w.]+)"\)', path.read_text())
    }
    return set(TASK_NAMES) | loggers


def test_every_dotted_line_auth_name_in_the_docs_imports():
    allowed = names_that_are_not_imports()
    stale = [
        f"{page.name}: {name}"
        for page in DOCUMENTED
        for name in sorted(set(re.findall(r"\bline_auth(?:\.\w+)+", page.read_text())))
        if name not in allowed
        and not re.fullmatch(r"line_auth\.[EW]\d{2}[\dx]|line_auth\.(css|py)", name)
        and resolve(name) is None
    ]
    assert stale == []


def test_every_python_file_and_test_folder_the_docs_name_exists():
    paths = {
        (page.name, found)
        for page in DOCUMENTED
        for found in re.findall(r"\b(?:line_auth|tests|benchmarks|scripts)/[\w/.]*\w", page.read_text())
        if found.endswith(".py") or found.startswith("tests/")
    }
    assert paths
    assert sorted(f"{page}: {path}" for page, path in paths if not (ROOT / path).exists()) == []


def test_every_name_the_public_api_lists_exists():
    """Each row of the table: a dotted module, then the bare names it offers (or a class's)."""
    section = API.read_text().split("## What is public", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    commands = get_commands()
    missing = []
    for row in rows:
        module: object | None = None
        owner: object | None = None
        for token in re.findall(r"`([^`]+)`", row.split("|")[2]):
            if dotted := re.search(r"\bline_auth(?:\.\w+)+", token):
                module = owner = resolve(dotted.group())
                missing += [] if module is not None else [dotted.group()]
            elif re.fullmatch(r"[A-Za-z_]\w*", token) and not token.isupper():
                if commands.get(token) == "line_auth":
                    continue
                found = getattr(module, token, None)
                found = found if found is not None else getattr(owner, token, None)
                missing += [] if found is not None else [f"{row.split('|')[1].strip()}: {token}"]
                owner = found if isinstance(found, type) else owner
    assert rows and missing == []


def layout_tree() -> set[str]:
    """The files the Package layout tree lists, as paths from the repository root."""
    block = API.read_text().split("## Package layout", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    listed, parents = set(), []
    for line in block.splitlines():
        name = line.strip().split(" ", 1)[0]
        depth = (len(line) - len(line.lstrip())) // 2
        if not name.endswith((".py", "/")) or "," in name:
            continue
        parents = [*parents[:depth], name.rstrip("/")]
        listed.add("/".join(parents))
    return listed


def test_the_package_layout_lists_every_module_and_nothing_else():
    listed = layout_tree()
    modules = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "line_auth").rglob("*.py")
        if path.name != "__init__.py" and {"migrations", "commands"}.isdisjoint(path.parts)
    }
    assert modules - listed == set()
    assert sorted(path for path in listed if not (ROOT / path).exists()) == []


def test_old_command_names_appear_only_as_deprecated_aliases():
    paragraphs = [
        (page.name, paragraph)
        for page in [*DOCUMENTED, *sorted((ROOT / "example_project").rglob("*.*"))]
        if page.suffix in (".md", ".py", ".sh", ".html")
        for paragraph in re.split(r"\n\s*\n", page.read_text())
        if re.search(rf"\b({'|'.join(OLD_COMMANDS)})\b", paragraph)
    ]
    assert paragraphs
    assert [page for page, paragraph in paragraphs if "deprecat" not in paragraph] == []



def test_the_login_cost_counts_in_both_readmes_are_the_ones_the_benchmark_wrote():
    measured = json.loads((ROOT / "benchmarks" / "results" / "login_cost_postgres.json").read_text())
    expected = {
        (login, backend): (figures["statements"], figures["transaction_control"])
        for backend in ("line_auth", "stock")
        for login, figures in measured[backend].items()
    }
    for page, row in (
        (README, r"^\| (first|returning) \| (line_auth|stock)\b[^|]*\| [^|]+\| \**(\d+)\** \(\+(\d+)\)"),
        (ROOT / "benchmarks" / "README.md", r"^\| (first|returning) \| (line_auth|stock) \| [^|]+\| (\d+) \| (\d+) \|"),
    ):
        documented = {
            (login, backend): (int(statements), int(control))
            for login, backend, statements, control in re.findall(row, page.read_text(), flags=re.M)
        }
        assert documented == expected, page.name


# From startproject, using only the docs ------------------------------------------------------


@pytest.fixture(scope="module")
def new_project(tmp_path_factory):
    """``startproject``, then the quickstart's settings and URLs and its emulator settings."""
    tmp_path = tmp_path_factory.mktemp("new_project")
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(tmp_path)],
        check=True, capture_output=True,
    )
    quickstart = DOCS / "quickstart.md"
    settings_file = tmp_path / "mysite" / "settings.py"
    settings_file.write_text(
        settings_file.read_text()
        + "\n"
        + block_with(quickstart, "AUTHENTICATION_BACKENDS")
        + block_with(quickstart, "LINE_AUTH_ACCESS_BASE_URL")
    )
    (tmp_path / "mysite" / "urls.py").write_text(block_with(quickstart, "urlpatterns"))
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DJANGO_SETTINGS_MODULE", "LINE_AUTH_TEST_DB", "PYTHONPATH")
    }
    env.update(
        LINE_CHANNEL_ID=DEFAULT_CHANNEL_ID,
        LINE_CHANNEL_SECRET=DEFAULT_CHANNEL_SECRET,
        LINE_AUTH_ENCRYPTION_KEY="yV6XoMmSbyiX3K9bRk0cT4Y1hOVoJ0yYt0o2lQy5bXw=",
    )
    return tmp_path, env


def run(project: tuple[Path, dict], *args: str) -> subprocess.CompletedProcess:
    directory, env = project
    return subprocess.run(
        [sys.executable, *args], cwd=directory, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_new_project_configured_from_the_quickstart_passes_its_checks(new_project):
    checked = run(new_project, "manage.py", "check", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_the_readme_and_signals_test_examples_pass_in_a_new_project(new_project):
    directory, _ = new_project
    (directory / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\n")
    (directory / "conftest.py").write_text(block_with(README, "pytest_plugins"))
    (directory / "test_line_login.py").write_text(block_with(README, "def test_login"))
    (directory / "test_signals.py").write_text(block_with(DOCS / "signals.md", "def test_"))

    tested = run(new_project, "-m", "pytest", "-q", "-p", "no:cacheprovider")

    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout


def test_login_url_from_the_quickstart_sends_visitors_to_the_line_button(client, settings, monkeypatch):
    for name in ("LINE_CHANNEL_ID", "LINE_CHANNEL_SECRET", "LINE_AUTH_ENCRYPTION_KEY"):
        monkeypatch.setenv(name, "x")
    documented = run_snippet(DOCS / "quickstart.md", "AUTHENTICATION_BACKENDS")
    settings.LOGIN_URL = documented["LOGIN_URL"]

    response = client.get("/accounts/line/account/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/accounts/line/login/?next=/accounts/line/account/", 302)]
    assert 'name="next" value="/accounts/line/account/"' in response.content.decode()
