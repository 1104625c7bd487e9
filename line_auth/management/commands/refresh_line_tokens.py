"""``manage.py refresh_line_tokens``: deprecated, runs ``line_auth_refresh_tokens``.

Removed in the next release; the old name only warns, then does the same work.
"""

from __future__ import annotations

from line_auth.management.commands.line_auth_refresh_tokens import Command as Current
from line_auth.management.deprecated import alias

Command = alias(Current, "refresh_line_tokens", "line_auth_refresh_tokens")
