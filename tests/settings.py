"""Settings for the test suite: SQLite by default, PostgreSQL with LINE_AUTH_TEST_DB=postgres."""

import os

import django

from tests.user_models import USER_MODEL_APPS

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "Asia/Tokyo"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "social_django",
    "line_auth",
    # Django's task framework (the backport on Django 5.2) and its database backend, whose
    # db_worker the task tests run; the tests choose the backend (TASKS) themselves.
    *(() if django.VERSION >= (6,) else ("django_tasks",)),
    "django_tasks_db",
]
# The user-model test matrix: LINE_AUTH_TEST_USER_MODEL=email_only (no_username,
# extra_field) installs that app, before line_auth as a project's own apps usually are,
# and makes its User the user model. See tests/user_models.
TEST_USER_MODEL = os.environ.get("LINE_AUTH_TEST_USER_MODEL", "")
if TEST_USER_MODEL:
    if TEST_USER_MODEL not in USER_MODEL_APPS:
        raise ValueError(f"LINE_AUTH_TEST_USER_MODEL must be one of {', '.join(USER_MODEL_APPS)}")
    INSTALLED_APPS.insert(INSTALLED_APPS.index("social_django"), f"tests.user_models.{TEST_USER_MODEL}")
    AUTH_USER_MODEL = f"{TEST_USER_MODEL}.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tests.recording.RecordResponses",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
AUTHENTICATION_BACKENDS = [
    "line_auth.backends.LineBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語"), ("zh-hant", "繁體中文"), ("th", "ไทย")]

SOCIAL_AUTH_LINE_KEY = "1234567890"
SOCIAL_AUTH_LINE_SECRET = "0123456789abcdef0123456789abcdef"
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/done/"
LINE_AUTH_ENCRYPTION_KEYS = ["yV6XoMmSbyiX3K9bRk0cT4Y1hOVoJ0yYt0o2lQy5bXw="]

if os.environ.get("LINE_AUTH_TEST_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "line_auth"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "loggers": {"line_auth": {"handlers": ["null"], "level": "DEBUG"}},
}

# Celery as a project configures it (tests/celery_app.py); the worker test needs Redis here.
CELERY_BROKER_URL = os.environ.get("LINE_AUTH_TEST_REDIS", "redis://127.0.0.1:6379/5")
CELERY_TASK_DEFAULT_QUEUE = f"line_auth_tests_{os.getpid()}"  # no run consumes another's tasks
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
