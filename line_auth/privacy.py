"""A user's right to see and to erase what line_auth holds about them.

Japan's APPI, Thailand's PDPA and Taiwan's PDPA give people the right to ask a
service for their data and to have it deleted. :func:`export_user_data` answers
the first with plain JSON-ready data (never a token or a secret: fields are
listed one by one, nothing is dumped wholesale); :func:`erase_user_data` answers
the second: it deauthorizes the app at LINE (queued when LINE is down), and
deletes the user's links, friendship history and pending rows. The Django user
itself is the site's to delete (the example site's "delete my account" page
does both). Commands ``line_auth_export_user`` and ``line_auth_erase_user`` and
admin actions call these functions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from social_django.models import UserSocialAuth

from line_auth import audit, deauthorization
from line_auth.backends import LineBackend
from line_auth.models import (
    Deauthorization,
    DeauthorizationReason,
    DeauthorizationStatus,
    FriendshipChange,
    LineAccount,
    PendingFriendship,
)

EXPORT_FORMAT = "line_auth.user_data/1"

# What an export shows of each row; tokens and their ciphertexts are never listed.
ACCOUNT_FIELDS = (
    "channel_id", "line_user_id", "display_name", "picture_url", "email", "scopes", "amr",
    "friendship", "friendship_checked_at", "friendship_source", "needs_relogin",
    "access_token_expires_at", "refresh_token_expires_at", "created", "last_login_at", "modified",
)
CHANGE_FIELDS = ("previous", "current", "source", "event_at", "changed_at")
PENDING_FRIENDSHIP_FIELDS = ("line_user_id", "friendship", "event_at")
DEAUTHORIZATION_FIELDS = (
    "channel_id", "line_user_id", "reason", "status", "attempts", "next_attempt_at", "last_error",
    "created", "finished_at",
)
SOCIAL_AUTH_FIELDS = ("provider", "uid", "created", "modified")
AUDIT_RECORD_FIELDS = (
    "created", "kind", "outcome", "channel_id", "client_address", "details",
    "method", "endpoint", "status", "request_id", "duration_ms",
)


# -- export -----------------------------------------------------------------------


def export_user_data(user: Any) -> dict[str, Any]:
    """Everything line_auth holds about ``user``, as JSON-ready values, with no token anywhere."""
    accounts = list(LineAccount.objects.filter(user=user).defer("access_token", "refresh_token"))
    line_user_ids = {account.line_user_id for account in accounts}
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "user": {"pk": user.pk, "username": user.get_username()},
        "line_accounts": [
            {
                **_pick(account, ACCOUNT_FIELDS),
                "friendship_history": [
                    _pick(change, CHANGE_FIELDS)
                    for change in FriendshipChange.objects.filter(account=account).order_by("event_at", "pk")
                ],
            }
            for account in accounts
        ],
        "social_auth": [
            _pick(association, SOCIAL_AUTH_FIELDS)
            for association in UserSocialAuth.objects.filter(user=user, provider=LineBackend.name)
        ],
        "pending_friendships": [
            _pick(pending, PENDING_FRIENDSHIP_FIELDS)
            for pending in PendingFriendship.objects.filter(line_user_id__in=line_user_ids)
        ],
        "deauthorizations": [
            _pick(row, DEAUTHORIZATION_FIELDS) for row in _deauthorizations(user, line_user_ids)
        ],
        "audit_records": [_pick(record, AUDIT_RECORD_FIELDS) for record in audit.records_for(user).order_by("pk")],
    }


def _pick(instance: Any, names: tuple[str, ...]) -> dict[str, Any]:
    values = {}
    for name in names:
        value = getattr(instance, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def _deauthorizations(user: Any, line_user_ids: set[str]) -> Any:
    # Rows of earlier links name the user; none names a LINE user ID of another user.
    return Deauthorization.objects.filter(user=user).defer("access_token", "refresh_token") | (
        Deauthorization.objects.filter(line_user_id__in=line_user_ids).exclude(line_user_id="")
        .defer("access_token", "refresh_token")
    )


# -- erasure --------------------------------------------------------------------


@dataclass
class ErasureReport:
    """What an erasure did: links ended (by deauthorization outcome) and rows deleted."""

    deauthorizations: Counter[str] = field(default_factory=Counter)
    friendship_changes: int = 0
    pending_friendships: int = 0
    settled_deauthorizations: int = 0
    anonymized_deauthorizations: int = 0
    audit_records: int = 0

    @property
    def accounts(self) -> int:
        """How many LINE links were ended."""
        return sum(self.deauthorizations.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "deauthorizations": dict(self.deauthorizations),
            "friendship_changes": self.friendship_changes,
            "pending_friendships": self.pending_friendships,
            "settled_deauthorizations": self.settled_deauthorizations,
            "anonymized_deauthorizations": self.anonymized_deauthorizations,
            "audit_records": self.audit_records,
        }


def erase_user_data(user: Any) -> ErasureReport:
    """Deauthorize at LINE and delete everything line_auth holds about ``user``; the user stays.

    A deauthorization LINE cannot take now stays queued with its tokens
    (encrypted) but without the user or the LINE user ID, so it can still be
    completed and points at no one.
    """
    report = ErasureReport()
    # Before the accounts go: records linked only through an account would be lost to the scrub.
    report.audit_records = audit.scrub(user)
    accounts = list(LineAccount.objects.filter(user=user))
    line_user_ids = {account.line_user_id for account in accounts}
    line_user_ids |= set(
        Deauthorization.objects.filter(user=user).exclude(line_user_id="").values_list("line_user_id", flat=True)
    )
    for account in accounts:
        report.friendship_changes += FriendshipChange.objects.filter(account=account).count()
        report.deauthorizations[deauthorization.unlink(account, DeauthorizationReason.ERASURE)] += 1
    with transaction.atomic():
        rows = _deauthorizations(user, line_user_ids)
        report.settled_deauthorizations, _ = Deauthorization.objects.filter(
            pk__in=rows.exclude(status=DeauthorizationStatus.PENDING).values("pk")
        ).delete()
        report.anonymized_deauthorizations = Deauthorization.objects.filter(
            pk__in=rows.values("pk")
        ).update(user=None, line_user_id="")
        report.pending_friendships, _ = PendingFriendship.objects.filter(line_user_id__in=line_user_ids).delete()
        UserSocialAuth.objects.filter(user=user, provider=LineBackend.name).delete()
    return report


def find_user(identifier: str) -> Any:
    """The user with this primary key or, failing that, this username; ``None`` if neither."""
    user_model = get_user_model()
    if identifier.isdigit():
        user = user_model.objects.filter(pk=int(identifier)).first()
        if user is not None:
            return user
    return user_model.objects.filter(**{user_model.USERNAME_FIELD: identifier}).first()
