"""``manage.py sync_line_friendships``: deprecated, runs ``line_auth_sync_friendships``.

Removed in the next release; the old name only warns, then does the same work.
"""

from __future__ import annotations

from line_auth.management.commands.line_auth_sync_friendships import Command as Current
from line_auth.management.deprecated import alias

Command = alias(Current, "sync_line_friendships", "line_auth_sync_friendships")
