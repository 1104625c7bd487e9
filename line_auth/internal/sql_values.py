"""How hand-written statements hand values to the database and read rows back
(:mod:`line_auth.internal.set_sql`, :mod:`line_auth.internal.login_rows`).

A webhook delivery sends a few hundred values in array parameters; preparing and
quoting them one by one the ORM's way cost more than the statements themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

# Fields whose preparation hands a string back as it is (not their subclasses, which may not).
PLAIN_TEXT = (models.CharField, models.TextField)


def array_parameter(
    connection: BaseDatabaseWrapper, field: models.Field[Any, Any], values: Sequence[Any]
) -> list[Any] | str:
    """One column's values as the array parameter takes them.

    Aware datetimes travel as ISO 8601 text, which PostgreSQL reads back to the
    microsecond: Django's preparation and psycopg's quoting of a datetime take
    about 6 µs together. Strings skip a preparation that would return them
    unchanged, and text goes as one array literal where it can.
    """
    if type(field) in PLAIN_TEXT:
        literal = _text_array(values)  # None unless every value is a string
        if literal is not None:
            return literal
    if isinstance(field, models.DateTimeField) and all(map(_is_aware, values)):
        prepared = [value.isoformat() for value in values]
    else:
        prepared = [field.get_db_prep_save(value, connection) for value in values]
    literal = _text_array(prepared)
    return prepared if literal is None else literal


def _text_array(values: Sequence[Any]) -> str | None:
    """PostgreSQL's text form of an array of strings (``{"a","b"}``), or None when a value
    is not a string or holds a quote or a backslash (psycopg then quotes the list).

    psycopg quotes a list element by element in Python, about 1 µs each; joining
    takes a hundredth of that. Every element is quoted, so commas, braces, spaces,
    empty strings and ``NULL`` stay plain text.
    """
    try:
        together = "".join(values)
    except TypeError:
        return None
    if '"' in together or "\\" in together:
        return None
    return '{"' + '","'.join(values) + '"}' if values else "{}"


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The concrete field ``name`` of ``model``, typed as a field (``get_field`` may return a relation)."""
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


# Where a row needs converting: position -> (the converters, in order; the column they are for).
Converters = dict[int, tuple[list[Any], Any]]


def read_back(
    connection: BaseDatabaseWrapper,
    table: str,
    fields: Sequence[models.Field[Any, Any]],
    rows: list[tuple[Any, ...]],
) -> list[tuple[Any, ...]]:
    """``rows`` of ``fields`` as the ORM would hand them to ``from_db``: with each field's
    ``from_db_value`` and the backend's converters applied (most fields have none)."""
    converters = column_converters(connection, table, fields)
    if not converters:
        return rows
    return [converted(connection, row, converters) for row in rows]


def column_converters(
    connection: BaseDatabaseWrapper, table: str, fields: Sequence[models.Field[Any, Any]]
) -> Converters:
    """The converters the ORM applies to these columns of ``table`` (an alias will do)."""
    found: Converters = {}
    for position, field in enumerate(fields):
        column = field.get_col(table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found[position] = (functions, column)
    return found


def converted(connection: BaseDatabaseWrapper, row: tuple[Any, ...], converters: Converters) -> tuple[Any, ...]:
    """One row with its ``converters`` applied."""
    if not converters:
        return row
    values = list(row)
    for position, (functions, column) in converters.items():
        for convert in functions:
            values[position] = convert(values[position], column, connection)
    return tuple(values)
