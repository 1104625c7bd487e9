"""The life of a LINE account's tokens: get, refresh, verify, revoke.

Admin actions, the ``line_auth_refresh_tokens`` command, Celery tasks, receivers
and views all call these functions, so each rule lives once. The LINE facts they
rely on (https://developers.line.biz/en/reference/line-login/): a refresh
returns the same refresh token and never moves its 90-day deadline;
``invalid_grant`` means that login is over. Each call uses the credentials of
the account's own channel; an account whose channel is no longer configured is
left alone (``NO_CHANNEL``), never sent with another channel's. Deauthorizing and
unlinking, which end the link itself, live in :mod:`line_auth.deauthorization`.
Nothing here raises a LINE failure into its caller: outcomes are returned and
failures logged (the client logs ``x-line-request-id``).
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from social_django.models import UserSocialAuth

from line_auth import channels, signals
from line_auth.backends import LineBackend
from line_auth.channels import Channel
from line_auth.client import get_client
from line_auth.conf import line_settings
from line_auth.exceptions import LineAPIError, LineUnavailable
from line_auth.fields import is_unreadable
from line_auth.internal import batch
from line_auth.internal.token_state import copy_tokens, is_usable, refreshed_fields
from line_auth.internal.verification import Verification, check_verification
from line_auth.models import AccessTokenKind, LineAccount

logger = logging.getLogger("line_auth.tokens")
# Revoking logged under its own name before it joined this module; logger names are public.
unlink_logger = logging.getLogger("line_auth.services")

# The columns a refresh of many accounts reads (the admin names the accounts it reports).
BATCH_COLUMNS = (
    "pk", "channel_id", "line_user_id", "display_name", "refresh_token", "refresh_token_expires_at",
    "access_token_kind", "modified",
)
# Tokens only a new login replaces: LIFF's (12 hours, no refresh token) and an SDK app's.
UNRENEWABLE = (AccessTokenKind.LIFF, AccessTokenKind.APP)
CONCURRENCY = 4  # calls to LINE at once, unless the caller says otherwise
PAGE_SIZE = 500  # accounts read per query
REFRESH_LEASE = "line_auth.refresh"  # the lease a batch refresh holds on each account

class Outcome(str, enum.Enum):
    """What became of one account's refresh."""

    REFRESHED = "refreshed"
    RELOGIN = "relogin"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNREADABLE = "unreadable"  # no configured key opens the stored refresh token
    NO_CHANNEL = "no_channel"  # the account's channel is no longer configured
    NOT_REFRESHABLE = "not_refreshable"  # a LIFF or app token: LINE gave the server no refresh token


@dataclass(frozen=True)
class Exchange:
    """LINE's answer to one refresh, before anything is written.

    ``data`` is the token response; ``dead`` means LINE said ``invalid_grant``;
    neither means LINE failed and a later run may succeed.
    """

    data: dict[str, Any] | None = None
    dead: bool = False


def due_for_refresh(now: datetime | None = None, window: int | None = None) -> QuerySet[LineAccount]:
    """Accounts whose access token expires within the window, or whose refresh deadline passed."""
    now = now or timezone.now()
    window = line_settings.refresh_window if window is None else window
    soon = now + timedelta(seconds=window)
    return (
        LineAccount.objects.filter(needs_relogin=False)
        .exclude(refresh_token="")
        .filter(
            Q(access_token_expires_at__lte=soon)
            | Q(access_token_expires_at__isnull=True)
            | Q(refresh_token_expires_at__lte=now)
        )
    )


def decide_without_line(account: LineAccount, now: datetime, known: dict[str, Channel] | None = None) -> Outcome | None:
    """The outcome when LINE need not be asked, or ``None`` when it must be."""
    if channels.of_account(account, known) is None:
        return Outcome.NO_CHANNEL
    if is_unreadable(account.refresh_token):
        # The key may only be missing from the settings: an operator must look, not us.
        return Outcome.UNREADABLE
    if not account.refresh_token:
        return Outcome.NOT_REFRESHABLE if account.access_token_kind in UNRENEWABLE else Outcome.SKIPPED
    if account.refresh_deadline_passed(now):
        return mark_relogin(account, "expired")
    return None


def exchange(channel: Channel, refresh_token: str) -> Exchange:
    """Ask LINE for a new access token of ``channel``; safe in worker threads (no database access).

    ``channel`` is the one the token was issued for: LINE refuses another's credentials.
    The POST is idempotent for LINE (the same refresh token comes back), so the
    client retries timeouts, 429 and 5xx with backoff.
    """
    try:
        data = get_client().refresh(channel, refresh_token)
    except LineAPIError as error:
        return Exchange(dead=error.error == "invalid_grant")
    if not isinstance(data.get("access_token"), str) or not data["access_token"]:
        logger.warning("LINE's refresh answer had no access_token")
        return Exchange()
    return Exchange(data=data)


def record(account: LineAccount, result: Exchange, now: datetime | None = None) -> Outcome:
    """Write one refresh result; an account changed meanwhile (a new login) is left alone."""
    if result.dead:
        return mark_relogin(account, "invalid_grant")
    if result.data is None:
        return Outcome.FAILED
    now = now or timezone.now()
    return Outcome.REFRESHED if _update(account, now, **refreshed_fields(result.data, now)) else Outcome.SKIPPED


