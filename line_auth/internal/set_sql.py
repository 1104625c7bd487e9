"""Writes of many rows in one statement each, whatever the number of rows.

Django's ``bulk_update`` writes ``CASE WHEN id = ... THEN ...`` for every row and
column; building that expression costs more Python than the write itself (about
60 ms for 100 rows), and "insert unless present" or "keep the newer row" take a
read and a write each. On PostgreSQL each of these is one statement that takes
every column as one array parameter (``UNNEST``). Other databases get the same
result from the ORM in a few more statements.

Only quoted table and column names from the model's options are put in the SQL
text (hence the ``noqa: S608`` and ``nosec B608``); every value travels as a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


def update_rows(rows: Sequence[models.Model], fields: Sequence[str], using: str = "default") -> None:
    """Write ``fields`` of saved ``rows`` (all of one model) by primary key."""
    if not rows:
        return
    model = type(rows[0])
    connection = connections[using]
    if connection.vendor != "postgresql":
        _rows(model, using).bulk_update(rows, fields)
        return
    opts = model._meta
    columns = [_field(model, opts.pk.name), *(_field(model, name) for name in fields)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{_quoted(connection, field)} = new.{_quoted(connection, field)}" for field in columns[1:])
    pk = _quoted(connection, _field(model, opts.pk.name))
    values = {field.name: [getattr(row, field.attname) for row in rows] for field in columns}
    unnest, params = _unnest(connection, model, values)
    _execute(
        connection,
        f"UPDATE {quote(opts.db_table)} AS old SET {assignments} FROM {unnest} WHERE old.{pk} = new.{pk}",  # noqa: S608  # nosec B608
        params,
    )


def insert_new(
    model: type[models.Model], values: Mapping[str, Sequence[Any]], key: str, using: str = "default"
) -> set[Any]:
    """Insert the rows whose unique ``key`` is not stored yet; return the keys inserted.

    Right under concurrency on PostgreSQL (``ON CONFLICT DO NOTHING RETURNING``):
    of two requests inserting one key, exactly one gets it back.
    """
    keys = values[key]
    if not keys:
        return set()
    connection = connections[using]
    manager = _rows(model, using)
    if connection.vendor != "postgresql":
        stored = set(manager.filter(**{f"{key}__in": set(keys)}).values_list(key, flat=True))
        rows = [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]
        new = {row[key]: row for row in rows if row[key] not in stored}
        manager.bulk_create([model(**row) for row in new.values()], ignore_conflicts=True)
        return set(new)
    quote = connection.ops.quote_name
    opts = model._meta
    column = _quoted(connection, _field(model, key))
    unnest, params = _unnest(connection, model, values)
    names = ", ".join(_quoted(connection, _field(model, name)) for name in values)
    returned = _execute(
        connection,
        f"INSERT INTO {quote(opts.db_table)} ({names}) SELECT * FROM {unnest} "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({column}) DO NOTHING RETURNING {column}",
        params,
    )
    return {row[0] for row in returned}


def upsert_newer(
    model: type[models.Model],
    values: Mapping[str, Sequence[Any]],
    key: str | Sequence[str],
    newer: str,
    using: str = "default",
) -> None:
    """Insert rows by their unique ``key`` (one field or several); a stored row is replaced
    only by a larger ``newer``.

    ``values`` must hold each key once. Right when two requests race for one key:
    PostgreSQL's ``ON CONFLICT DO UPDATE ... WHERE`` decides under the row lock;
    elsewhere the stored rows are read under ``select_for_update``.
    """
    keys = (key,) if isinstance(key, str) else tuple(key)
    if not values[keys[0]]:
        return
    connection = connections[using]
    manager = _rows(model, using)
    rows = [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]
    if connection.vendor != "postgresql":
        manager.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
        by_key = {tuple(row[name] for name in keys): row for row in rows}
        candidates = manager.select_for_update().filter(**{f"{name}__in": set(values[name]) for name in keys})
        outdated = []
        for stored in candidates:
            row = by_key.get(tuple(getattr(stored, name) for name in keys))
            if row is not None and row[newer] > getattr(stored, newer):
                for name, value in row.items():
                    setattr(stored, name, value)
                outdated.append(stored)
        if outdated:
            manager.bulk_update(outdated, [name for name in values if name not in keys])
        return
    quote = connection.ops.quote_name
    opts = model._meta
    table = quote(opts.db_table)
    column = {name: _quoted(connection, _field(model, name)) for name in values}
    unnest, params = _unnest(connection, model, values)
    updates = ", ".join(f"{column[name]} = EXCLUDED.{column[name]}" for name in values if name not in keys)
    conflict = ", ".join(column[name] for name in keys)
    _execute(
        connection,
        f"INSERT INTO {table} ({', '.join(column.values())}) SELECT * FROM {unnest} "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates} "
        f"WHERE {table}.{column[newer]} < EXCLUDED.{column[newer]}",
        params,
    )


def _unnest(
    connection: BaseDatabaseWrapper, model: type[models.Model], values: Mapping[str, Sequence[Any]]
) -> tuple[str, list[list[Any]]]:
    """``UNNEST(%s::type[], ...) AS new(column, ...)`` and its array parameters."""
    fields = [_field(model, name) for name in values]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    names = ", ".join(_quoted(connection, field) for field in fields)
    params = [
        [field.get_db_prep_save(value, connection) for value in values[field.name]]
        for field in fields
    ]
    return f"UNNEST({arrays}) AS new({names})", params


def _rows(model: type[models.Model], using: str) -> models.QuerySet[Any]:
    """All rows of ``model``, without relying on how its managers are named."""
    return models.QuerySet(model, using=using)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def _quoted(connection: BaseDatabaseWrapper, field: models.Field[Any, Any]) -> str:
    return str(connection.ops.quote_name(field.column or field.name))


def _execute(connection: BaseDatabaseWrapper, sql: str, params: list[list[Any]]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
