"""What the project's user model needs at creation that a LINE login may not give.

A LINE login supplies a username (made from the display name) and, only with
the ``email`` scope and ``LINE_AUTH_TRUST_EMAIL``, an email address. A user
model that needs more fails at the first login; the system checks report it at
startup and the ``create_user`` step refuses such a login cleanly.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models


def email_is_username() -> bool:
    """Whether users log in with their email address (``USERNAME_FIELD`` is the email field)."""
    user_model = get_user_model()
    return bool(user_model.USERNAME_FIELD == user_model.get_email_field_name())


def required_email_field() -> str | None:
    """The user model's email field if a user cannot be created without an address."""
    user_model = get_user_model()
    name = user_model.get_email_field_name()
    try:
        field = user_model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if email_is_username() or not getattr(field, "blank", True):
        return name
    return None


def unfillable_fields(supplied: Iterable[str]) -> list[str]:
    """Fields with neither a default nor NULL that no one fills when a user is created.

    ``supplied`` names the values the pipeline hands to the user manager
    (social-core's ``USER_FIELDS``); the username and email fields are always
    handed over, and text fields default to the empty string.
    """
    user_model = get_user_model()
    filled = {*supplied, user_model.USERNAME_FIELD, user_model.get_email_field_name()}
    return [
        field.name
        for field in user_model._meta.concrete_fields
        if field.name not in filled and _needs_a_value(field)
    ]


def _needs_a_value(field: models.Field) -> bool:
    if field.null or field.db_returning or field.has_db_default():
        return False  # NULL, an auto-increment, a generated column or a database default will do
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False  # the save stamps it
    if field.remote_field is not None and field.remote_field.parent_link:
        return False  # a user model inheriting a concrete model: the save makes and links its parent row
    return field.get_default() is None
