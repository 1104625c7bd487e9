"""The one look-up of a login (``line_auth.internal.login_pipeline``, used by
``line_auth.pipeline.social_user``) and the one write of its ``LineAccount``, in the cases
that are not a plain first or returning login."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from social_core.exceptions import AuthPolicyError
from social_django.models import UserSocialAuth

from line_auth import signals
from line_auth.backends import LineBackend
from line_auth.internal import login_pipeline, steps
from line_auth.models import Friendship, LineAccount

pytestmark = pytest.mark.django_db


def test_a_social_row_of_an_older_key_is_migrated_by_social_core(login, client, line_emulator, user_factory):
    taro, earlier = line_emulator.add_user(), user_factory()
    UserSocialAuth.objects.create(user=earlier, provider="line", uid=taro.user_id, id_key="",
                                  extra_data={"sub": taro.user_id})
    assert login(client, line_emulator, taro).status_code == 302
    social = UserSocialAuth.objects.get()
    assert (social.user, social.id_key) == (earlier, "sub")
    assert LineAccount.objects.get().user == earlier


@pytest.mark.parametrize(
    ("identifiers", "uids", "stored_key"),
    [([("legacy_id", "legacy-17")], [], "legacy_id"), ([], ["legacy-17"], "")],
    ids=["keyed", "unkeyed"],
)
def test_a_row_under_a_legacy_identifier_is_migrated_by_social_core(
    identifiers, uids, stored_key, login, client, line_emulator, user_factory, monkeypatch
):
    """A site's own LineBackend may name the identifiers an earlier integration stored;
    social-core's step finds and migrates such a row (its evidence is the stored sub)."""
    taro, earlier = line_emulator.add_user(), user_factory()
    UserSocialAuth.objects.create(user=earlier, provider="line", uid="legacy-17", id_key=stored_key,
                                  extra_data={"sub": taro.user_id})
    monkeypatch.setattr(LineBackend, "get_legacy_user_identifiers", lambda self, details, response: identifiers)
    monkeypatch.setattr(LineBackend, "get_legacy_user_ids", lambda self, details, response: uids)
    assert login(client, line_emulator, taro).status_code == 302
    social = UserSocialAuth.objects.get()
    assert (social.user, social.uid, social.id_key) == (earlier, taro.user_id, "sub")
    assert LineAccount.objects.get().user == earlier


def test_a_visitor_logged_in_cannot_link_a_line_account_another_user_has(
    login, client, line_emulator, user_factory, caplog
):
    """Refused on the friendly page after one look-up: the backend runs a login again only
    for a visitor who is not logged in (a parallel first login), never to retry a refusal."""
    taro, visitor = line_emulator.add_user(), user_factory()
    login(client, line_emulator, taro)
    owner = LineAccount.objects.get().user
    client.logout()
    client.force_login(visitor)
    caplog.clear()
    with CaptureQueriesContext(connection) as queries:
        response = login(client, line_emulator, taro)
    assert response.status_code == 400 and b"line-auth-failure-already_linked" in response.content
    assert [record.getMessage() for record in caplog.records if record.name == "line_auth.login"] == [
        "LINE login failed: kind=already_linked code=identity_in_use stage=pipeline parameter=-"
    ]
    assert LineAccount.objects.get().user == owner and UserSocialAuth.objects.get().user == owner
    assert client.session["_auth_user_id"] == str(visitor.pk)
    assert len([query for query in queries.captured_queries if "channel_account" in query["sql"]]) == 1


def test_a_legacy_row_of_another_user_is_not_linked_to_the_visitor_logged_in(
    login, client, line_emulator, user_factory, monkeypatch
):
    taro, earlier, visitor = line_emulator.add_user(), user_factory(), user_factory()
    UserSocialAuth.objects.create(user=earlier, provider="line", uid="legacy-17", id_key="legacy_id",
                                  extra_data={"sub": taro.user_id})
    monkeypatch.setattr(LineBackend, "get_legacy_user_identifiers",
                        lambda self, details, response: [("legacy_id", "legacy-17")])
    client.force_login(visitor)
    response = login(client, line_emulator, taro)
    assert response.status_code == 400 and b"line-auth-failure-already_linked" in response.content
    assert UserSocialAuth.objects.get().uid == "legacy-17" and not LineAccount.objects.exists()
    assert client.session["_auth_user_id"] == str(visitor.pk)


