"""Django system checks: misconfiguration is reported by ``manage.py check`` with
a stable ID, never discovered at a visitor's first login.

``AppConfig.ready()`` imports this package, which registers every check. The IDs
are in :mod:`line_auth.checks.messages`; each other module holds one concern.
"""

from line_auth.checks.caching import check_deployment, check_rate_limits
from line_auth.checks.configuration import check_configuration
from line_auth.checks.database import check_stored_tokens
from line_auth.checks.messages import Codes

__all__ = ["Codes", "check_configuration", "check_deployment", "check_rate_limits", "check_stored_tokens"]
