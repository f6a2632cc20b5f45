"""Keyset (cursor) pagination shared by every list endpoint.

A cursor is an opaque, URL-safe encoding of the last row's sort value and id. Clients pass it
back unchanged; the response also carries an RFC 8288 ``Link: <...>; rel="next"`` header.
"""

import base64
import json
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import Field
from sqlalchemy import ColumnElement, Row, Select, and_, or_
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.config import get_settings
from app.core.db import Reader, read_rows
from app.core.errors import RuleViolation, field_error
from app.core.schemas import ReadModel
from app.core.timestamps import Timestamp, in_utc_range

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")
QueryT = TypeVar("QueryT", bound=Select[Any])  # ORM (SelectOfScalar) or Core select


class Page(ReadModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page"
    )
    total: int | None = Field(default=None, description="Only when `include_total=true`")


UpdatedSince = Annotated[Timestamp | None, Query(
    description="Incremental sync: only rows changed strictly after this instant (ISO 8601 with "
    "an offset, e.g. `2025-06-01T08:00:00Z`; a naive timestamp is refused). Pass the newest "
    "`updated_at` of your last pull.",
)]


def changed_after(query: QueryT, column: Any, since: datetime | None) -> QueryT:
    """``query`` limited to rows whose ``column`` (their ``updated_at``) lies after ``since``."""
    return query if since is None else query.where(column > since)


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    include_total: bool


# async: FastAPI would run a plain def dependency in a worker thread (a hop per request).
async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size, at most 100")] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description="From `next_cursor`")] = None,
    include_total: Annotated[bool, Query(description="Also count all matching rows")] = False,
) -> PageParams:
    limit = min(limit, get_settings().limits.max_page_size)
    return PageParams(limit=limit, cursor=cursor, include_total=include_total)


