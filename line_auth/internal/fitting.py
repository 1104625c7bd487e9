"""What LINE sends, made to fit the columns line_auth writes it to.

Display names, picture URLs and email addresses are whatever a LINE user typed,
of any length and with any character. PostgreSQL refuses text longer than a
``varchar`` column and any NUL character, which made such a profile a 500 at
its first login. So every value written to ``LineAccount`` or to the Django
user is made here: text is cut to the model field's ``max_length`` with NUL
removed, while identifiers (an email address, a URL, the LINE user ID) are kept
only whole, since a cut or repaired one would name something else.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import EmailValidator
from django.db import models

from line_auth.models import LineAccount

# Characters no identifier may carry: NUL (refused by PostgreSQL), and CR/LF,
# which would let an address add headers to an email sent to it.
_CONTROL = ("\x00", "\r", "\n")
_validate_email = EmailValidator()


def _max_length(model: type[models.Model], field_name: str) -> int | None:
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return None  # not a column of this model: nothing is written to it
    return getattr(field, "max_length", None)


def storable_text(value: Any) -> str:
    """``value`` as text every database stores: NUL removed, a lone surrogate (JSON allows
    "\ud800", no UTF-8 any database takes) made "?"."""
    return str(value or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fit(model: type[models.Model], field_name: str, value: Any) -> str:
    """``value`` as text the column holds: NUL removed, cut to the field's ``max_length``."""
    text = storable_text(value)
    max_length = _max_length(model, field_name)
    return text[:max_length] if max_length else text


def whole(model: type[models.Model], field_name: str, value: Any) -> str:
    """``value`` unchanged if it is text that fits the column with no control character, else ``""``."""
    if not isinstance(value, str) or any(character in value for character in _CONTROL) or not _is_utf8(value):
        return ""
    max_length = _max_length(model, field_name)
    return value if max_length is None or len(value) <= max_length else ""


def email(model: type[models.Model], field_name: str, value: Any) -> str:
    """The address if Django's ``EmailValidator`` accepts it and it fits whole, else ``""``.

    LINE does not validate what its users enter; an address that is not valid
    is dropped rather than failing the login.
    """
    address = whole(model, field_name, value)
    try:
        _validate_email(address)
    except ValidationError:
        return ""
    return address


def account_profile(response: dict[str, Any]) -> dict[str, Any]:
    """The profile fields of ``LineAccount`` from a login's identity."""
    amr = response.get("amr")
    return {
        "display_name": fit(LineAccount, "display_name", response.get("name")),
        "picture_url": whole(LineAccount, "picture_url", response.get("picture")),
        "email": email(LineAccount, "email", response.get("email")),
        "amr": [storable_text(item) for item in amr if isinstance(item, str)]
        if isinstance(amr, list)
        else [],
    }


def user_details(response: dict[str, Any], *, trust_email: bool) -> dict[str, str]:
    """social-core's ``details`` for the Django user, each fitting the user model's column.

    ``username`` is only a suggestion: social-core's ``get_username`` cleans it,
    cuts it to the username field and makes it unique.
    """
    user_model = get_user_model()
    name = storable_text(response.get("name"))
    details = {
        "username": name or str(response["sub"]),
        "fullname": fit(user_model, "fullname", name),
        "first_name": fit(user_model, "first_name", name),
        "last_name": "",
    }
    address = email(user_model, user_model.get_email_field_name(), response.get("email"))
    if trust_email and address:
        details["email"] = address
    return details
