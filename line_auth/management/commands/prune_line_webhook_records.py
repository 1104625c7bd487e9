"""``manage.py prune_line_webhook_records``: deprecated, runs ``line_auth_prune_webhook_records``.

Removed in the next release; the old name only warns, then does the same work.
"""

from __future__ import annotations

from line_auth.management.commands.line_auth_prune_webhook_records import Command as Current
from line_auth.management.deprecated import alias

Command = alias(Current, "prune_line_webhook_records", "line_auth_prune_webhook_records")
