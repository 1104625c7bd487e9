"""social-auth pipeline steps of a LINE login: finding the user, creating one, and
writing the ``LineAccount``.

They run inside the backend's pipeline transaction, so the user, the social
association and the LINE account are committed together or not at all.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from social_core.exceptions import (
    AuthAssociationError,
    AuthConfigurationError,
    AuthResponseError,
    SocialAuthBaseException,
)
from social_core.pipeline import social_auth
from social_core.pipeline import user as social_user_steps

from line_auth import signals
from line_auth.backends import LineBackend
from line_auth.conf import line_settings
from line_auth.friendship.login import friendship_at_login
from line_auth.friendship.status import announce, save_changes
from line_auth.internal import fitting, user_model
from line_auth.internal.token_state import expires_at
from line_auth.models import REFRESH_TOKEN_LIFETIME, AccessTokenKind, FriendshipChange, LineAccount

logger = logging.getLogger("line_auth.pipeline")


def login_channel_id(response: Any) -> str:
    """The channel a login is filed under: the one its token was for (native, LIFF and
    MINI App logins say so in ``channel_id``), else the site's default channel."""
    channel_id = response.get("channel_id") if isinstance(response, dict) else None
    return str(channel_id or line_settings.channel_id)


def social_user(backend: Any, uid: str, user: Any = None, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """social-core's ``social_user`` step, in one query for a returning LINE user.

    The account, its Django user and its social-auth row are read together and the
    account row is locked for the rest of the login. Anything unusual (a first login,
    an association made before line_auth) goes through social-core's own step.
    """
    account = (
        LineAccount.objects.select_related("user", "social")
        .select_for_update(of=("self",))
        .filter(channel_id=login_channel_id(kwargs.get("response")), line_user_id=str(uid))
        .first()
    )
    social = account.social if account is not None else None
    if (
        account is None
        or social is None
        or social.provider != backend.name
        or social.uid != str(uid)
        or social.user_id != account.user_id
    ):
        return social_auth.social_user(backend, uid, user, *args, **kwargs)
    if user and account.user != user:
        raise AuthAssociationError(backend, code="identity_in_use", stage="pipeline")
    social.user = account.user
    return {"social": social, "user": account.user, "is_new": False, "new_association": False,
            "line_account": account}


def create_user(strategy: Any, details: dict[str, Any], backend: Any, user: Any = None, *args: Any,
                **kwargs: Any) -> dict[str, Any] | None:
    """social-core's ``create_user``, ending a login it cannot make a user for on the friendly page.

    A user model that needs an email address LINE did not share refuses the login
    before anything is written. Any other failure of the user manager (a field
    LINE cannot fill, a manager that wants other arguments) is logged for the
    developer and shown as a configuration error; the login's transaction is
    rolled back either way, so nothing is left half-made.
    """
    if user is None and user_model.required_email_field() and not kwargs.get("email", details.get("email")):
        raise AuthResponseError(backend, claim="email", code="profile_email_missing", stage="pipeline")
    try:
        with transaction.atomic():
            return social_user_steps.create_user(strategy, details, backend, user, *args, **kwargs)
    except AuthAssociationError as error:
        if error.code == "username_in_use" and user_model.email_is_username():
            raise AuthAssociationError(backend, code="email_in_use", stage="pipeline") from error
        raise
    except SocialAuthBaseException:
        raise  # social-core's own refusals keep their meaning
    except Exception as error:
        logger.error("Creating the user of a LINE login failed; see the line_auth system checks "
                     "and docs/user-models.md", exc_info=True)
        raise AuthConfigurationError(backend, code="user_creation_failed", stage="pipeline") from error


def save_line_account(
    backend: Any,
    user: Any = None,
    response: dict[str, Any] | None = None,
    is_new: bool = False,
    *args: Any,
    line_account: LineAccount | None = None,
    social: Any = None,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Create or update the LINE account of this login and announce it."""
    if not isinstance(backend, LineBackend) or user is None or not response:
        return None
    now = timezone.now()
    account, created = line_account, False
    if account is None:
        account, created = LineAccount.objects.select_for_update().get_or_create(
            channel_id=login_channel_id(response),
            line_user_id=response["sub"],
            defaults={"user": user},
        )
    account.user = user
    if social is not None and _social_is_free(social, account):
        account.social = social
    profile = fitting.account_profile(response)
    account.display_name = profile["display_name"]
    account.picture_url = profile["picture_url"]
    account.email = profile["email"] or account.email
    account.amr = profile["amr"]
    _store_tokens(account, response, now)
    account.last_login_at = now
    friendship_changes = friendship_at_login(account, response, now=now, created=created)
    account.save()
    save_changes(friendship_changes)
    request = getattr(backend.strategy, "request", None)
    # Announce only what was committed: a rolled-back login announces nothing.
    transaction.on_commit(
        lambda: _announce(request, user, account, created, is_new, friendship_changes)
    )
    return {"line_account": account}


def _social_is_free(social: Any, account: LineAccount) -> bool:
    """Whether the social-auth row may point at this account.

    There is one row per LINE user ID, and channels of one provider share the ID:
    the row stays with the account that has it, and the person's accounts on the
    other channels reach the same user through it.
    """
    if account.social_id == social.pk:
        return True
    return not LineAccount.objects.filter(social=social).exclude(pk=account.pk).exists()


def _store_tokens(account: LineAccount, response: dict[str, Any], now: datetime) -> None:
    """Keep the tokens this login brought; a login that brings none keeps the stored ones.

    A native app's ID token login gives the server no token, and an access token
    login no refresh token, so neither may wipe what an earlier web login stored.
    A new refresh token means LINE can be reached again: no new login is needed.
    """
    access_token = str(response.get("access_token") or "")
    if access_token:
        account.access_token = access_token
        account.scopes = fitting.fit(LineAccount, "scopes", response.get("scope"))
        account.access_token_expires_at = expires_at(response.get("expires_in"), now)
        account.access_token_kind = response.get("token_kind") or AccessTokenKind.APP
    refresh_token = str(response.get("refresh_token") or "")
    if refresh_token:
        account.access_token_kind = AccessTokenKind.LOGIN
        account.refresh_token = refresh_token
        account.refresh_token_expires_at = now + REFRESH_TOKEN_LIFETIME
        account.needs_relogin = False


def _announce(
    request: Any,
    user: Any,
    account: LineAccount,
    created: bool,
    is_new: bool,
    friendship_changes: list[FriendshipChange],
) -> None:
    if created:
        signals.line_account_linked.send(
            sender=LineAccount, request=request, user=user, line_account=account
        )
    announce(friendship_changes)
    signals.line_login.send(
        sender=LineAccount, request=request, user=user, line_account=account, is_new_user=is_new
    )
