"""Checks on background work: the task engine, the chunks and the budget of calls to LINE."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from line_auth.checks.messages import TAG, Codes, collect
from line_auth.conf import line_settings

# Each batch setting, as line_settings names it, and the ID of an invalid value.
SETTINGS = {
    "line_requests_per_second": Codes.INVALID_REQUESTS_PER_SECOND,
    "task_engine": Codes.INVALID_TASK_ENGINE,
    "batch_chunk_size": Codes.INVALID_BATCH_SIZE,
    "batch_concurrency": Codes.INVALID_BATCH_SIZE,
}
IMMEDIATE_BACKENDS = (
    "django.tasks.backends.immediate.ImmediateBackend",
    "django_tasks.backends.immediate.ImmediateBackend",
)


def invalid_setting(problem: str, code: str) -> CheckMessage:
    return Error(problem, hint="See docs/settings.md, Background work.", id=code)


def engine_not_installed(engine: str) -> CheckMessage:
    return Error(
        f'LINE_AUTH_TASK_ENGINE is "{engine}", but Celery is not installed.',
        hint='pip install "line-auth[celery]", or set LINE_AUTH_TASK_ENGINE = "django" or None.',
        id=Codes.TASK_ENGINE_NOT_INSTALLED,
    )


def tasks_run_in_request() -> CheckMessage:
    return Warning(
        'LINE_AUTH_TASK_ENGINE is "django" but TASKS uses the ImmediateBackend, which runs '
        "every task in the process that queues it.",
        hint="Configure a backend with workers in TASKS, such as django_tasks_db.DatabaseBackend "
        "with manage.py db_worker (docs/deployment.md).",
        id=Codes.TASKS_RUN_IN_REQUEST,
    )


@register(TAG)
def check_background_work(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each batch setting is valid, and the chosen task engine really runs work elsewhere."""
    found: list[CheckMessage | None] = []
    for attribute, code in SETTINGS.items():
        try:
            getattr(line_settings, attribute)
        except ImproperlyConfigured as error:
            found.append(invalid_setting(str(error), code))
    if found:
        return collect(*found)
    engine = line_settings.task_engine
    if engine == "celery" and find_spec("celery") is None:
        found.append(engine_not_installed(engine))
    if engine == "django" and _default_backend_path() in IMMEDIATE_BACKENDS:
        found.append(tasks_run_in_request())
    return collect(*found)


def _default_backend_path() -> str:
    configured = getattr(settings, "TASKS", None) or {}
    default = configured.get("default") or {}
    return str(default.get("BACKEND") or IMMEDIATE_BACKENDS[0])
