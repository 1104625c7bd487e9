"""One function, registered once on each task engine, queued on the one the site chose.

Django's task framework (``django.tasks`` on Django 6, the ``django-tasks``
backport on Django 5.2) holds every task: its workers (``db_worker`` of
``django-tasks-db``, or any other backend's) find a task by the function's
dotted path, so the module attribute is the framework's ``Task``. When Celery
is installed the same function is also a Celery task under line_auth's stable
name (``line_auth.…``), with Celery's retry and acknowledgement options, so
beat schedules and ``app.autodiscover_tasks()`` work as they always did.

No Celery backend for the task framework is used: the one for Django 6 needs
Python 3.12 and Django 6, and the one for Django 5.2 renames every task
(breaking beat schedules) and cannot carry per-task retry options.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

from line_auth.conf import line_settings

if find_spec("django.tasks") is not None:  # Django 6
    from django.tasks import Task, task
else:  # Django 5.2: the backport, a dependency of line_auth
    from django_tasks import task  # type: ignore[no-redef,unused-ignore]
    from django_tasks.base import Task  # type: ignore[no-redef,assignment,unused-ignore]

try:
    from celery import shared_task
except ImportError:  # Celery is an optional extra
    shared_task = None

# line_auth's name of each task, by its function; and its Celery task, by that name.
NAMES: dict[Callable[..., Any], str] = {}
CELERY_TASKS: dict[str, Any] = {}


def background(name: str, **celery_options: Any) -> Callable[[Callable[..., Any]], Task]:
    """Register the function as task ``name`` on the task framework and, if installed, Celery."""

    def register(function: Callable[..., Any]) -> Task:
        if shared_task is not None:
            CELERY_TASKS[name] = shared_task(name=name, **celery_options)(function)
        NAMES[function] = name
        return task(function)

    return register


def name_of(registered: Task) -> str:
    """line_auth's stable name of a task, as beat schedules and checks refer to it."""
    return NAMES[registered.func]


def enqueue(registered: Task, *args: Any, **kwargs: Any) -> Any:
    """Queue the task on ``LINE_AUTH_TASK_ENGINE``, or run it here when none is set.

    Arguments must be JSON: both engines carry them to another process.
    """
    engine = line_settings.task_engine
    if engine == "celery":
        return CELERY_TASKS[name_of(registered)].apply_async(args, kwargs)
    if engine == "django":
        return registered.enqueue(*args, **kwargs)
    return registered.call(*args, **kwargs)
