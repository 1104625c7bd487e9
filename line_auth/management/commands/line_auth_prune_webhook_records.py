"""``manage.py line_auth_prune_webhook_records``: delete webhook records past their retention.

Webhook deliveries prune as they arrive; this command (or the Celery task
``line_auth.prune_webhook_records``) also prunes when no delivery comes, for
example after the webhook was turned off. Safe to run at any time.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from line_auth.friendship import retention
from line_auth.management.translated import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_noop(
        "Delete processed webhook event IDs and friendship statuses awaiting a login "
        "that are older than their retention settings."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        pruned = retention.prune()
        self.stdout.write(
            _(
                "Deleted %(webhook_events)d processed webhook event IDs and "
                "%(pending_friendships)d friendship statuses awaiting a login."
            )
            % pruned
        )
