"""social-auth pipeline steps of a LINE login: finding the user, creating one, and
writing the ``LineAccount``.

A first login runs them in the backend's pipeline transaction, so the user, the
social association and the LINE account are committed together or not at all; a
returning login writes only its account, in one statement (``login_pipeline``).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from social_core.exceptions import (
    AuthAssociationError,
    AuthConfigurationError,
    AuthResponseError,
    SocialAuthBaseException,
)
from social_core.pipeline import social_auth
from social_core.pipeline import user as social_user_steps
from social_django.models import UserSocialAuth

from line_auth import signals
from line_auth.backends import LineBackend
from line_auth.friendship.login import friendship_at_login
from line_auth.friendship.status import STATUS_FIELDS, announce, save_changes
from line_auth.internal import fitting, login_pipeline, user_model
from line_auth.internal.token_state import expires_at
from line_auth.models import REFRESH_TOKEN_LIFETIME, AccessTokenKind, FriendshipChange, LineAccount

logger = logging.getLogger("line_auth.pipeline")

# What every login writes to its LineAccount; tokens and friendship only when it brings them,
# so a login never writes back values a token refresh or the webhook changed meanwhile.
LOGIN_FIELDS = (
    "user", "social", "provider", "display_name", "picture_url", "email", "amr", "last_login_at", "modified"
)


def social_user(backend: Any, uid: str, user: Any = None, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """social-core's ``social_user`` step, with no query of its own.

    It takes the backend's look-up made before the pipeline (``login_pipeline``): the
    LINE user's social-auth row with its Django user and this channel's LINE account.
    Channels of one provider share the row (LINE gives them one user ID), each with its
    own account; channels of different providers never see the same ID. No row means a
    first login, with nothing more to look up. Anything unusual (a row keyed otherwise,
    legacy identifiers) goes through social-core's own step.
    """
    if kwargs.get("legacy_identifiers") or kwargs.get("legacy_uids"):
        return social_auth.social_user(backend, uid, user, *args, **kwargs)
    lookup = kwargs.get(login_pipeline.LOOKUP_KWARG)
    if lookup is None or lookup.uid != str(uid):
        lookup = login_pipeline.look_up(backend, uid, kwargs.get("response"))
    if not lookup.rows:
        return {"social": None, "user": user, "is_new": user is None, "new_association": True}
    social = lookup.rows[0]
    if len(lookup.rows) > 1 or social.id_key != backend.id_key():
        return social_auth.social_user(backend, uid, user, *args, **kwargs)
    if user and social.user != user:
        raise AuthAssociationError(backend, code="identity_in_use", stage="pipeline")
    account = getattr(social, "channel_account", None)
    if account is not None and account.user_id != social.user_id:
        account = None  # save_line_account finds or relinks this channel's account
    return {"social": social, "user": social.user, "is_new": False, "new_association": False,
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


def associate_user(
    backend: Any, uid: str, user: Any = None, social: Any = None, *args: Any, **kwargs: Any
) -> dict[str, Any] | None:
    """social-core's ``associate_user``, with ``extra_data`` written by the same INSERT.

    social-core inserts the row and ``load_extra_data`` then updates it. If a parallel
    first login of the same LINE user inserted its row first, the login's transaction
    is rolled back and the backend runs the login again, which then finds that row.
    """
    if user is None or social is not None:
        return None
    response, details = kwargs.get("response") or {}, kwargs.get("details") or {}
    try:
        social = UserSocialAuth.objects.create(
            user=user, provider=backend.name, uid=str(uid), id_key=kwargs.get("id_key", ""),
            extra_data=backend.extra_data(user, uid, response, details, kwargs),
        )
    except IntegrityError as error:
        raise AuthAssociationError(backend, code="identity_in_use", stage="pipeline") from error
    return {"social": social, "user": user, "new_association": True}


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
    """Create or update the LINE account of this login and announce it.

    One statement either way: an account already loaded by ``social_user`` is updated
    in the fields this login sets; otherwise it is inserted, or, if this channel
    already has an account for the LINE user without its social-auth row, relinked.
    """
    if not isinstance(backend, LineBackend) or user is None or not response:
        return None
    now = timezone.now()
    channel = login_pipeline.login_channel(backend, response)
    created = line_account is None
    account = line_account or LineAccount(channel_id=channel.channel_id, line_user_id=response["sub"])
    account.user = user
    account.provider = channel.provider
    if social is not None:
        account.social = social
        # This login's account, where a returning login's social_user put it (the audit reads it).
        social.channel_account = account
    profile = fitting.account_profile(response)
    account.display_name = profile["display_name"]
    account.picture_url = profile["picture_url"]
    account.email = profile["email"] or account.email
    account.amr = profile["amr"]
    account.last_login_at = now
    fields = [*LOGIN_FIELDS, *_store_tokens(account, response, now)]
    known_at = account.friendship_checked_at
    friendship_changes = friendship_at_login(account, response, now=now, created=created)
    if account.friendship_checked_at != known_at:
        fields += STATUS_FIELDS
    # A status learned now and its history row are written together, in or out of the
    # pipeline's transaction (a returning login has none).
    with transaction.atomic(savepoint=False) if friendship_changes else nullcontext():
        if created:
            _insert_or_relink(account, fields)
        elif not _update(account, fields, now):
            # Unlinked by another request since the look-up: the backend runs the login again.
            raise AuthAssociationError(backend, code="account_unlinked", stage="pipeline")
        save_changes(friendship_changes)
    request = getattr(backend.strategy, "request", None)
    # Announce only what was committed: a rolled-back login announces nothing.
    transaction.on_commit(
        lambda: _announce(request, user, account, created, is_new, friendship_changes)
    )
    return {"line_account": account}


def _update(account: LineAccount, fields: list[str], now: datetime) -> bool:
    """Write these fields of a loaded account in one UPDATE; ``False`` when its row is gone."""
    account.modified = now
    return bool(LineAccount.objects.filter(pk=account.pk).update(**{name: getattr(account, name) for name in fields}))


def _insert_or_relink(account: LineAccount, fields: list[str]) -> None:
    """Insert the account, or update these fields of the one the channel already has.

    An account whose social-auth row was deleted (``social`` set to NULL) is relinked
    to this login instead of failing it.
    """
    LineAccount.objects.bulk_create(
        [account], update_conflicts=True, unique_fields=("channel_id", "line_user_id"), update_fields=fields
    )
    if account.pk is None:  # databases that return no row from an upsert
        account.pk = LineAccount.objects.values_list("pk", flat=True).get(
            channel_id=account.channel_id, line_user_id=account.line_user_id
        )


def _store_tokens(account: LineAccount, response: dict[str, Any], now: datetime) -> tuple[str, ...]:
    """Keep the tokens this login brought; return the fields set.

    A login that brings none keeps the stored ones: a native app's ID token login
    gives the server no token, and an access token login no refresh token, so
    neither may wipe what an earlier web login stored. A new refresh token means
    LINE can be reached again: no new login is needed.
    """
    fields: tuple[str, ...] = ()
    access_token = str(response.get("access_token") or "")
    if access_token:
        account.access_token = access_token
        account.scopes = fitting.fit(LineAccount, "scopes", response.get("scope"))
        account.access_token_expires_at = expires_at(response.get("expires_in"), now)
        account.access_token_kind = response.get("token_kind") or AccessTokenKind.APP
        fields += ("access_token", "scopes", "access_token_expires_at", "access_token_kind")
    refresh_token = str(response.get("refresh_token") or "")
    if refresh_token:
        account.access_token_kind = AccessTokenKind.LOGIN
        account.refresh_token = refresh_token
        account.refresh_token_expires_at = now + REFRESH_TOKEN_LIFETIME
        account.needs_relogin = False
        fields += ("refresh_token", "refresh_token_expires_at", "needs_relogin")
    return fields


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
