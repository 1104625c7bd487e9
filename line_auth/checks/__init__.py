"""Django system checks: misconfiguration is reported by ``manage.py check`` with
a stable ID, never discovered at a visitor's first login.

``AppConfig.ready()`` imports this package, which registers every check: one
function per concern, each tagged ``line_auth`` (``manage.py check --tag line_auth``)
and with Django's tag for its concern. The IDs are in
:mod:`line_auth.checks.messages`; each other module holds one area's checks and the
factory of each message they report.
"""

from line_auth.checks import (
    audit,
    background_work,
    caching,
    channels,
    configuration,
    database,
    deauthorization,
    liff,
    pipeline,
    security,
    tokens,
    webhook_and_tasks,
)
from line_auth.checks.messages import TAG, Codes

__all__ = [
    "TAG",
    "Codes",
    "background_work",
    "audit",
    "caching",
    "channels",
    "configuration",
    "database",
    "deauthorization",
    "liff",
    "pipeline",
    "security",
    "tokens",
    "webhook_and_tasks",
]
