"""The statement of a login's look-up: a LINE user's social-auth rows, each with its
Django user and one channel's ``LineAccount``.

Django compiles this query's conditional join (a ``FilteredRelation``) anew on
every login, and that took longer than running it. The statement is written once
per database and user model from the models' options instead, and its rows become
instances the way the ORM makes them (each field's converters, then ``from_db``).
A user model that inherits from another concrete model keeps its columns in
several tables; it is read the ORM's way.

Only quoted table and column names from the models' options are put in the SQL
text (hence the ``noqa: S608`` and ``nosec B608``); every value travels as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FilteredRelation, Q
from social_django.models import UserSocialAuth

from line_auth.internal.sql_values import Converters, column_converters, converted, model_field
from line_auth.models import LineAccount


def social_rows(provider: str, uid: str, channel_id: str) -> list[UserSocialAuth]:
    """The rows of ``uid`` under ``provider``, each with ``user`` loaded and ``channel_account``
    set to its account of ``channel_id`` (``None`` when it has none)."""
    using = router.db_for_read(UserSocialAuth)
    user_model = get_user_model()
    if user_model._meta.parents:
        return _rows_from_orm(using, provider, uid, channel_id)
    statement = _written_once(using, user_model)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [channel_id, provider, uid])
        return [statement.instances(connection, using, row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class _Part:
    """One model's columns in the statement's rows: ``row[start:stop]``."""

    model: type[models.Model]
    names: tuple[str, ...]
    start: int
    stop: int
    key: int  # where its primary key is in the row
    converters: Converters

    def instance(self, connection: BaseDatabaseWrapper, using: str, row: tuple[Any, ...]) -> Any:
        return self.model.from_db(using, self.names, converted(connection, row[self.start:self.stop], self.converters))


@dataclass(frozen=True)
class _Statement:
    sql: str
    social: _Part
    user: _Part
    account: _Part

    def instances(self, connection: BaseDatabaseWrapper, using: str, row: tuple[Any, ...]) -> UserSocialAuth:
        """The social row of one result row, its user and its account attached as the ORM would."""
        social = self.social.instance(connection, using, row)
        social.user = self.user.instance(connection, using, row)
        account = None
        if row[self.account.key] is not None:  # the LEFT JOIN found an account
            account = self.account.instance(connection, using, row)
            account.social = social
        social.channel_account = account
        return social


def _statement(using: str, user_model: type[models.Model]) -> _Statement:
    """The look-up's SQL for database ``using`` and this user model (``_written_once`` keeps it).

    Kept per alias, not per thread's connection: the backend's converters it holds read
    only the database's settings, which every connection of one alias shares.
    """
    connection = connections[using]

    def quote(name: str | None) -> str:
        return str(connection.ops.quote_name(str(name)))

    def column(model: type[models.Model], name: str) -> str:
        return quote(model_field(model, name).column)

    # The aliases name what each table is for, as the look-up shows in a query log.
    social, user, account = quote("social"), quote("social_user"), quote("channel_account")
    parts, columns, start = [], [], 0
    for alias, model in ((social, UserSocialAuth), (user, user_model), (account, LineAccount)):
        fields = [model_field(model, field.name) for field in model._meta.concrete_fields]  # from_db's order
        columns += [f"{alias}.{quote(field.column)}" for field in fields]
        key = start + fields.index(model_field(model, model._meta.pk.name))
        parts.append(_Part(model, tuple(field.attname for field in fields), start, start + len(fields), key,
                           column_converters(connection, alias, fields)))
        start += len(fields)
    user_key = cast("models.ForeignKey[Any, Any]", model_field(UserSocialAuth, "user"))
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(UserSocialAuth._meta.db_table)} {social} "  # noqa: S608  # nosec B608
        f"INNER JOIN {quote(user_model._meta.db_table)} {user} "
        f"ON {user}.{quote(user_key.target_field.column)} = {social}.{quote(user_key.column)} "
        f"LEFT OUTER JOIN {quote(LineAccount._meta.db_table)} {account} "
        f"ON {account}.{column(LineAccount, 'social')} = {social}.{column(UserSocialAuth, 'id')} "
        f"AND {account}.{column(LineAccount, 'channel_id')} = %s "
        f"WHERE {social}.{column(UserSocialAuth, 'provider')} = %s AND {social}.{column(UserSocialAuth, 'uid')} = %s"
    )
    return _Statement(sql, *parts)


# Not a decorator: mutmut leaves a decorated function unmutated, and this one writes the SQL.
_written_once = cache(_statement)


def _rows_from_orm(using: str, provider: str, uid: str, channel_id: str) -> list[UserSocialAuth]:
    this_channel = Q(line_accounts__channel_id=channel_id)
    rows: list[Any] = list(
        UserSocialAuth.objects.using(using)
        .annotate(channel_account=FilteredRelation("line_accounts", condition=this_channel))
        .select_related("user", "channel_account")  # type: ignore[misc]  # django-stubs knows no FilteredRelation
        .filter(provider=provider, uid=uid)
    )
    for row in rows:  # the ORM sets no attribute where the join found no account
        row.channel_account = getattr(row, "channel_account", None)
    return rows
