"""A text field whose value is stored encrypted with Fernet (MultiFernet for rotation).

``LINE_AUTH_ENCRYPTION_KEYS`` lists Fernet keys, newest first: the first
encrypts, all decrypt, so a key can be rotated by prepending a new one and
running ``manage.py line_auth_rotate_keys``. Without the setting a key is
derived from ``SECRET_KEY`` (system check ``line_auth.W001`` says so), which
means rotating ``SECRET_KEY`` makes stored tokens unreadable.
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
        logger.error("A stored LINE token could not be decrypted: check LINE_AUTH_ENCRYPTION_KEYS")
        return None


class EncryptedTextField(models.TextField):
    """Holds a secret as Fernet ciphertext in the database; Python sees plain text.

    An empty value is stored as the empty string, so "no token" needs no key.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
