"""A text field whose value is stored encrypted with Fernet (MultiFernet for rotation).

``LINE_AUTH_ENCRYPTION_KEYS`` lists Fernet keys, newest first: the first
encrypts, all decrypt, so a key can be rotated by prepending a new one and
running ``manage.py line_auth_rotate_keys``. Without the setting a key is
derived from ``SECRET_KEY`` (system check ``line_auth.W001`` says so), which
means rotating ``SECRET_KEY`` makes stored tokens unreadable. A token no
configured key opens reads as no token (checks ``E012``/``W014`` count them).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from line_auth.conf import line_settings

logger = logging.getLogger("line_auth.fields")

_DERIVATION_CONTEXT = b"line_auth token encryption v1"
# Marks a serialized value as ciphertext, so loading never encrypts it a second time.
SERIALIZED_PREFIX = "fernet:"


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from ``SECRET_KEY``, used when no keys are configured."""
    digest = hashlib.sha256(_DERIVATION_CONTEXT + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def get_fernet() -> MultiFernet:
    """The MultiFernet for the keys in force now (cached per key tuple)."""
    keys = line_settings.encryption_keys or (derived_key(settings.SECRET_KEY),)
    return _fernet(tuple(keys))


def encrypt(value: str) -> str:
    """Encrypt a token for storage."""
    return get_fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str | None:
    """Decrypt a stored token; ``None`` when no configured key opens it."""
    try:
        return get_fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        return None


class UnreadableToken(str):
    """A stored token no configured key opens: it reads as no token at all (``""``).

    Every reader (logins, refreshes, admin actions, the friendship sync) already
    treats an empty token as absent, so none of them can send it to LINE. It keeps
    the ciphertext so that saving the row writes it back unchanged: when a key was
    only left out of the settings by mistake, putting it back recovers the token.
    """

    ciphertext: str

    def __new__(cls, ciphertext: str) -> UnreadableToken:
        token = super().__new__(cls, "")
        token.ciphertext = ciphertext
        return token


def is_unreadable(value: object) -> bool:
    """Whether a token value is one that no configured key could open."""
    return isinstance(value, UnreadableToken)


def open_stored(ciphertext: str) -> str:
    """The token in a stored ciphertext, or an :class:`UnreadableToken`; logs nothing."""
    value = decrypt(ciphertext)
    return UnreadableToken(ciphertext) if value is None else value


def _open_and_warn(ciphertext: str) -> str:
    """:func:`open_stored`, with a warning (never the token) when no key opens it."""
    value = open_stored(ciphertext)
    if is_unreadable(value):
        logger.warning(
            "A stored LINE token could not be decrypted with any key in "
            "LINE_AUTH_ENCRYPTION_KEYS; it is treated as absent until the next LINE login"
        )
    return value


class EncryptedTextField(models.TextField):
    """Holds a secret as Fernet ciphertext in the database; Python sees plain text.

    An empty value is stored as the empty string, so "no token" needs no key.
    Serialization (``dumpdata``) writes ciphertext marked with
    :data:`SERIALIZED_PREFIX`, and deserialization (``loaddata``) opens it again,
    so fixtures and backups made the Django way never hold a token in clear.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return _open_and_warn(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, UnreadableToken):
            return value.ciphertext
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        if isinstance(value, UnreadableToken):
            return SERIALIZED_PREFIX + value.ciphertext
        if not value:
            return ""
        return SERIALIZED_PREFIX + encrypt(str(value))

    def to_python(self, value: Any) -> Any:
        """Open ciphertext from a fixture; anything else is already a token (or empty).

        Plain values are accepted too, so dumps made before tokens were serialized
        encrypted still load (and are encrypted when saved).
        """
        if isinstance(value, str) and value.startswith(SERIALIZED_PREFIX):
            return _open_and_warn(value.removeprefix(SERIALIZED_PREFIX))
        return super().to_python(value)
