"""Keyset (cursor) pagination shared by every list endpoint.

A cursor is an opaque, URL-safe encoding of the last row's sort value and id. Clients pass it
back unchanged; the response also carries an RFC 8288 ``Link: <...>; rel="next"`` header.
"""

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.config import get_settings
from app.core.errors import RuleViolation, field_error

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page"
    )
    total: int | None = Field(default=None, description="Only when `include_total=true`")


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    include_total: bool


def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size, at most 100")] = 20,
    cursor: Annotated[str | None, Query(max_length=512, description="From `next_cursor`")] = None,
    include_total: Annotated[bool, Query(description="Also count all matching rows")] = False,
) -> PageParams:
    limit = min(limit, get_settings().limits.max_page_size)
    return PageParams(limit=limit, cursor=cursor, include_total=include_total)


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, date | datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != arity:
            raise ValueError("wrong arity")
        return values
    except (ValueError, TypeError) as exc:
        raise RuleViolation(
            "The cursor is not valid for this listing; start again without it.",
            errors=[field_error(["query", "cursor"], "invalid cursor", "cursor_invalid")],
        ) from exc


@dataclass(frozen=True)
class SortKey:
    """One sortable column plus the id as tie-breaker. ``parse`` turns cursor values back."""

    column: Any
    id_column: Any
    descending: bool = False
    parse: Callable[[Any], Any] = lambda value: value

    def after(self, cursor: str) -> ColumnElement[bool]:
        raw_value, raw_id = _decode(cursor, 2)
        value = self.parse(raw_value) if raw_value is not None else None
        if self.descending:
            return or_(self.column < value, and_(self.column == value, self.id_column < raw_id))
        return or_(self.column > value, and_(self.column == value, self.id_column > raw_id))

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
    total = None
    if params.include_total:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
    if params.cursor:
        query = query.where(sort.after(params.cursor))
    rows = list(session.exec(query.order_by(*sort.order_by()).limit(params.limit + 1)).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = _encode([value_of(last), id_of(last)])
    return rows, next_cursor, total


def set_link_header(request: Request, response: Response, next_cursor: str | None) -> None:
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