def mark_relogin(account: LineAccount, reason: str) -> Outcome:
    """Drop the dead tokens, flag the account and announce it, once.

    Flagged accounts are never refreshed again, so nothing loops; the next LINE
    login clears the flag.
    """
    if not _forget(account):
        return Outcome.SKIPPED
    logger.info("LINE account %s needs a new login (%s)", account.line_user_id, reason)
    transaction.on_commit(
        lambda: signals.line_relogin_needed.send(sender=LineAccount, line_account=account, reason=reason)
    )
    return Outcome.RELOGIN


def _forget(account: LineAccount) -> bool:
    """Drop both tokens and flag the account: only a new LINE login can help it now."""
    return _update(
        account, timezone.now(), needs_relogin=True, access_token="", refresh_token="", access_token_expires_at=None
    )


def _update(account: LineAccount, now: datetime, **fields: Any) -> bool:
    """Update only if the row is as it was read (``modified`` unchanged), then mirror it."""
    fields["modified"] = now
    updated = LineAccount.objects.filter(pk=account.pk, modified=account.modified).update(**fields)
    if updated:
        for name, value in fields.items():
            setattr(account, name, value)
    return bool(updated)


def refresh(account: LineAccount) -> Outcome:
    """Refresh one account now, holding its row lock so no other worker refreshes it too."""
    with transaction.atomic():
        locked = LineAccount.objects.select_for_update().filter(pk=account.pk).first()
        if locked is None:
            return Outcome.SKIPPED
        now = timezone.now()
        outcome = decide_without_line(locked, now) or record(locked, _exchange_for(locked), now)
    copy_tokens(locked, account)
    return outcome


def refresh_many(
    accounts: QuerySet[LineAccount],
    *,
    concurrency: int = CONCURRENCY,
    page_size: int = PAGE_SIZE,
    on_outcome: Callable[[LineAccount, Outcome], None] | None = None,
    progress: Callable[[Counter[Outcome]], None] | None = None,
) -> Counter[Outcome]:
    """Refresh every account of ``accounts`` through the batch engine; returns the outcomes.

    Answers not yet written when the process dies are harmless to lose: LINE
    returns the same refresh token, and the next run refreshes those accounts.
    """
    now = timezone.now()
    counts: Counter[Outcome] = Counter()
    known = {channel.channel_id: channel for channel in channels.all_channels()}

    def count(account: LineAccount, outcome: Outcome) -> None:
        counts[outcome] += 1
        if on_outcome is not None:
            on_outcome(account, outcome)

    steps = batch.Steps(
        settle=lambda account: decide_without_line(account, now, known),
        ask=lambda account: exchange(known[account.channel_id], account.refresh_token),
        record=record,
        lease=REFRESH_LEASE,
    )
    report = None if progress is None else lambda: progress(counts)
    batch.run(
        accounts.select_related(None).defer(None).only(*BATCH_COLUMNS),
        steps, concurrency=concurrency, page_size=page_size, on_result=count, progress=report,
    )
    return counts


def get_access_token(account: LineAccount) -> str | None:
    """A usable access token for the account, refreshed first if it is about to expire.

    Two workers asking at once are serialized by a row lock: the second re-reads
    the row after the lock and reuses the token the first obtained. ``None``
    means no token can be had now; ``account.needs_relogin`` tells whether the
    user must log in again or LINE was merely unavailable.
    """
    now = timezone.now()
    if is_usable(account, now):
        return account.access_token
    if not account.needs_relogin:
        with transaction.atomic():
            locked = LineAccount.objects.select_for_update().filter(pk=account.pk).first()
            if locked is None:
                return None
            if not is_usable(locked, now) and decide_without_line(locked, now) is None:
                record(locked, _exchange_for(locked), now)
        copy_tokens(locked, account)
    expires_at = account.access_token_expires_at
    if account.access_token and (expires_at is None or expires_at > now):
        return account.access_token  # still valid, though LINE could not renew it yet
    return None


def _exchange_for(account: LineAccount) -> Exchange:
    """``exchange`` with the account's channel, which ``decide_without_line`` found."""
    channel = channels.of_account(account)
    assert channel is not None  # decide_without_line settled accounts without a channel
    return exchange(channel, account.refresh_token)


def verify(account: LineAccount) -> Verification:
    """Ask LINE whether the account's access token is still good for its own channel."""
    if channels.of_account(account) is None:
        return Verification(False, "its channel is not configured")
    if is_unreadable(account.access_token):
        return Verification(False, "no configured encryption key opens the stored token")
    if not account.access_token:
        return Verification(False, "no access token")
    try:
        data = get_client().verify_access_token(account.access_token)
    except LineUnavailable:
        return Verification(False, "LINE did not answer")
    except LineAPIError as error:
        return Verification(False, error.error_description or error.error or "refused by LINE")
    return check_verification(data, (account.channel_id,))


def revoke(account: LineAccount) -> bool:
    """Revoke the access token at LINE and forget the tokens; LINE ends that login with it."""
    revoked = _revoke_at_line(account)
    _forget(account)
    return revoked


def _revoke_at_line(account: LineAccount) -> bool:
    """Revoke the account's access token at LINE with its channel's credentials; failures are logged."""
    channel = channels.of_account(account) if account.access_token else None
    if channel is None:
        return False
    try:
        get_client().revoke(channel, account.access_token)
    except LineAPIError as error:
        unlink_logger.warning("Revoking the LINE token of %s failed: %s", account.line_user_id, error.code)
        return False
    return True


def can_unlink(account: LineAccount) -> bool:
    """Whether the user keeps a way to log in: a password, another social login, or
    another LINE account (another channel's) of theirs."""
    if LineAccount.objects.filter(user_id=account.user_id).exclude(pk=account.pk).exists():
        return True
    return UserSocialAuth.allowed_to_disconnect(account.user, LineBackend.name)
