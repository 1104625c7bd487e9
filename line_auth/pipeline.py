"""social-auth pipeline step that writes the ``LineAccount`` of a LINE login.

It runs inside the backend's pipeline transaction, after social-core has found
or created the user, so the user, the social association and the LINE account
are committed together or not at all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from line_auth import signals
from line_auth.backends import LineBackend
from line_auth.conf import line_settings
from line_auth.friendship import friendship_at_login
from line_auth.models import REFRESH_TOKEN_LIFETIME, LineAccount


def save_line_account(
    backend: Any,
    user: Any = None,
    response: dict[str, Any] | None = None,
    is_new: bool = False,
    *args: Any,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Create or update the LINE account of this login and announce it."""
    if not isinstance(backend, LineBackend) or user is None or not response:
        return None
    now = timezone.now()
    expires_in = response.get("expires_in")
    account, created = LineAccount.objects.select_for_update().get_or_create(
        channel_id=line_settings.channel_id,
        line_user_id=response["sub"],
        defaults={"user": user},
    )
    previous_friendship = account.friendship
    account.user = user
    account.display_name = str(response.get("name") or "")[:255]
    account.picture_url = str(response.get("picture") or "")[:1000]
    account.email = str(response.get("email") or account.email or "")[:254]
    account.scopes = str(response.get("scope") or "")
    account.amr = list(response.get("amr") or [])
    account.access_token = str(response.get("access_token") or "")
    account.refresh_token = str(response.get("refresh_token") or "")
    account.access_token_expires_at = (
        now + timedelta(seconds=int(expires_in)) if isinstance(expires_in, int) else None
    )
    account.refresh_token_expires_at = now + REFRESH_TOKEN_LIFETIME if account.refresh_token else None
    account.last_login_at = now
    friendship_at_login(account, response, created=created, now=now)
    account.save()
    request = getattr(backend.strategy, "request", None)
    friendship_changed = account.friendship != previous_friendship
    # Announce only what was committed: a rolled-back login announces nothing.
    transaction.on_commit(
        lambda: _announce(request, user, account, created, is_new, previous_friendship, friendship_changed)
    )
    return {"line_account": account}


def _announce(
    request: Any,
    user: Any,
    account: LineAccount,
    created: bool,
    is_new: bool,
    previous_friendship: str,
    friendship_changed: bool,
) -> None:
    if created:
        signals.line_account_linked.send(
            sender=LineAccount, request=request, user=user, line_account=account
        )
    if friendship_changed:
        signals.friendship_changed.send(
            sender=LineAccount,
            line_account=account,
            previous=previous_friendship,
            current=account.friendship,
            source=account.friendship_source,
        )
    signals.line_login.send(
        sender=LineAccount, request=request, user=user, line_account=account, is_new_user=is_new
    )
