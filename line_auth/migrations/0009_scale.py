"""Indexes the admin needs at millions of accounts, and the overview's daily figures.

Plain ``CREATE INDEX`` inside the migration's transaction (``AddIndexConcurrently``
is PostgreSQL-only and would break SQLite), so writes to ``line_auth_lineaccount``
wait while the indexes build: about a minute each at ten million rows. On a large
live table, run the statements of ``manage.py sqlmigrate line_auth
0009_scale`` by hand, each ``CREATE INDEX`` as ``CREATE INDEX
CONCURRENTLY``, then ``manage.py migrate --fake line_auth 0009_scale``
(docs/admin.md, "Millions of accounts").
"""

from django.db import migrations, models

# The name search: Django's "starts with" (case-insensitive) on PostgreSQL is
# UPPER("display_name"::text) LIKE UPPER('Taro%'); an index on that expression
# with text_pattern_ops serves it under any collation. An expression with an
# operator class cannot be written portably in Meta.indexes, so it lives here,
# on PostgreSQL only; other databases search without it.
NAME_INDEX = "line_auth_name_prefix_idx"


def create_name_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {NAME_INDEX} ON "line_auth_lineaccount" '
            '((UPPER("display_name"::text)) text_pattern_ops)'
        )


def drop_name_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("line_auth", "0008_pending_friendship_channel"),
    ]

    operations = [
        migrations.CreateModel(
            name="DailyFigure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="day")),
                (
                    "metric",
                    models.CharField(
                        choices=[
                            ("linked", "accounts linked"),
                            ("follows", "follows"),
                            ("unfollows", "unfollows"),
                            ("friends", "friends"),
                            ("not_friends", "not friends"),
                            ("friendship_unknown", "friendship unknown"),
                            ("access_expiry", "access tokens expiring"),
                            ("refresh_expiry", "refresh deadlines passing"),
                        ],
                        max_length=32,
                        verbose_name="metric",
                    ),
                ),
                ("value", models.BigIntegerField(verbose_name="value")),
                ("updated", models.DateTimeField(auto_now=True, verbose_name="counted at")),
            ],
            options={
                "verbose_name": "daily figure",
                "verbose_name_plural": "daily figures",
                "ordering": ("day", "metric"),
                "constraints": [
                    models.UniqueConstraint(fields=("metric", "day"), name="line_auth_unique_daily_figure"),
                ],
            },
        ),
        migrations.RemoveIndex(model_name="lineaccount", name="line_auth_line_user_id_idx"),
        migrations.AddIndex(
            model_name="lineaccount",
            index=models.Index(
                fields=["line_user_id"], name="line_auth_line_user_prefix_idx", opclasses=("varchar_pattern_ops",)
            ),
        ),
        migrations.AddIndex(
            model_name="lineaccount",
            index=models.Index(fields=["created", "id"], name="line_auth_created_idx"),
        ),
        migrations.AddIndex(
            model_name="lineaccount",
            index=models.Index(fields=["refresh_token_expires_at"], name="line_auth_refresh_deadline_idx"),
        ),
        migrations.AddIndex(
            model_name="lineaccount",
            index=models.Index(
                condition=models.Q(("needs_relogin", True)), fields=["needs_relogin"], name="line_auth_needs_relogin_idx"
            ),
        ),
        migrations.RunPython(create_name_index, drop_name_index, elidable=False),
    ]