def encode_cursor(values: Sequence[Any]) -> str:
    """The opaque cursor for a page that ends at a row with these sort values."""
    # ensure_ascii=False: "ü" costs two bytes instead of six, so a cursor on a long German name
    # stays within the cursor parameter's limit.
    raw = json.dumps([v.isoformat() if isinstance(v, date | datetime) else v for v in values],
                     ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid_cursor() -> RuleViolation:
    return RuleViolation(
        "The cursor is not valid for this listing; start again without it.",
        errors=[field_error(["query", "cursor"], "invalid cursor", "cursor_invalid")],
    )


def _decode(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != arity:
            raise ValueError("wrong arity")
        return values
    except (ValueError, TypeError) as exc:
        raise _invalid_cursor() from exc


# A cursor is client input: every value is checked against the column's type before it reaches
# SQL, so a tampered cursor is a 422 and never a database error (PostgreSQL refuses 'abc' for
# an integer; SQLite overflows on huge integers; naive datetimes are refused by UTCDateTime).
_MAX_INT = 2**63 - 1


def _parse_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -_MAX_INT <= value <= _MAX_INT:
        raise TypeError("expected an integer")
    return value


def _parse_float(value: Any) -> float:
    # A string compared with a REAL column fails in PostgreSQL's driver; inf and NaN sort apart.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError("expected a finite number")
    return float(value)


def _parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    if "\x00" in value:  # PostgreSQL refuses NUL in text: a DataError, not a comparison
        raise ValueError("NUL character")
    value.encode("utf-8")  # a lone surrogate ("\ud800") fails here, not in the driver
    return value


def _parse_datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(_parse_str(value))
    if parsed.tzinfo is None:
        raise ValueError("expected a timezone-aware timestamp")
    return in_utc_range(parsed)


def _parse_date(value: Any) -> date:
    return date.fromisoformat(_parse_str(value))


def _parse_any(value: Any) -> Any:
    if value is not None and not isinstance(value, str | int | float):
        raise TypeError("expected a scalar")
    return value


def decode_cursor(cursor: str, *parsers: Callable[[Any], Any]) -> list[Any]:
    """The sort values a cursor carries, one per parser (see ``parser_for``); a cursor of the
    wrong shape, or a value a parser refuses or reads as None, is the 422 ``cursor_invalid``."""
    raw_values = _decode(cursor, len(parsers))
    try:
        values = [parse(raw) for parse, raw in zip(parsers, raw_values, strict=True)]
    except (ValueError, TypeError, OverflowError) as exc:
        raise _invalid_cursor() from exc
    if any(value is None for value in values):
        raise _invalid_cursor()
    return values


def parser_for(column: Any) -> Callable[[Any], Any]:
    """How to read a cursor value back for ``column``, judged by its SQL type."""
    sql_type = getattr(column, "type", None)
    while isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        python_type = sql_type.python_type if sql_type is not None else object
    except NotImplementedError:
        python_type = object
    if python_type is bool:
        return _parse_any
    if issubclass(python_type, datetime):
        return _parse_datetime
    if issubclass(python_type, date):
        return _parse_date
    if issubclass(python_type, int):
        return _parse_int
    if issubclass(python_type, float):
        return _parse_float
    if issubclass(python_type, str):
        return _parse_str
    return _parse_any


def keyset_after(columns: Sequence[Any], values: Sequence[Any], *, descending: bool = False,
                 inclusive: bool = False) -> ColumnElement[bool]:
    """Rows after ``values`` in the order of ``columns`` (each NOT NULL; all ascending, or all
    descending): the row-value comparison ``(c1, c2, …) > (v1, v2, …)`` written out, so that
    both databases plan it the same way. ``inclusive`` admits the row equal in every column.

    The leading bound ``c1 >= v1`` repeats what the rest says: PostgreSQL turns it into the
    index scan's start, where the OR alone is a filter over every row before the cursor (a page
    deep in a list of 65,000 alliances: 16 ms without it, 0.24 ms with it).
    """
    if not columns or len(columns) != len(values):
        raise ValueError("keyset_after needs one value per column")
    later = operator.lt if descending else operator.gt
    at_or_later = operator.le if descending else operator.ge
    condition: ColumnElement[bool] = (at_or_later if inclusive else later)(columns[-1], values[-1])
    for column, value in zip(reversed(columns[:-1]), reversed(values[:-1]), strict=True):
        condition = or_(later(column, value), and_(column == value, condition))
    if len(columns) > 1:
        condition = and_(at_or_later(columns[0], values[0]), condition)
    return condition


@dataclass(frozen=True)
class SortKey:
    """One sortable NOT NULL column plus the id as tie-breaker.

    ``parse`` turns a cursor value back into the column's type; by default it is chosen from
    the column's SQL type. It must raise ValueError or TypeError for a value it cannot read.
    """

    column: Any
    id_column: Any
    descending: bool = False
    parse: Callable[[Any], Any] | None = None

    def after(self, cursor: str) -> ColumnElement[bool]:
        value, row_id = decode_cursor(
            cursor, self.parse or parser_for(self.column), parser_for(self.id_column))
        return keyset_after((self.column, self.id_column), (value, row_id),
                            descending=self.descending)

    def order_by(self) -> tuple[Any, Any]:
        if self.descending:
            return self.column.desc(), self.id_column.desc()
        return self.column.asc(), self.id_column.asc()


def paginate(
    session: Session,
    query: SelectOfScalar[RowT],
    sort: SortKey,
    params: PageParams,
    *,
    value_of: Callable[[RowT], Any],
    id_of: Callable[[RowT], Any],
) -> tuple[list[RowT], str | None, int | None]:
    """A page of ``query`` by keyset, through the session (ORM entities or columns)."""
    return _page(lambda statement: list(session.exec(statement).all()),
                 lambda statement: int(session.exec(statement).one()),
                 query, sort, params, value_of=value_of, id_of=id_of)


def paginate_rows(
    reader: Reader,
    query: Select[Any],
    sort: SortKey,
    params: PageParams,
    *,
    value_of: Callable[[Row[Any]], Any],
    id_of: Callable[[Row[Any]], Any],
) -> tuple[list[Row[Any]], str | None, int | None]:
    """``paginate`` for a query of columns, on a session or ``Db.read``'s connection."""
    return _page(lambda statement: list(read_rows(reader, statement).all()),
                 lambda statement: int(read_rows(reader, statement).scalar_one()),
                 query, sort, params, value_of=value_of, id_of=id_of)


def keyset_page(
    reader: Reader, params: PageParams, values: dict[str, Any], count: Select[Any],
    page: Select[Any], parsers: tuple[Callable[[Any], Any], Callable[[Any], Any]],
    cursor_of: Callable[[Row[Any]], tuple[Any, Any]],
) -> tuple[list[Row[Any]], str | None, int | None]:
    """A page of rows of prebuilt statements (built once per shape, values bound per request):
    ``page`` binds ``:after_value`` and ``:after_id`` when there is a cursor, and ``:limit``;
    ``count`` binds ``values``. The cursor is checked first, so a bad one is refused before
    anything is counted; one row more than the page tells whether another page follows."""
    after: dict[str, Any] = {}
    if params.cursor:
        after["after_value"], after["after_id"] = decode_cursor(params.cursor, *parsers)
    total = int(read_rows(reader, count, values).scalar_one()) if params.include_total else None
    rows = list(read_rows(reader, page, values | after | {"limit": params.limit + 1}).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor(list(cursor_of(rows[-1])))
    return rows, next_cursor, total


def _page(
    rows_of: Callable[[Any], list[Any]], count_of: Callable[[Any], int], query: Any,
    sort: SortKey, params: PageParams, *, value_of: Callable[[Any], Any],
    id_of: Callable[[Any], Any],
) -> tuple[list[Any], str | None, int | None]:
    # The cursor is read first: a bad one is refused before anything is counted.
    after = sort.after(params.cursor) if params.cursor else None
    total = None
    if params.include_total:
        total = count_of(select(func.count()).select_from(query.subquery()))
    if after is not None:
        query = query.where(after)
    rows = rows_of(query.order_by(*sort.order_by()).limit(params.limit + 1))
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = encode_cursor([value_of(last), id_of(last)])
    return rows, next_cursor, total


def set_link_header(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
