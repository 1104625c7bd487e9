"""Settings of the example site.

With no LINE_CHANNEL_ID in the environment it talks to the LINE Platform
emulator on http://127.0.0.1:8001 (started by example_project/run.sh), offline.
Set LINE_CHANNEL_ID, LINE_CHANNEL_SECRET and, for a stand-in platform,
LINE_ACCESS_BASE_URL / LINE_API_BASE_URL to use a real or staging channel.

The site has two LINE channels, each with its own button: with the emulator both
are made up; otherwise the second comes from LINE_CHANNEL_ID_2,
LINE_CHANNEL_SECRET_2 and LINE_CHANNEL_NAME_2 (its short name, shown on its
button), and without LINE_CHANNEL_ID_2 the site has one channel.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
EMULATOR_URL = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:8001")
USING_EMULATOR = "LINE_CHANNEL_ID" not in os.environ

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語"), ("zh-hant", "繁體中文"), ("th", "ไทย")]
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/"
LOGIN_REDIRECT_URL = "/account/"
LOGOUT_REDIRECT_URL = "/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "social_django",
    "line_auth",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

if os.environ.get("DATABASE_URL_POSTGRES"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["DATABASE_URL_POSTGRES"],
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}

if os.environ.get("REDIS_URL"):
    # Several web processes: nonces spent, LINE's keys and rate-limit counters shared through Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "example"),
        }
    }

# The two settings line_auth needs, plus the backend.
AUTHENTICATION_BACKENDS = ["line_auth.backends.LineBackend", "django.contrib.auth.backends.ModelBackend"]
SOCIAL_AUTH_LINE_KEY = os.environ.get("LINE_CHANNEL_ID", "1234567890")
SOCIAL_AUTH_LINE_SECRET = os.environ.get("LINE_CHANNEL_SECRET", "0123456789abcdef0123456789abcdef")
SOCIAL_AUTH_LINE_SCOPE = ["profile", "openid", "email"]
LINE_AUTH_AUTHORIZATION_OPTIONS = {"bot_prompt": "normal"}
# The emulator's second channel (example_project/run.sh starts the emulator with it).
EMULATOR_SECOND_CHANNEL = ("2000000002", "fedcba9876543210fedcba9876543210")
SECOND_CHANNEL_ID = os.environ.get("LINE_CHANNEL_ID_2", EMULATOR_SECOND_CHANNEL[0] if USING_EMULATOR else "")
if SECOND_CHANNEL_ID:
    LINE_AUTH_CHANNELS = {
        "main": {
            "CHANNEL_ID": SOCIAL_AUTH_LINE_KEY,
            "CHANNEL_SECRET": SOCIAL_AUTH_LINE_SECRET,
            "SCOPE": SOCIAL_AUTH_LINE_SCOPE,
            "AUTHORIZATION_OPTIONS": LINE_AUTH_AUTHORIZATION_OPTIONS,
        },
        os.environ.get("LINE_CHANNEL_NAME_2", "second"): {
            "CHANNEL_ID": SECOND_CHANNEL_ID,
            "CHANNEL_SECRET": os.environ.get("LINE_CHANNEL_SECRET_2", EMULATOR_SECOND_CHANNEL[1]),
            "SCOPE": SOCIAL_AUTH_LINE_SCOPE,
        },
    }
LINE_AUTH_ACCESS_BASE_URL = os.environ.get(
    "LINE_ACCESS_BASE_URL", EMULATOR_URL if USING_EMULATOR else "https://access.line.me"
)
LINE_AUTH_API_BASE_URL = os.environ.get(
    "LINE_API_BASE_URL", EMULATOR_URL if USING_EMULATOR else "https://api.line.me"
)
SILENCED_SYSTEM_CHECKS = []
if os.environ.get("LINE_AUTH_ENCRYPTION_KEY"):
    LINE_AUTH_ENCRYPTION_KEYS = [os.environ["LINE_AUTH_ENCRYPTION_KEY"]]
else:
    # The example runs without a key of its own; a real site sets one (check line_auth.W001).
    SILENCED_SYSTEM_CHECKS.append("line_auth.W001")
if USING_EMULATOR:
    SILENCED_SYSTEM_CHECKS.append("line_auth.W005")  # the emulator speaks plain HTTP on loopback
if os.environ.get("LINE_AUTH_NO_RATE_LIMITS") == "1":
    # For load tests, whose every login comes from 127.0.0.1: a flood by design.
    LINE_AUTH_RATE_LIMITS = {"login": None, "native_nonce": None, "native_login": None}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"line_auth": {"handlers": ["console"], "level": "INFO"}},
}
