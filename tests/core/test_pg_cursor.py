"""The PostgreSQL cursor that describes a result's columns only when asked
(app/core/pg_cursor.py): SQLAlchemy reads results through it as before, and a description read
too late refuses instead of describing another result."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("the cursor is psycopg's; SQLite's driver describes its results itself")
    return engine


@pytest.fixture
def cursor(pg_engine: Engine) -> Iterator[Any]:
    """A cursor of a pooled driver connection, as SQLAlchemy gets one."""
    raw = pg_engine.raw_connection()
    try:
        yield raw.cursor()
    finally:
        raw.close()


def test_the_app_engines_use_it(cursor: Any) -> None:
    from app.core.pg_cursor import DescribeLaterCursor

    assert isinstance(cursor, DescribeLaterCursor)


def test_results_read_by_name_and_position_whether_cached_or_not(pg_engine: Engine) -> None:
    statement = text("SELECT 1 AS one, 'zwei'::text AS two, NULL::int AS three")
    with pg_engine.connect() as connection:
        for _ in range(3):  # the first run builds SQLAlchemy's result metadata, then it is cached
            row = connection.execute(statement).one()
            assert row.one == 1 and row.two == "zwei" and row.three is None
            assert tuple(row) == (1, "zwei", None)
            assert connection.execute(statement).keys() == ["one", "two", "three"]


def test_the_description_is_the_real_one_when_read(cursor: Any) -> None:

    cursor.execute("SELECT 1 AS one, 'x'::text AS two")
    description = cursor.description
    assert description is not None and len(description) == 2
    real = cursor.described_now()
    assert [column.name for column in description] == ["one", "two"]
    # Columns compare by identity: compare what they say (name, type, sizes ...).
    assert [tuple(column) for column in description] == [tuple(column) for column in real]
    assert [column.name for column in description[-1:]] == ["two"]

    cursor.execute("CREATE TEMPORARY TABLE described (id int)")
    assert cursor.description is None
    cursor.execute("SELECT id FROM described")
    empty = cursor.description
    assert empty is not None and [column.name for column in empty] == ["id"]


def test_a_description_read_after_the_next_statement_refuses(cursor: Any) -> None:
    import psycopg

    cursor.execute("SELECT 1 AS first")
    stale = cursor.description
    cursor.execute("SELECT 2 AS second, 3 AS third")
    assert stale is not None and len(stale) == 1  # its length is known without reading
    with pytest.raises(psycopg.InterfaceError, match="moved to another result"):
        stale[0]