def test_another_providers_row_with_the_same_uid_is_never_the_line_users(login, client, line_emulator, user_factory):
    """Another provider may key its users by ``sub`` too; a LINE login never logs in as its user."""
    taro, stranger = line_emulator.add_user(), user_factory()
    UserSocialAuth.objects.create(user=stranger, provider="other-oidc", uid=taro.user_id, id_key="sub")
    assert login(client, line_emulator, taro).status_code == 302
    account = LineAccount.objects.get()
    assert account.user != stranger and client.session["_auth_user_id"] == str(account.user.pk)
    assert UserSocialAuth.objects.get(provider="line").user == account.user


def test_a_row_of_an_older_key_of_another_user_is_not_linked_to_the_visitor_logged_in(
    login, client, line_emulator, user_factory
):
    taro, earlier, visitor = line_emulator.add_user(), user_factory(), user_factory()
    UserSocialAuth.objects.create(user=earlier, provider="line", uid=taro.user_id, id_key="",
                                  extra_data={"sub": taro.user_id})
    client.force_login(visitor)
    response = login(client, line_emulator, taro)
    assert response.status_code == 400 and b"line-auth-failure-already_linked" in response.content
    assert UserSocialAuth.objects.get().user == earlier and not LineAccount.objects.exists()
    assert client.session["_auth_user_id"] == str(visitor.pk)


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


def test_where_an_upsert_returns_no_row_the_relinked_account_keeps_its_id(
    login, client, line_emulator, line_account_factory, monkeypatch, django_capture_on_commit_callbacks
):
    """MySQL returns no row from an upsert: the account's ID is read back, so what the login
    announces and records is the stored row."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    taro = line_emulator.add_user()
    orphan = line_account_factory(line_user_id=taro.user_id)
    line_account_factory(line_user_id=taro.user_id, channel_id="2000000009")  # another channel's
    line_account_factory()  # another LINE user's, on this channel
    linked = []

    def remember(sender, line_account, **kwargs):
        linked.append(line_account.pk)

    signals.line_account_linked.connect(remember)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert login(client, line_emulator, taro).status_code == 302
    finally:
        signals.line_account_linked.disconnect(remember)
    assert linked == [orphan.pk] and LineAccount.objects.get(social__isnull=False).pk == orphan.pk


# -- which logins run in a transaction --


def test_a_login_unlinked_between_its_look_up_and_its_write_logs_in_afresh(
    login, client, line_emulator, monkeypatch
):
    """Another request unlinks the account (social row and account) after this login looked it
    up: the update finds no row, the login looks up again and links a new account, no 500."""
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    first_user = get_user_model().objects.get()
    client.logout()
    looked_up = login_pipeline.look_up

    def unlinked_after_look_up(*args, **kwargs):
        found = looked_up(*args, **kwargs)
        if found.rows:
            LineAccount.objects.all().delete()
            UserSocialAuth.objects.all().delete()
        return found

    monkeypatch.setattr(login_pipeline, "look_up", unlinked_after_look_up)
    assert login(client, line_emulator, taro).status_code == 302
    account = LineAccount.objects.get()
    assert account.user != first_user and account.social == UserSocialAuth.objects.get()
    assert client.session["_auth_user_id"] == str(account.user.pk)


def test_a_visitor_logged_in_who_loses_the_race_for_a_line_account_is_told_it_is_taken(
    login, client, line_emulator, user_factory, monkeypatch, caplog
):
    """A parallel login links the LINE user to someone else between the look-up and the INSERT:
    the visitor's login is refused as "already linked", not retried and never a 500."""
    taro, visitor, winner = line_emulator.add_user(), user_factory(), user_factory()
    looked_up = login_pipeline.look_up

    def linked_elsewhere_after_look_up(*args, **kwargs):
        found = looked_up(*args, **kwargs)
        UserSocialAuth.objects.create(user=winner, provider="line", uid=taro.user_id, id_key="sub")
        return found

    monkeypatch.setattr(login_pipeline, "look_up", linked_elsewhere_after_look_up)
    client.force_login(visitor)
    caplog.clear()
    response = login(client, line_emulator, taro)
    assert response.status_code == 400 and b"line-auth-failure-already_linked" in response.content
    assert [record.getMessage() for record in caplog.records if record.name == "line_auth.login"] == [
        "LINE login failed: kind=already_linked code=identity_in_use stage=pipeline parameter=-"
    ]
    assert UserSocialAuth.objects.get().user == winner and not LineAccount.objects.exists()


