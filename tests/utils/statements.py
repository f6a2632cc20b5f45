"""The ``statements`` fixture: the SQL statements the engine runs during a test."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """A list that collects every statement sent to the database while the test runs (clear
    it to start counting afresh)."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)
