"""Rows handed to the driver ready-made, for writers of hundreds of rows at once (the partner
batch, its audit trail, the evaluation run).

SQLAlchemy converts every parameter of every row through its column type; these writers
convert what is the same for all rows once (a timestamp, a constant) and serialise each JSON
document themselves (``json_text``), so the driver gets plain tuples. What they store must be
what the ORM stores for the same values (``driver_converter``; JSON documents that read back
equal, though orjson writes them without the spaces ``json.dumps`` puts in, see ``json_text``).
"""

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    SQLColumnExpression,
    Table,
    any_,
    bindparam,
    inspect,
)
from sqlalchemy.engine import Dialect


def json_text(value: Any) -> str:
    """A JSON document as text for a JSON column. orjson takes a tenth of ``json.dumps``'s time
    (a 500-row batch serialises 1,500 documents); what it refuses (integers beyond 64 bits,
    keys that are not strings, unpaired surrogates) ``json.dumps`` writes, as the ORM would.
    Where the two differ in meaning, the values cannot reach a bulk writer: orjson writes NaN
    and infinities as null (the strict input refuses them, scores are rounded finite
    numbers), and it writes datetimes and enums the ORM's serialiser refuses (the writers
    hand it plain JSON values only)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value)


def driver_converter(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What the column's type turns a value into for the driver. Through the dialect's own
    implementation: a decorated type's generic ``bind_processor`` stops at the generic impl,
    and SQLite would then get a ``datetime`` that its default adapter stores with an offset
    the ORM never writes (text that sorts apart from the same instant written by the ORM)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process or _unchanged


def _unchanged(value: Any) -> Any:
    return value


def one_of(column: SQLColumnExpression[Any], values: Collection[Any],
           dialect: Dialect) -> ColumnElement[bool]:
    """``column IN values`` for hundreds of values. PostgreSQL: ``column = ANY(:array)``, one
    parameter, so the statement's text is the same for any number of values (SQLAlchemy
    renders and psycopg parses an IN list of 500 placeholders on every call, uncached)."""
    if dialect.name == "postgresql":
        column_type = inspect(column).expression.type
        return column == any_(bindparam(None, list(values), type_=ARRAY(column_type)))
    return column.in_(list(values))


def insert_rows(connection: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (values in the order of ``columns``, already as the driver takes them:
    JSON columns as text, see ``driver_converter`` for the others).

    SQLite: one ``executemany``, which runs in process. PostgreSQL: ``COPY … FROM STDIN``,
    which the server reads as one stream; ``executemany`` sends and runs one INSERT per row
    even in pipeline mode (500 rows: ~4× the time and ~6× the client's CPU,
    docs/PERFORMANCE.md)."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, columns, rows)
        return
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 (model names)
    connection.exec_driver_sql(sql, list(rows))


class _CopyContext:
    """Stands in for an execution context in the cursor events of a COPY (the tracer keeps
    its span on it) and in SQLAlchemy's handling of its failure."""

    executemany = True

    def handle_dbapi_exception(self, error: BaseException) -> None:
        """An execution context cleans up here; a COPY holds nothing to clean up."""


def _copy_rows(connection: Connection, table: Table, columns: Sequence[str],
               rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY on the connection's own transaction (begun here if it has none, as
    ``exec_driver_sql`` would begin it: else the caller's commit would find nothing to commit
    and the pool's reset would roll the rows back). SQLAlchemy has no COPY, so the statement
    is announced to the cursor listeners (tracing, statement counts) as any other, and a
    failure goes through SQLAlchemy's own handling of a failed statement: ``handle_error``
    listeners (the tracer marks its span), a dead connection invalidated, the driver's error
    raised as SQLAlchemy's (an IntegrityError stays one: ``retrying`` runs the write again
    after a concurrent insert)."""
    if not connection.in_transaction():
        connection.begin()
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    cursor = connection.connection.cursor()
    context = _CopyContext()
    dispatch = connection.dispatch
    dispatch.before_cursor_execute(connection, cursor, statement, (), context, True)
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except BaseException as error:  # as Connection._exec_single_context catches it
        # The one private call here: the path every statement SQLAlchemy runs takes on failure
        # (with the stand-in for its execution context).
        connection._handle_dbapi_exception(error, statement, (), cursor, context)  # type: ignore[arg-type]
    else:
        dispatch.after_cursor_execute(connection, cursor, statement, (), context, True)
    finally:
        cursor.close()
