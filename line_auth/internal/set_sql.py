"""Reads and writes of many rows in one statement each, whatever the number of rows.

Django's ``bulk_update`` writes ``CASE WHEN id = ... THEN ...`` for every row and
column; building that expression costs more Python than the write itself (about
60 ms for 100 rows), and "insert unless present" or "keep the newer row" take a
read and a write each. On PostgreSQL each of these is one statement that takes
every column as one array parameter (``UNNEST``, ``= ANY``), so its text does not
depend on the number of rows and no ORM query is compiled: the webhook runs them
on every delivery, and compiling them cost more than running them. Other
databases get the same result from the ORM in a few more statements.

Only quoted table and column names from the model's options are put in the SQL
text (hence the ``noqa: S608`` and ``nosec B608``); every value travels as a parameter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.deletion import Collector

from line_auth.internal.sql_values import array_parameter, model_field, read_back

ModelT = TypeVar("ModelT", bound=models.Model)


def locked_rows(
    model: type[ModelT],
    fields: Sequence[str],
    where: Mapping[str, Collection[Any]],
    using: str = "default",
) -> list[ModelT]:
    """The rows whose every ``where`` field holds one of its values, locked (``FOR UPDATE``)
    in primary-key order so two writers cannot deadlock, with only ``fields`` loaded.

    On PostgreSQL each field's values are one array parameter (``= ANY``), so the
    statement's text is the same whatever the number of values, and the rows become
    instances without the ORM's query compilation.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        found = _rows(model, using).select_for_update().only(*fields)
        return list(found.filter(**{f"{name}__in": list(values) for name, values in where.items()}).order_by("pk"))
    opts = model._meta
    # In the model's field order, the order from_db() reads the values in.
    wanted = {opts.pk.attname, *(model_field(model, name).attname for name in fields)}
    selected = [field for field in opts.concrete_fields if field.attname in wanted]
    columns = ", ".join(_quoted(connection, field) for field in selected)
    conditions = " AND ".join(
        f"{_quoted(connection, model_field(model, name))} = ANY(%s::{model_field(model, name).db_type(connection)}[])"
        for name in where
    )
    rows = _execute(
        connection,
        f"SELECT {columns} FROM {connection.ops.quote_name(opts.db_table)} "  # noqa: S608  # nosec B608
        f"WHERE {conditions or 'TRUE'} ORDER BY {_quoted(connection, opts.pk)} FOR UPDATE",
        [array_parameter(connection, model_field(model, name), list(values)) for name, values in where.items()],
    )
    names = [field.attname for field in selected]
    return [model.from_db(using, names, row) for row in read_back(connection, opts.db_table, selected, rows)]


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
    columns = [model_field(model, opts.pk.name), *(model_field(model, name) for name in fields)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{_quoted(connection, field)} = new.{_quoted(connection, field)}" for field in columns[1:])
    pk = _quoted(connection, model_field(model, opts.pk.name))
    values = {field.name: [getattr(row, field.attname) for row in rows] for field in columns}
    unnest, params = _unnest(connection, model, values)
    _execute(
        connection,
        f"UPDATE {quote(opts.db_table)} AS old SET {assignments} FROM {unnest} WHERE old.{pk} = new.{pk}",  # noqa: S608  # nosec B608
        params,
    )


def insert_new(
    model: type[models.Model],
    values: Mapping[str, Sequence[Any]],
    key: str,
    using: str = "default",
    *,
    shared: Mapping[str, Any] | None = None,
) -> set[Any]:
    """Insert the rows whose unique ``key`` is not stored yet; return the keys inserted.

    ``shared`` holds the values every row takes (sent once, not once a row).
    Right under concurrency on PostgreSQL (``ON CONFLICT DO NOTHING RETURNING``):
    of two requests inserting one key, exactly one gets it back.
    """
    keys = values[key]
    if not keys:
        return set()
    shared = shared or {}
    connection = connections[using]
    manager = _rows(model, using)
    if connection.vendor != "postgresql":
        stored = set(manager.filter(**{f"{key}__in": set(keys)}).values_list(key, flat=True))
        rows = [dict(zip(values, row, strict=True)) for row in zip(*values.values(), strict=True)]
        new = {row[key]: row for row in rows if row[key] not in stored}
        manager.bulk_create([model(**row, **shared) for row in new.values()], ignore_conflicts=True)
        return set(new)
    quote = connection.ops.quote_name
    opts = model._meta
    column = _quoted(connection, model_field(model, key))
    unnest, params = _unnest(connection, model, values)
    constants, constant_params = _constants(connection, model, shared)
    names = ", ".join(_quoted(connection, model_field(model, name)) for name in (*values, *shared))
    returned = _execute(
        connection,
        f"INSERT INTO {quote(opts.db_table)} ({names}) SELECT new.*{constants} FROM {unnest} "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({column}) DO NOTHING RETURNING {column}",
        [*constant_params, *params],
    )
    return {row[0] for row in returned}


def insert_rows(rows: Sequence[models.Model], using: str = "default") -> None:
    """Insert new ``rows`` (all of one model) and set their primary keys, as ``bulk_create`` does.

    ``bulk_create`` prepares every field of every row through the ORM, which costs
    more than the insert itself; here each column is one array parameter.
    """
    if not rows:
        return
    model = type(rows[0])
    connection = connections[using]
    if connection.vendor != "postgresql":
        _rows(model, using).bulk_create(rows)
        return
    opts = model._meta
    fields = [field for field in opts.concrete_fields if field is not opts.pk and not field.generated]
    for row in rows:
        # bulk_create's own step (no public name): take the key of a related row saved
        # since it was assigned, and refuse one still unsaved.
        row._prepare_related_fields_for_save(operation_name="insert_rows")  # type: ignore[attr-defined]
    # pre_save fills auto_now_add and the like, exactly as a save would.
    values = {field.attname: [field.pre_save(row, True) for row in rows] for field in fields}
    unnest, params = _unnest(connection, model, values)
    names = ", ".join(_quoted(connection, field) for field in fields)
    pk = _quoted(connection, opts.pk)
    returned = _execute(
        connection,
        f"INSERT INTO {connection.ops.quote_name(opts.db_table)} ({names}) "  # noqa: S608  # nosec B608
        f"SELECT * FROM {unnest} RETURNING {pk}",
        params,
    )
    for row, (key,) in zip(rows, returned, strict=True):
        row.pk = key
        row._state.adding = False
        row._state.db = using


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
    column = {name: _quoted(connection, model_field(model, name)) for name in values}
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


def delete_older(model: type[models.Model], field: str, before: Any, using: str = "default") -> int:
    """Delete the rows whose ``field`` is earlier than ``before``; return how many went.

    Where ``QuerySet.delete()`` would delete without loading the rows (no other model
    cascades from this one, no receiver listens to its deletes), this is its one
    ``DELETE`` without compiling the query each time: the webhook prunes on every
    delivery. Otherwise the ORM deletes, signals and cascades included.
    """
    connection = connections[using]
    older = _rows(model, using).filter(**{f"{field}__lt": before})
    if connection.vendor != "postgresql" or not Collector(using, origin=older).can_fast_delete(older):
        deleted, _ = older.delete()
        return deleted
    column = model_field(model, field)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608  # nosec B608
            f"WHERE {_quoted(connection, column)} < %s",
            [column.get_db_prep_save(before, connection)],
        )
        return int(cursor.rowcount)


def _unnest(
    connection: BaseDatabaseWrapper, model: type[models.Model], values: Mapping[str, Sequence[Any]]
) -> tuple[str, list[Any]]:
    """``UNNEST(%s::type[], ...) AS new(column, ...)`` and its array parameters."""
    fields = [model_field(model, name) for name in values]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    names = ", ".join(_quoted(connection, field) for field in fields)
    params = [array_parameter(connection, field, column) for field, column in zip(fields, values.values(), strict=True)]
    return f"UNNEST({arrays}) AS new({names})", params


def _constants(
    connection: BaseDatabaseWrapper, model: type[models.Model], shared: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    """``, %s::type, ...`` after ``new.*``: the values every row takes, one parameter each."""
    fields = [model_field(model, name) for name in shared]
    sql = "".join(f", %s::{field.db_type(connection)}" for field in fields)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, shared.values(), strict=True)]
    return sql, params


def _rows(model: type[models.Model], using: str) -> models.QuerySet[Any]:
    """All rows of ``model``, without relying on how its managers are named."""
    return models.QuerySet(model, using=using)


def _quoted(connection: BaseDatabaseWrapper, field: models.Field[Any, Any]) -> str:
    return str(connection.ops.quote_name(field.column or field.name))


def _execute(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
