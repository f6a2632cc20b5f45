"""Rows handed to the driver ready-made, for writers of hundreds of rows at once (the partner
batch, its audit trail, the evaluation run).

SQLAlchemy converts every parameter of every row through its column type; these writers
convert what is the same for all rows once (a timestamp, a constant) and serialise each JSON
document themselves, so the driver gets one ``executemany`` of plain tuples. What they store
must be what the ORM stores for the same values (``driver_converter``; JSON as ``json.dumps``
writes it, the JSON type's default serialiser).
"""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Connection, Table
from sqlalchemy.engine import Dialect


def driver_converter(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What the column's type turns a value into for the driver. Through the dialect's own
    implementation: a decorated type's generic ``bind_processor`` stops at the generic impl,
    and SQLite would then get a ``datetime`` that its default adapter stores with an offset
    the ORM never writes (text that sorts apart from the same instant written by the ORM)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process or _unchanged


def _unchanged(value: Any) -> Any:
    return value


def insert_rows(connection: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """One executemany of ``rows`` (values in the order of ``columns``, already as the driver
    takes them: JSON columns as text, see ``driver_converter`` for the others)."""
    if not rows:
        return
    postgresql = connection.dialect.name == "postgresql"
    marks = ", ".join(
        ("%s::json" if isinstance(table.c[name].type, JSON) else "%s") if postgresql else "?"
        for name in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 (model names)
    connection.exec_driver_sql(sql, list(rows))
