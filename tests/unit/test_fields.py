import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from line_auth.models import LineAccount

pytestmark = [pytest.mark.django_db, pytest.mark.EN_02]


def raw_tokens(account):
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM line_auth_lineaccount WHERE id = %s",
                       [account.pk])
        return cursor.fetchone()


def test_tokens_are_ciphertext_in_the_database_and_plain_in_python(line_account_factory):
    account = line_account_factory(access_token="access-secret", refresh_token="refresh-secret")
    stored = raw_tokens(account)
    assert "access-secret" not in stored[0] and "refresh-secret" not in stored[1]
    fresh = LineAccount.objects.get(pk=account.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("access-secret", "refresh-secret")


def test_a_new_key_first_still_reads_rows_written_with_the_old_key(line_account_factory, settings):
    account = line_account_factory(refresh_token="refresh-secret")
    new_key = Fernet.generate_key().decode()
    with override_settings(LINE_AUTH_ENCRYPTION_KEYS=[new_key, *settings.LINE_AUTH_ENCRYPTION_KEYS]):
        assert LineAccount.objects.get(pk=account.pk).refresh_token == "refresh-secret"


def test_a_removed_key_makes_the_token_absent_not_a_crash(line_account_factory, caplog):
    account = line_account_factory(refresh_token="refresh-secret")
    stored = raw_tokens(account)[1]
    with override_settings(LINE_AUTH_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        assert LineAccount.objects.get(pk=account.pk).refresh_token == ""
    [warning] = [record for record in caplog.records if record.name == "line_auth.fields"]
    assert warning.levelname == "WARNING" and stored not in warning.getMessage()


def test_saving_a_row_no_key_opens_keeps_its_ciphertext_for_when_the_key_returns(
    line_account_factory, settings
):
    account = line_account_factory(access_token="access-secret", refresh_token="refresh-secret")
    stored = raw_tokens(account)
    with override_settings(LINE_AUTH_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        unreadable = LineAccount.objects.get(pk=account.pk)
        unreadable.display_name = "Renamed"
        unreadable.full_clean()
        unreadable.save()
    assert raw_tokens(account) == stored
    restored = LineAccount.objects.get(pk=account.pk)
    assert (restored.access_token, restored.refresh_token) == ("access-secret", "refresh-secret")


def test_without_configured_keys_a_key_derived_from_secret_key_is_used(line_account_factory):
    with override_settings(LINE_AUTH_ENCRYPTION_KEYS=[]):
        account = line_account_factory(access_token="access-secret")
        assert "access-secret" not in raw_tokens(account)[0]
        assert LineAccount.objects.get(pk=account.pk).access_token == "access-secret"
