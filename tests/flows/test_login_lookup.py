"""The one look-up of a login (``line_auth.pipeline.social_user``) and the one write of its
``LineAccount``, in the cases that are not a plain first or returning login."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth

from line_auth.models import LineAccount

pytestmark = pytest.mark.django_db


def test_a_social_row_of_an_older_key_is_migrated_by_social_core(login, client, line_emulator, user_factory):
    taro, earlier = line_emulator.add_user(), user_factory()
    UserSocialAuth.objects.create(user=earlier, provider="line", uid=taro.user_id, id_key="",
                                  extra_data={"sub": taro.user_id})
    assert login(client, line_emulator, taro).status_code == 302
    social = UserSocialAuth.objects.get()
    assert (social.user, social.id_key) == (earlier, "sub")
    assert LineAccount.objects.get().user == earlier


def test_a_user_whose_line_account_was_deleted_gets_it_back(login, client, line_emulator):
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    user = get_user_model().objects.get()
    LineAccount.objects.all().delete()
    client.logout()
    assert login(client, line_emulator, taro).status_code == 302
    account = LineAccount.objects.get()
    assert (account.user, account.social) == (user, UserSocialAuth.objects.get())


def test_an_account_left_without_its_social_row_is_relinked_not_duplicated(
    login, client, line_emulator, line_account_factory
):
    taro = line_emulator.add_user()
    orphan = line_account_factory(line_user_id=taro.user_id, friendship="friend")
    assert orphan.social is None
    assert login(client, line_emulator, taro).status_code == 302
    account = LineAccount.objects.get()
    assert account.pk == orphan.pk and account.social == UserSocialAuth.objects.get()
    assert account.user == UserSocialAuth.objects.get().user and account.access_token
    assert account.friendship == "friend"  # learned earlier; this login learned nothing new
