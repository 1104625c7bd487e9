"""The test settings plus social-core's stock LINE backend, so both run in one project.

The stock backend is registered under the name ``line_stock`` (a subclass that
changes nothing but the name), because both backends are called ``line``.
"""

from tests.settings import *  # noqa: F403

AUTHENTICATION_BACKENDS = [
    "line_auth.backends.LineBackend",
    "benchmarks.stock.StockLineOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "benchmarks.urls"
# The suite's response recorder keeps every page in memory: not for benchmarks.
MIDDLEWARE = [name for name in MIDDLEWARE if name != "tests.recording.RecordResponses"]  # noqa: F405
SOCIAL_AUTH_LINE_STOCK_KEY = SOCIAL_AUTH_LINE_KEY  # noqa: F405
SOCIAL_AUTH_LINE_STOCK_SECRET = SOCIAL_AUTH_LINE_SECRET  # noqa: F405
# Every benchmark login comes from one test client: a flood by design.
LINE_AUTH_RATE_LIMITS = {"login": None, "native_nonce": None, "native_login": None}
