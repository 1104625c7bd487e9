"""Accounts carry their channel's LINE provider; channels of one provider share a social-auth row.

Every account existing before is the one channel's, filed under the provider
"default" (a site that names its provider sees it updated at each account's next
login). The association becomes a foreign key: a OneToOne would refuse the second
channel of a provider, whose LINE user ID, and so social-auth row, is the same.
Existing links are kept as they are.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("line_auth", "0005_deauthorization"),
        ("social_django", "0022_nonce_timestamp_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="lineaccount",
            name="provider",
            field=models.CharField(
                db_index=True,
                default="default",
                help_text="The LINE provider of the channel: its channels share one LINE user ID per person.",
                max_length=64,
                verbose_name="provider",
            ),
        ),
        migrations.AlterField(
            model_name="lineaccount",
            name="social",
            field=models.ForeignKey(
                blank=True,
                help_text="Read together with the account, so a returning login needs one query.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="line_accounts",
                to="social_django.usersocialauth",
                verbose_name="social-auth association",
            ),
        ),
    ]
