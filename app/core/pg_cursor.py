"""A psycopg cursor whose ``description`` builds its ``Column`` objects only when read.

psycopg makes a ``Column`` per result column every time ``description`` is read; SQLAlchemy
reads it once per statement, but with a statement's result metadata cached (every statement
the app runs more than once) it only checks that the description is there. Building the
columns was ~8 % of the interpreter time of a GET on PostgreSQL (docs/PERFORMANCE.md, "Fewer
dependencies per request"). The description returned here has the length of the real one and
builds it at the first item asked for; asked after the cursor moved to another result, it
raises instead of describing the wrong one.
"""

from collections.abc import Sequence
from typing import Any, overload

import psycopg
from psycopg import Column


class LazyDescription(Sequence[Column]):
    __slots__ = ("_columns", "_cursor", "_length", "_result")

    def __init__(self, cursor: "DescribeLaterCursor", result: Any, length: int) -> None:
        self._cursor: DescribeLaterCursor | None = cursor
        self._result = result
        self._length = length
        self._columns: list[Column] | None = None

    def _built(self) -> list[Column]:
        if self._columns is None:
            cursor = self._cursor
            if cursor is None or cursor.pgresult is not self._result:
                raise psycopg.InterfaceError(
                    "cursor.description read after the cursor moved to another result")
            self._columns = cursor.described_now() or []
            self._cursor = None  # the columns hold what they need; let the cursor go
        return self._columns

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[Column]: ...

    def __getitem__(self, index: int | slice) -> Column | list[Column]:
        return self._built()[index]

    def __eq__(self, other: object) -> bool:
        return list(self._built()) == other

    def __repr__(self) -> str:
        return repr(self._built())


class DescribeLaterCursor(psycopg.Cursor[Any]):
    """The cursor SQLAlchemy gets from the app's PostgreSQL connections (``cursor_factory``)."""

    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        columns = _real_description_count(self)
        if columns is None:
            return None
        return LazyDescription(self, self.pgresult, columns)

    def described_now(self) -> list[Column] | None:
        """psycopg's own description of the current result, built at once."""
        return super().description


def _real_description_count(cursor: psycopg.Cursor[Any]) -> int | None:
    """How many columns ``description`` would list, or None where it would be None (the
    same test as psycopg's own property)."""
    result = cursor.pgresult
    if result and (result.nfields or result.status in _TUPLES):
        return int(result.nfields)
    return None


_TUPLES = frozenset({psycopg.pq.ExecStatus.TUPLES_OK, psycopg.pq.ExecStatus.SINGLE_TUPLE,
                     getattr(psycopg.pq.ExecStatus, "TUPLES_CHUNK", psycopg.pq.ExecStatus.TUPLES_OK)})
