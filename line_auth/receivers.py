"""Django signals line_auth answers: logout and user deletion. Connected in ``apps.ready``.

Both run inside someone else's request or transaction, so neither may fail it:
the token functions they call log LINE's failures instead of raising them.
"""

from __future__ import annotations

from typing import Any

from line_auth import deauthorization, tokens
from line_auth.conf import line_settings
from line_auth.models import DeauthorizationReason, LineAccount


def revoke_on_logout(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """With ``LINE_AUTH_REVOKE_ON_LOGOUT``, end the user's LINE logins when they log out."""
    if not line_settings.revoke_on_logout or user is None or user.pk is None:
        return
    for account in LineAccount.objects.filter(user=user).exclude(access_token=""):
        tokens.revoke(account)


def deauthorize_on_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Deauthorize the app at LINE before a user is deleted (LINE's development guidelines).

    What LINE cannot take now is queued, so the deletion always goes ahead.
    """
    if not line_settings.deauthorize_on_delete:
        return
    for account in LineAccount.objects.filter(user=instance):
        deauthorization.unlink(account, DeauthorizationReason.USER_DELETED)
