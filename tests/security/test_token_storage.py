"""Tokens at rest: ciphertext in every table, and key rotation without loss (A12)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db


def database_dump() -> str:
    """Every text value in every table, as the database stores it."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            values.extend(str(cell) for row in cursor.fetchall() for cell in row)
    return "\n".join(values)


@pytest.mark.EN_01
def test_no_token_is_stored_in_plain_text_anywhere(login, client, line_emulator):
    login(client, line_emulator, line_emulator.add_user(), begin={"scope": "profile openid email"})
    dump = database_dump()
    secrets = line_emulator.issued_secrets() - {None}
    assert secrets and not [secret for secret in secrets if secret in dump]


@pytest.mark.EN_02
def test_rotating_the_key_reencrypts_every_row_and_keeps_tokens_readable(line_account_factory, settings):
    old_key = settings.LINE_AUTH_ENCRYPTION_KEYS[0]
    accounts = [line_account_factory(access_token=f"access-{n}", refresh_token=f"refresh-{n}") for n in range(5)]
    new_key = Fernet.generate_key().decode()
    with override_settings(LINE_AUTH_ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("line_auth_rotate_keys", "--batch-size", "2")
    with override_settings(LINE_AUTH_ENCRYPTION_KEYS=[new_key]):  # the old key removed
        for number, account in enumerate(accounts):
            fresh = LineAccount.objects.get(pk=account.pk)
            assert (fresh.access_token, fresh.refresh_token) == (f"access-{number}", f"refresh-{number}")


@pytest.mark.EN_02
def test_rotation_reports_rows_no_key_opens_and_leaves_them_alone(line_account_factory):
    account = line_account_factory(access_token="access", refresh_token="refresh")
    with override_settings(LINE_AUTH_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        with pytest.raises(CommandError, match="1 account holds tokens"):
            call_command("line_auth_rotate_keys")
    assert LineAccount.objects.get(pk=account.pk).refresh_token == "refresh"
