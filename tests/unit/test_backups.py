"""Backups made the Django way (dumpdata / loaddata) keep LINE tokens encrypted and restorable."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from line_auth import tokens
from line_auth.fields import SERIALIZED_PREFIX
from line_auth.models import LineAccount


def dump(*labels: str) -> str:
    out = StringIO()
    call_command("dumpdata", *labels, "--format", "json", stdout=out)
    return out.getvalue()


def restore(tmp_path, fixture: str) -> None:
    """Load a dump into an empty database, as a restore would."""
    call_command("flush", "--no-input")
    path = tmp_path / "backup.json"
    path.write_text(fixture)
    call_command("loaddata", str(path), stdout=StringIO())


@pytest.mark.django_db
def test_dumpdata_writes_ciphertext_never_a_token(linked_account, line_emulator, line_account_factory):
    account = linked_account(line_emulator, line_account_factory)
    output = dump("line_auth.lineaccount")
    assert account.access_token not in output and account.refresh_token not in output
    [row] = json.loads(output)
    assert row["fields"]["access_token"].startswith(SERIALIZED_PREFIX)
    assert row["fields"]["refresh_token"].startswith(SERIALIZED_PREFIX)


@pytest.mark.django_db(transaction=True)
def test_a_restore_with_the_same_keys_gives_usable_tokens(
    linked_account, line_emulator, line_account_factory, tmp_path
):
    account = linked_account(line_emulator, line_account_factory)
    empty = line_account_factory()  # no tokens: stays without tokens
    backup = dump("auth.user", "line_auth")

    restore(tmp_path, backup)

    restored = LineAccount.objects.get(pk=account.pk)
    assert (restored.access_token, restored.refresh_token) == (account.access_token, account.refresh_token)
    assert tokens.verify(restored).valid  # LINE still accepts the restored access token
    assert tokens.refresh(restored) == tokens.Outcome.REFRESHED  # and the refresh token
    assert LineAccount.objects.get(pk=empty.pk).access_token == ""


@pytest.mark.django_db(transaction=True)
def test_a_restore_without_the_key_keeps_the_ciphertext_until_the_key_returns(
    linked_account, line_emulator, line_account_factory, tmp_path, settings
):
    account = linked_account(line_emulator, line_account_factory)
    backup = dump("auth.user", "line_auth")
    old_keys = settings.LINE_AUTH_ENCRYPTION_KEYS
    settings.LINE_AUTH_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    restore(tmp_path, backup)

    assert LineAccount.objects.get(pk=account.pk).refresh_token == ""  # absent, not garbage
    settings.LINE_AUTH_ENCRYPTION_KEYS = [*settings.LINE_AUTH_ENCRYPTION_KEYS, *old_keys]
    assert LineAccount.objects.get(pk=account.pk).refresh_token == account.refresh_token


@pytest.mark.django_db(transaction=True)
def test_a_dump_made_before_tokens_were_serialized_encrypted_still_loads(
    line_account_factory, tmp_path
):
    account = line_account_factory(access_token="old-access", refresh_token="old-refresh")
    backup = json.loads(dump("auth.user", "line_auth"))
    for row in backup:
        if row["model"] == "line_auth.lineaccount":
            row["fields"].update(access_token="old-access", refresh_token="old-refresh")

    restore(tmp_path, json.dumps(backup))

    restored = LineAccount.objects.get(pk=account.pk)
    assert (restored.access_token, restored.refresh_token) == ("old-access", "old-refresh")
