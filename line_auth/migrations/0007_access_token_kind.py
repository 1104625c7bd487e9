from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("line_auth", "0006_channel_provider"),
    ]

    operations = [
        migrations.AddField(
            model_name="lineaccount",
            name="access_token_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("login", "LINE Login token, refreshable"),
                    ("app", "App token, the app refreshes it"),
                    ("liff", "LIFF token, no refresh"),
                ],
                help_text="LIFF tokens live 12 hours and come without a refresh token.",
                max_length=8,
                verbose_name="access token kind",
            ),
        ),
    ]
