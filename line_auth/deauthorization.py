"""Ending a link: deauthorize the app at LINE, remove the link, retry what LINE could not take.

LINE's development guidelines require an app to deauthorize itself
(``POST /user/v1/deauthorize``) whenever a user unregisters or unlinks. Every
way out (the account page, the admin, deleting a user, erasing a user's data)
calls :func:`unlink`, which removes the link locally at once whatever LINE
answers. When LINE cannot take the deauthorization, it is queued as a
:class:`~line_auth.models.Deauthorization` row (tokens encrypted) and
:func:`retry_due` (command ``line_auth_retry_deauthorizations``, task
``line_auth.retry_deauthorizations``) tries again after a doubling delay.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from social_django.models import UserSocialAuth

from line_auth import channels, tokens
from line_auth.backends import LineBackend
from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import LineAPIError
from line_auth.internal.token_state import USE_MARGIN, expires_at
from line_auth.models import Deauthorization, DeauthorizationReason, DeauthorizationStatus, LineAccount

logger = logging.getLogger("line_auth.deauthorization")

# What a user is told next to every control that ends a link, and may be offered in the
# terms a user accepts at sign-up (LINE's guidelines ask for both). Rendered by the
# template tag {% line_link_notice %} and line_auth/includes/line_link_notice.html.
LINE_LINK_NOTICE = _(
    "If you unlink your LINE account or delete your account, we notify LY Corporation "
    "and the connection between this service and your LINE account is removed."
)
# LINE's answer (400, {"message": "invalid token"}) when the grant is already gone:
# the user removed the app in LINE, or it was deauthorized before.
INVALID_TOKEN = "invalid token"
# However many failures, a queued deauthorization is tried at least once a day.
MAX_DELAY = timedelta(days=1)
# Reasons whose rows keep no link to the person: the user is being deleted or erased.
ANONYMOUS_REASONS = frozenset({DeauthorizationReason.USER_DELETED, DeauthorizationReason.ERASURE})


class Outcome(StrEnum):
    """What became of one deauthorization; the values are public (commands print them)."""

    DONE = "done"  # LINE deauthorized the app for this user
    GONE = "gone"  # LINE says the grant was already gone: nothing is left to end
    QUEUED = "queued"  # LINE could not take it now; a later run tries again
    NO_TOKEN = "no_token"  # no usable token is stored (a new login was needed): LINE can't be asked
    FAILED = "failed"  # a queued one given up after its last attempt


@dataclass(frozen=True)
class Attempt:
    """One try at LINE: the outcome, an error code (never LINE's text), a refreshed token."""

    outcome: Outcome
    error: str = ""
    access_token: str = ""
    access_token_expires_at: datetime | None = None


def error_code(error: LineAPIError) -> str:
    """A short code for an admin column: LINE's OAuth error, the HTTP status, or our own code."""
    if error.status_code == 400 and error.error_description == INVALID_TOKEN:
        return "invalid_token"
    if error.error:
        return error.error[:64]
    return f"http_{error.status_code}" if error.status_code else error.code.value


def attempt(
    channel_id: str, access_token: str, access_token_expires_at: datetime | None, refresh_token: str, now: datetime
) -> Attempt:
    """Deauthorize at LINE with the channel's own credentials, refreshing an expired token first.

    Needs no database, so it serves a link being removed and a queued row alike.
    """
    channel = channels.by_id(channel_id)
    if channel is None:
        # The channel may only be missing from the settings for now: keep trying.
        return Attempt(Outcome.QUEUED, "unknown_channel")
    if not access_token or (access_token_expires_at is not None and access_token_expires_at <= now + USE_MARGIN):
        if not refresh_token:
            return Attempt(Outcome.NO_TOKEN)
        exchanged = tokens.exchange(channel, refresh_token)
        if exchanged.dead:
            return Attempt(Outcome.GONE, "invalid_grant")
        if exchanged.data is None:
            return Attempt(Outcome.QUEUED, "refresh_failed")
        access_token = exchanged.data["access_token"]
        access_token_expires_at = expires_at(exchanged.data.get("expires_in"), now)
    client = get_client()
    try:
        client.deauthorize(client.issue_channel_token(channel), access_token)
    except LineAPIError as error:
        code = error_code(error)
        outcome = Outcome.GONE if code == "invalid_token" else Outcome.QUEUED
        return Attempt(outcome, code, access_token, access_token_expires_at)
    return Attempt(Outcome.DONE)


def unlink(account: LineAccount, reason: DeauthorizationReason = DeauthorizationReason.UNLINK) -> Outcome:
    """Deauthorize the app at LINE for this account, then remove the link and its social-auth row.

    The link goes whatever LINE answers; what LINE could not take now is queued.
    Channels of one provider share the social-auth row (one LINE user ID): it
    goes with the last of their accounts, never before.
    """
    now = timezone.now()
    result = attempt(
        account.channel_id, account.access_token, account.access_token_expires_at, account.refresh_token, now
    )
    with transaction.atomic():
        if result.outcome is Outcome.QUEUED:
            _queue(account, reason, result, now)
        siblings = LineAccount.objects.filter(user_id=account.user_id, line_user_id=account.line_user_id)
        if not siblings.exclude(pk=account.pk).exists():
            UserSocialAuth.objects.filter(
                user_id=account.user_id, provider=LineBackend.name, uid=account.line_user_id
            ).delete()
        account.delete()
    logger.info(
        "Unlinked LINE account %s (%s): deauthorization %s %s",
        account.line_user_id, reason, result.outcome, result.error or "",
    )
    return result.outcome


def _queue(account: LineAccount, reason: DeauthorizationReason, result: Attempt, now: datetime) -> None:
    anonymous = reason in ANONYMOUS_REASONS
    Deauthorization.objects.create(
        # A user being deleted cannot be pointed at: the row would outlive it.
        user_id=None if anonymous else account.user_id,
        line_user_id="" if reason == DeauthorizationReason.ERASURE else account.line_user_id,
        channel_id=account.channel_id,
        reason=reason,
        access_token=result.access_token or account.access_token,
        refresh_token=account.refresh_token,
        access_token_expires_at=result.access_token_expires_at or account.access_token_expires_at,
        attempts=1,
        last_error=result.error,
        next_attempt_at=now + backoff(1),
    )


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failures: the configured delay, doubled each time, capped."""
    return min(line_settings.deauthorize_retry_delay * 2 ** (attempts - 1), MAX_DELAY)


def retry_due(clock: Callable[[], datetime] = timezone.now, limit: int | None = None) -> Counter[Outcome]:
    """Try every queued deauthorization whose time has come; returns the outcomes.

    ``clock`` says what time it is (tests move it on). Each row is tried under its
    own row lock, skipped by other workers, so runs may overlap.
    """
    due = Deauthorization.objects.filter(
        status=DeauthorizationStatus.PENDING, next_attempt_at__lte=clock()
    ).order_by("next_attempt_at", "pk")
    counts: Counter[Outcome] = Counter()
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        outcome = retry(pk, clock)
        if outcome is not None:
            counts[outcome] += 1
    return counts


def retry(pk: int, clock: Callable[[], datetime] = timezone.now) -> Outcome | None:
    """Try one queued deauthorization now; ``None`` when another worker has it or it is settled."""
    with transaction.atomic():
        row = (
            Deauthorization.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=DeauthorizationStatus.PENDING)
            .first()
        )
        if row is None:
            return None
        now = clock()
        result = attempt(row.channel_id, row.access_token, row.access_token_expires_at, row.refresh_token, now)
        outcome = record(row, result, now)
    logger.info("Deauthorization %s: %s %s (attempt %d)", row.pk, outcome, row.last_error, row.attempts)
    return outcome


def record(row: Deauthorization, result: Attempt, now: datetime) -> Outcome:
    """Write one attempt's result on the row: settled, given up, or due again later."""
    row.attempts += 1
    row.last_error = result.error
    if result.outcome in (Outcome.DONE, Outcome.GONE):
        _settle(row, DeauthorizationStatus.DONE, now)
        return result.outcome
    if result.outcome is Outcome.NO_TOKEN or row.attempts >= line_settings.deauthorize_max_attempts:
        _settle(row, DeauthorizationStatus.FAILED, now)
        return Outcome.FAILED
    if result.access_token:
        row.access_token = result.access_token
        row.access_token_expires_at = result.access_token_expires_at
    row.next_attempt_at = now + backoff(row.attempts)
    row.save()
    return Outcome.QUEUED


def _settle(row: Deauthorization, status: DeauthorizationStatus, now: datetime) -> None:
    """Settled rows keep no token: nothing will be sent with them again."""
    row.status = status
    row.finished_at = now
    row.next_attempt_at = None
    row.access_token = row.refresh_token = ""
    row.access_token_expires_at = None
    row.save()
