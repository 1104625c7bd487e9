import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "line_auth", "--check", "--dry-run", verbosity=0)


@pytest.mark.skipif(
    settings.AUTH_USER_MODEL != "auth.User", reason="line_auth's data migration; the user model plays no part"
)
@pytest.mark.django_db(transaction=True)
def test_accounts_made_before_channels_keep_their_association_and_get_the_default_provider(user_factory):
    """0006 adds ``provider`` (filled with "default") and turns the association into a foreign
    key; an account linked before it keeps its social-auth row, and a second channel's
    account may then share that row."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("line_auth", "0005_deauthorization")], [("line_auth", "0006_channel_provider")]
    user = user_factory()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    social = old.get_model("social_django", "UserSocialAuth").objects.create(
        user_id=user.pk, provider="line", uid="U" + "0" * 32, extra_data={}
    )
    old.get_model("line_auth", "LineAccount").objects.create(
        user_id=user.pk, social=social, channel_id="1234567890", line_user_id="U" + "0" * 32
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    accounts = new.get_model("line_auth", "LineAccount").objects
    account = accounts.get()
    assert (account.provider, account.social_id, account.user_id) == ("default", social.pk, user.pk)
    accounts.create(user_id=user.pk, social_id=social.pk, channel_id="2000000002", line_user_id=account.line_user_id)
    assert accounts.filter(social_id=social.pk).count() == 2

    call_command("migrate", verbosity=0)
