"""Removing a LINE account's link to its Django user, and whether the user may.

Channels of one LINE provider see one LINE user ID, so their accounts share one
social-auth association: it goes with the last of them, never before.
"""

from __future__ import annotations

from django.db import transaction
from social_django.models import UserSocialAuth

from line_auth import tokens
from line_auth.backends import LineBackend
from line_auth.models import LineAccount


def can_unlink(account: LineAccount) -> bool:
    """Whether the user keeps a way to log in: a password, another social login, or
    another LINE account (another channel's) of theirs."""
    if LineAccount.objects.filter(user_id=account.user_id).exclude(pk=account.pk).exists():
        return True
    return UserSocialAuth.allowed_to_disconnect(account.user, LineBackend.name)


def unlink(account: LineAccount) -> bool:
    """Revoke the token with the account's channel, then remove the link, and its social-auth
    association when no other channel's account of this LINE user still uses it.

    Returns whether LINE confirmed the revocation; the link is removed either way.
    """
    revoked = tokens.revoke_at_line(account)
    with transaction.atomic():
        siblings = LineAccount.objects.filter(user_id=account.user_id, line_user_id=account.line_user_id)
        if not siblings.exclude(pk=account.pk).exists():
            UserSocialAuth.objects.filter(
                user_id=account.user_id, provider=LineBackend.name, uid=account.line_user_id
            ).delete()
        account.delete()
    return revoked
