"""Celery tasks for token upkeep, defined only when Celery is installed.

``pip install line-auth[celery]``, then schedule ``line_auth.refresh_due_line_tokens``
(for example hourly with celery beat): it queues one ``line_auth.refresh_line_account``
per account due, so any number of workers share the work and each refresh
holds its account's row lock. Without Celery this module still imports and
:func:`refresh_account` works, so nothing else in line_auth depends on Celery.
"""

from __future__ import annotations

from line_auth import tokens
from line_auth.models import LineAccount

try:
    from celery import shared_task
except ImportError:  # Celery is an optional extra
    shared_task = None

# Seconds before retrying a refresh LINE could not answer, doubled on each retry.
RETRY_DELAY = 60


def refresh_account(account_id: int) -> str:
    """Refresh one account's access token; returns the outcome's value."""
    account = LineAccount.objects.filter(pk=account_id).first()
    if account is None:
        return tokens.Outcome.SKIPPED.value
    return tokens.refresh(account).value


if shared_task is not None:

    @shared_task(
        bind=True, name="line_auth.refresh_line_account", max_retries=3, ignore_result=True
    )
    def refresh_line_account(self, account_id: int) -> str:  # type: ignore[no-untyped-def]
        """Refresh one account; retried with backoff while LINE is unavailable."""
        outcome = refresh_account(account_id)
        if outcome == tokens.Outcome.FAILED.value:
            raise self.retry(countdown=RETRY_DELAY * 2**self.request.retries)
        return outcome

    @shared_task(name="line_auth.refresh_due_line_tokens", ignore_result=True)
    def refresh_due_line_tokens(window: int | None = None) -> int:
        """Queue a refresh for every account whose token expires within the window."""
        queued = 0
        due = tokens.due_for_refresh(window=window).values_list("pk", flat=True)
        for account_id in due.iterator(chunk_size=2000):
            refresh_line_account.delay(account_id)
            queued += 1
        return queued
