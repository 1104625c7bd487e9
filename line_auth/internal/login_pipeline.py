"""How a LINE login runs its pipeline: one look-up first, then the steps.

The look-up reads the LINE user's social-auth row with its Django user and this channel's
``LineAccount``. What it finds decides how the pipeline runs: a single row of
LINE's key means the user and the association already exist and the login
writes only its account, so it needs no transaction of its own; anything
else (a first login, rows keyed otherwise, a site's own pipeline steps) runs the
pipeline in one transaction, so nothing is left half-made. ``social_user`` takes
the rows from here instead of asking again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from social_core.exceptions import AuthResponseError
from social_django.models import UserSocialAuth

from line_auth import channels
from line_auth.channels import Channel
from line_auth.internal import login_rows, logins, steps

# The pipeline keyword that carries the look-up to ``line_auth.pipeline.social_user``.
LOOKUP_KWARG = "line_login_lookup"


@dataclass(frozen=True)
class Lookup:
    """The social-auth rows of LINE user ``uid``, each annotated with ``channel_account``."""

    uid: str
    rows: Sequence[UserSocialAuth]


def login_channel(backend: Any, response: Mapping[str, Any] | None) -> Channel:
    """The channel a login is for: the identity's ``channel_id``, else the default channel.

    A ``channel_id`` that names no configured channel ends the login: its account
    must never be filed under another channel's credentials.
    """
    channel_id = (response or {}).get("channel_id")
    if not channel_id:
        return channels.default_channel()
    channel = channels.by_id(str(channel_id))
    if channel is None:
        raise AuthResponseError(backend, claim="channel_id", code="unknown_channel", stage="pipeline")
    return channel


def look_up(backend: Any, uid: str, response: Mapping[str, Any] | None) -> Lookup:
    """One query: the LINE user's social rows, each with its user and this channel's account."""
    channel_id = login_channel(backend, response).channel_id
    return Lookup(uid=str(uid), rows=login_rows.social_rows(backend.name, str(uid), channel_id))


def before_pipeline(backend: Any, pipeline_index: int, kwargs: Mapping[str, Any]) -> Lookup | None:
    """The look-up of a login starting its pipeline; ``None`` for a resumed (partial) pipeline,
    whose steps look up what they need themselves."""
    if pipeline_index:
        return None
    response = kwargs.get("response") or {}
    # No details yet (social_details makes them): LINE's user ID comes from the response.
    return look_up(backend, backend.get_user_id({}, response), response)


def needs_transaction(backend: Any, lookup: Lookup | None, pipeline: Sequence[str]) -> bool:
    """Whether the login must run its pipeline in one transaction.

    Not for one row of the backend's key under line_auth's and social-core's own steps:
    the user and the association exist, and the login writes only its account (with a
    friendship change's history row, in a transaction of their own). A site's own step
    may write anything, so it keeps the transaction.
    """
    if lookup is None or len(lookup.rows) != 1 or lookup.rows[0].id_key != backend.id_key():
        return True
    return steps.has_own_steps(pipeline)


def run(backend: Any, run_steps: Callable[..., Any], pipeline: list[str], pipeline_index: int,
        args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Look the LINE user up once, then run the steps (``run_steps``: social-core's own
    runner); in one transaction where ``needs_transaction`` says so."""
    lookup = before_pipeline(backend, pipeline_index, kwargs)
    with transaction.atomic() if needs_transaction(backend, lookup, pipeline) else nullcontext():
        user = run_steps(pipeline, pipeline_index, *args, **kwargs, **{LOOKUP_KWARG: lookup})
        return logins.completed(backend, user, kwargs)
