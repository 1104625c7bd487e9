"""Operations on linked LINE accounts that views, the admin and commands share."""

from __future__ import annotations

import logging

from django.db import transaction
from social_django.models import UserSocialAuth

from line_auth.backends import LineBackend
from line_auth.client import get_client
from line_auth.exceptions import LineAPIError
from line_auth.models import LineAccount

logger = logging.getLogger("line_auth.services")


def can_disconnect(account: LineAccount) -> bool:
    """Whether the user keeps a way to log in (a password or another social login)."""
    return UserSocialAuth.allowed_to_disconnect(account.user, LineBackend.name)


def revoke(account: LineAccount) -> bool:
    """Revoke the account's access token at LINE; a failure is logged, not raised."""
    if not account.access_token:
        return False
    try:
        get_client().revoke(account.access_token)
    except LineAPIError as error:
        logger.warning("Revoking the LINE token of %s failed: %s", account.line_user_id, error.code)
        return False
    return True


def disconnect(account: LineAccount) -> bool:
    """Revoke the token, then remove the link and its social-auth association.

    Returns whether LINE confirmed the revocation; the link is removed either way.
    """
    revoked = revoke(account)
    with transaction.atomic():
        UserSocialAuth.objects.filter(
            user=account.user, provider=LineBackend.name, uid=account.line_user_id
        ).delete()
        account.delete()
    return revoked
