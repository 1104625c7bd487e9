"""The audit trail's settings, mixed into :class:`line_auth.conf.LineAuthSettings`.

They live here so ``conf.py`` stays one screenful per concern; they are still read
only through ``line_auth.conf.line_settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from line_auth.internal.setting_values import duration

# How much of a visitor's address an audit record keeps (LINE_AUTH_AUDIT_CLIENT_ADDRESS).
ADDRESS_MODES = ("off", "truncated", "full")


class AuditSettings:
    """Accessors for ``LINE_AUTH_AUDIT*``; ``_get`` is the settings reader of the class using it."""

    # The settings reader, which LineAuthSettings (conf.py) supplies.
    _get: Callable[[str, Any], Any]

    @property
    def audit_enabled(self) -> bool:
        """Keep the audit trail (LINE's development guidelines recommend these logs)."""
        return bool(self._get("LINE_AUTH_AUDIT", True))

    @property
    def audit_retention(self) -> timedelta:
        """How long audit records are kept before pruning deletes them."""
        value = duration(self._get("LINE_AUTH_AUDIT_RETENTION", timedelta(days=90)))
        if value <= timedelta(0):
            raise ImproperlyConfigured("LINE_AUTH_AUDIT_RETENTION must be longer than zero.")
        return value

    @property
    def audit_client_address(self) -> str:
        """``"off"``, ``"truncated"`` (IPv4 /24, IPv6 /48) or ``"full"``.

        Truncated by default: a network is enough to see where a burst of failures
        comes from, and it no longer points at one subscriber, so the trail holds
        less personal data than a whole address would make it.
        """
        value = self._get("LINE_AUTH_AUDIT_CLIENT_ADDRESS", "truncated")
        if value not in ADDRESS_MODES:
            raise ImproperlyConfigured(
                f"LINE_AUTH_AUDIT_CLIENT_ADDRESS must be one of {', '.join(ADDRESS_MODES)}, not {value!r}."
            )
        return str(value)
