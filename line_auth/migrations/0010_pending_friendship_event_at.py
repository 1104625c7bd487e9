"""An index on ``PendingFriendship.event_at``: each webhook delivery prunes the statuses
older than their retention, which without it reads the whole table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("line_auth", "0009_scale"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pendingfriendship",
            name="event_at",
            field=models.DateTimeField(db_index=True, verbose_name="happened at"),
        ),
    ]
