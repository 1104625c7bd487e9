"""Django system checks, registered when ``AppConfig.ready()`` imports this package."""

from line_auth.checks.configuration import (
    Codes,
    check_configuration,
    check_deployment,
    check_rate_limits,
    check_stored_tokens,
)

__all__ = ["Codes", "check_configuration", "check_deployment", "check_rate_limits", "check_stored_tokens"]
