"""Settings of task worker processes the tests start: the test settings, on the test run's
database, LINE emulator and Redis, with line_auth's work queued on ``LINE_AUTH_TASK_ENGINE``."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["LINE_AUTH_WORKER_DATABASE"]
LINE_AUTH_ACCESS_BASE_URL = LINE_AUTH_API_BASE_URL = os.environ["LINE_AUTH_WORKER_LINE_URL"]
LINE_AUTH_TASK_ENGINE = os.environ.get("LINE_AUTH_WORKER_ENGINE", "django")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["LINE_AUTH_WORKER_CACHE"],
    }
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# A call the test holds at the emulator must stay unanswered however long the test takes,
# not time out and be retried.
LINE_AUTH_REQUESTS_TIMEOUT = 600
# A test may tune a worker through its environment.
for _name in ("LINE_AUTH_BATCH_CHUNK_SIZE", "LINE_AUTH_BATCH_CONCURRENCY", "LINE_AUTH_LINE_REQUESTS_PER_SECOND"):
    if _name in os.environ:
        globals()[_name] = float(os.environ[_name]) if "." in os.environ[_name] else int(os.environ[_name])
# A Celery worker process consumes the queue the test publishes to, and hands a dead worker's
# unacknowledged task to another after this many seconds.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("LINE_AUTH_WORKER_QUEUE", "line_auth_workers")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": float(os.environ.get("LINE_AUTH_WORKER_REDELIVER_AFTER", 3600))
}
