"""``manage.py line_auth_prune_audit``: delete audit records older than their retention.

The Celery task ``line_auth.prune_audit`` runs the same function; schedule one of
them daily. Safe to run at any time.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop, ngettext

from line_auth import audit
from line_auth.management.translated import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_noop("Delete audit records older than LINE_AUTH_AUDIT_RETENTION.")

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = audit.prune()
        self.stdout.write(
            ngettext("Deleted %(count)d audit record.", "Deleted %(count)d audit records.", deleted)
            % {"count": deleted}
        )
