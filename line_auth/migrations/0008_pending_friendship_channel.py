from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("line_auth", "0007_access_token_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="pendingfriendship",
            name="channel_id",
            field=models.CharField(
                blank=True,
                help_text="The Login channel whose first login takes it; empty: any channel.",
                max_length=32,
                verbose_name="channel ID",
                default="",
            ),
            preserve_default=False,
        ),
        migrations.RemoveConstraint(
            model_name="pendingfriendship",
            name="line_auth_unique_pending_user",
        ),
        migrations.AddConstraint(
            model_name="pendingfriendship",
            constraint=models.UniqueConstraint(
                fields=("channel_id", "line_user_id"), name="line_auth_unique_pending_user_per_channel"
            ),
        ),
    ]