def test_a_friendship_the_webhook_learned_during_a_returning_login_is_kept(
    login, client, line_emulator, monkeypatch
):
    """The login learned nothing about the friendship, so it writes none back over the
    webhook's newer status (only the fields a login sets are written)."""
    taro = line_emulator.add_user()
    login(client, line_emulator, taro, begin={"bot_prompt": "normal"}, add_friend=True)
    assert LineAccount.objects.get().friendship == Friendship.FRIEND
    client.logout()
    looked_up = login_pipeline.look_up

    def blocked_after_look_up(*args, **kwargs):
        found = looked_up(*args, **kwargs)
        LineAccount.objects.update(friendship=Friendship.NOT_FRIEND)  # the webhook's "unfollow"
        return found

    monkeypatch.setattr(login_pipeline, "look_up", blocked_after_look_up)
    assert login(client, line_emulator, taro).status_code == 302
    assert LineAccount.objects.get().friendship == Friendship.NOT_FRIEND


def test_a_returning_login_that_learns_the_friendship_writes_the_rest_too(login, client, line_emulator):
    taro = line_emulator.add_user(name="Taro")
    login(client, line_emulator, taro)
    first_token = LineAccount.objects.get().access_token
    client.logout()
    taro.name = "Taro Renamed"
    login(client, line_emulator, taro, begin={"bot_prompt": "normal"}, add_friend=True)
    account = LineAccount.objects.get()
    assert account.friendship == Friendship.FRIEND and account.display_name == "Taro Renamed"
    assert account.access_token != first_token and account.access_token in line_emulator.issued_secrets()


def test_a_visitor_logged_in_whose_account_is_unlinked_during_the_login_is_told_so(
    login, client, line_emulator, monkeypatch, caplog
):
    """Another request unlinks the visitor's own account between the look-up and the write:
    not retried for a visitor already logged in, refused on the friendly page."""
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    looked_up = login_pipeline.look_up

    def unlinked_after_look_up(*args, **kwargs):
        found = looked_up(*args, **kwargs)
        LineAccount.objects.all().delete()
        return found

    monkeypatch.setattr(login_pipeline, "look_up", unlinked_after_look_up)
    caplog.clear()
    response = login(client, line_emulator, taro)
    assert response.status_code == 400 and b"line-auth-failure-already_linked" in response.content
    assert [record.getMessage() for record in caplog.records if record.name == "line_auth.login"] == [
        "LINE login failed: kind=already_linked code=account_unlinked stage=pipeline parameter=-"
    ]
    assert not LineAccount.objects.exists()


def fail_after_saving(*args, **kwargs):
    """A site's own step that fails once the LINE account is written."""
    raise AuthPolicyError(kwargs["backend"], stage="pipeline")


def test_a_returning_login_through_a_sites_own_step_is_all_or_nothing(login, client, line_emulator, settings):
    """A site's step may write anything, so its login keeps the transaction: when the step
    fails, the account's update is rolled back with it."""
    taro = line_emulator.add_user(name="Taro")
    login(client, line_emulator, taro)
    client.logout()
    settings.SOCIAL_AUTH_PIPELINE = [*steps.LINE_AUTH_PIPELINE, f"{__name__}.fail_after_saving"]
    taro.name = "Taro Renamed"
    assert login(client, line_emulator, taro).status_code == 403
    assert LineAccount.objects.get().display_name == "Taro"


def test_an_account_left_with_another_user_follows_the_social_row_at_the_next_login(
    login, client, line_emulator, user_factory
):
    """A site that moves the LINE user's social-auth row to another user (merging two users):
    the next login moves this channel's account along, instead of failing."""
    taro = line_emulator.add_user()
    login(client, line_emulator, taro)
    client.logout()
    merged_into = user_factory()
    UserSocialAuth.objects.update(user=merged_into)
    assert login(client, line_emulator, taro).status_code == 302
    assert LineAccount.objects.get().user == merged_into
    assert client.session["_auth_user_id"] == str(merged_into.pk)
