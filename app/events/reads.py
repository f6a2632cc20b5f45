"""The event reads from Core rows, on ``Db.read``'s read-only connection: the list, the public
calendar and one event.

The ORM path they replaced loaded the page as ``Event`` objects inside a session transaction,
then the cycles and the caller's invitations with a statement each: most of the list's CPU went
to the unit's bookkeeping and the ORM's row loading. Here one statement selects the page's
columns with its cycle (left-joined) and, for an alliance user, whether the alliance is invited;
topics and occupancy follow with one statement each (``queries.event_reads``, which also shapes
the replies of the writes from ORM rows). The statements are built once per shape (which
filters, a cursor or not) with the values bound per request. The column types convert the
values as they did for the ORM, so the JSON is the same byte for byte
(tests/events/test_event_reads.py compares it with the ORM path).
"""

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, exists, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Row

from app.auth.principal import Principal
from app.core.db import Reader, read_rows, table_of, utcnow
from app.core.pagination import PageParams, keyset_after, keyset_page, parser_for
from app.cycles.models import AwardCycle
from app.events.exceptions import EventNotFound
from app.events.models import (
    Event,
    EventInvitation,
    EventKind,
    EventStatus,
    EventTopic,
    FutureTopic,
)
from app.events.queries import MEMBER_STATUSES, EventSort, cycle_id_of, event_reads, topics_of
from app.events.schemas import EventCycle, EventRead, PublicEventRead

_EVENT = table_of(Event)
_CYCLE = table_of(AwardCycle)
_INVITATION = table_of(EventInvitation)
_EVENT_TOPIC = table_of(EventTopic)
_TOPIC = table_of(FutureTopic)

_KEYS = tuple(_EVENT.c.keys())
_N = len(_KEYS)  # a row: the event's columns, the cycle's key and slug, (members) invited
_ID, _CYCLE_ID = _KEYS.index("id"), _KEYS.index("cycle_id")
_SORT_INDEX = {"starts_at": _KEYS.index("starts_at"), "created_at": _KEYS.index("created_at")}
_CURSOR_PARSERS = {name: (parser_for(_EVENT.c[name]), parser_for(_EVENT.c.id))
                   for name in _SORT_INDEX}

# Alliance ``:alliance_id`` is invited to the event.
_INVITED = exists().where(_INVITATION.c.event_id == _EVENT.c.id,
                          _INVITATION.c.alliance_id == bindparam("alliance_id"))


def _columns(member: bool) -> list[Any]:
    columns: list[Any] = [*_EVENT.c, _CYCLE.c.key.label("cycle_key"),
                          _CYCLE.c.slug.label("cycle_slug")]
    if member:
        columns.append(_INVITED.label("invited"))
    return columns


def _with_cycle() -> Any:
    return _EVENT.outerjoin(_CYCLE, _CYCLE.c.id == _EVENT.c.cycle_id)


def _visible_to_member() -> list[ColumnElement[bool]]:
    """What an alliance user may see: published or cancelled, and open to every alliance,
    public, or with an invitation (``queries.may_see``)."""
    invited = sa_select(_INVITATION.c.event_id).where(
        _INVITATION.c.alliance_id == bindparam("alliance_id"))
    return [_EVENT.c.status.in_(MEMBER_STATUSES),
            or_(_EVENT.c.invitation_only.is_(False), _EVENT.c.is_public.is_(True),
                _EVENT.c.id.in_(invited))]


def _with_topic() -> ColumnElement[bool]:
    return _EVENT.c.id.in_(
        sa_select(_EVENT_TOPIC.c.event_id)
        .join(_TOPIC, _TOPIC.c.id == _EVENT_TOPIC.c.topic_id)
        .where(_TOPIC.c.number == bindparam("topic")))


def _terms(member: bool, by_status: bool, by_kind: bool, by_topic: bool,
           by_cycle: bool) -> list[ColumnElement[bool]]:
    terms = _visible_to_member() if member else []
    if by_status:
        terms.append(_EVENT.c.status == bindparam("status"))
    if by_kind:
        terms.append(_EVENT.c.kind == bindparam("kind"))
    if by_topic:
        terms.append(_with_topic())
    if by_cycle:
        terms.append(_EVENT.c.cycle_id == bindparam("cycle_id"))
    return terms


@cache
def _count_statement(member: bool, by_status: bool, by_kind: bool, by_topic: bool,
                     by_cycle: bool) -> Select[Any]:
    matching = sa_select(_EVENT.c.id).where(*_terms(member, by_status, by_kind, by_topic, by_cycle))
    return sa_select(func.count()).select_from(matching.subquery())


def _ordered_page(query: Select[Any], sort: EventSort, after_cursor: bool) -> Select[Any]:
    """``query`` from the cursor on (``:after_value``, ``:after_id``) in the list's order (the
    sort column, then the id), ``:limit`` rows."""
    column, descending = _EVENT.c[sort.lstrip("-")], sort.startswith("-")
    if after_cursor:
        query = query.where(keyset_after((column, _EVENT.c.id),
                                         (bindparam("after_value"), bindparam("after_id")),
                                         descending=descending))
    order = (column.desc(), _EVENT.c.id.desc()) if descending else (column.asc(), _EVENT.c.id.asc())
    return query.order_by(*order).limit(bindparam("limit", type_=Integer))


@cache
def _page_statement(member: bool, by_status: bool, by_kind: bool, by_topic: bool,
                    by_cycle: bool, sort: EventSort, after_cursor: bool) -> Select[Any]:
    query = (sa_select(*_columns(member)).select_from(_with_cycle())
             .where(*_terms(member, by_status, by_kind, by_topic, by_cycle)))
    return _ordered_page(query, sort, after_cursor)


_ONE = {member: sa_select(*_columns(member)).select_from(_with_cycle())
        .where(_EVENT.c.id == bindparam("id")) for member in (False, True)}


def _replies(reader: Reader, rows: list[Row[Any]], principal: Principal) -> list[EventRead]:
    """The replies for page rows: the cycles and invitations come with the rows."""
    events, cycle_of, invited = [], {}, set()
    for row in rows:
        events.append(dict(zip(_KEYS, row, strict=False)))
        cycle_id = row[_CYCLE_ID]
        if cycle_id is not None and row[_N] is not None:
            cycle_of[cycle_id] = EventCycle(id=cycle_id, key=row[_N], slug=row[_N + 1])
        if not principal.is_admin and row[_N + 2]:
            invited.add(row[_ID])
    return event_reads(reader, events, principal, cycles=cycle_of, invited=invited)


def list_events(
    reader: Reader, params: PageParams, principal: Principal, *,
    status: EventStatus | None = None, kind: EventKind | None = None, topic: int | None = None,
    cycle: str | None = None, sort: EventSort = "starts_at",
) -> tuple[list[EventRead], str | None, int | None]:
    """Admins: every event; alliance users: the events they may see (filters narrow further):
    published or cancelled, and open to every alliance, public or with an invitation."""
    member = not principal.is_admin
    values: dict[str, Any] = {}
    if member:
        values["alliance_id"] = principal.alliance_id or -1
    if status is not None:
        values["status"] = status
    if kind is not None:
        values["kind"] = kind
    if topic is not None:
        values["topic"] = topic
    if cycle is not None:
        values["cycle_id"] = cycle_id_of(reader, cycle, ["query", "cycle"])
    shape = (member, status is not None, kind is not None, topic is not None, cycle is not None)
    field = sort.lstrip("-")
    rows, next_cursor, total = keyset_page(
        reader, params, values, _count_statement(*shape),
        _page_statement(*shape, sort, bool(params.cursor)), _CURSOR_PARSERS[field],
        lambda row: (row[_SORT_INDEX[field]], row[_ID]))
    return _replies(reader, rows, principal), next_cursor, total


# --- the public calendar -----------------------------------------------------------------------

_PUBLIC_COLUMNS = tuple(_EVENT.c[name] for name in (
    "id", "kind", "status", "title", "summary", "starts_at", "ends_at", "venue", "state"))
_PUBLIC_KEYS = tuple(column.key for column in _PUBLIC_COLUMNS)


def _public_terms(by_to: bool, by_topic: bool, by_kind: bool,
                  by_state: bool) -> list[ColumnElement[bool]]:
    """Published public events ending at or after ``:from_``."""
    terms = [_EVENT.c.status == EventStatus.published, _EVENT.c.is_public.is_(True),
             _EVENT.c.ends_at >= bindparam("from_")]
    if by_to:
        terms.append(_EVENT.c.starts_at < bindparam("to"))
    if by_topic:
        terms.append(_with_topic())
    if by_kind:
        terms.append(_EVENT.c.kind == bindparam("kind"))
    if by_state:
        terms.append(_EVENT.c.state == bindparam("state"))
    return terms


@cache
def _public_statement(by_to: bool, by_topic: bool, by_kind: bool, by_state: bool,
                      after_cursor: bool) -> Select[Any]:
    """The public page with the cycle's key, the next event first."""
    query = (sa_select(*_PUBLIC_COLUMNS, _CYCLE.c.key).select_from(_with_cycle())
             .where(*_public_terms(by_to, by_topic, by_kind, by_state)))
    return _ordered_page(query, "starts_at", after_cursor)


@cache
def _public_count(by_to: bool, by_topic: bool, by_kind: bool, by_state: bool) -> Select[Any]:
    matching = sa_select(_EVENT.c.id).where(*_public_terms(by_to, by_topic, by_kind, by_state))
    return sa_select(func.count()).select_from(matching.subquery())


def list_public_events(
    reader: Reader, params: PageParams, *, topic: int | None = None,
    kind: EventKind | None = None, state: str | None = None,
    from_: datetime | None = None, to: datetime | None = None,
) -> tuple[list[PublicEventRead], str | None, int | None]:
    """Published public events, the next first. ``from_`` (default: now) keeps events that
    end at or after it; ``to`` keeps events that start before it."""
    values: dict[str, Any] = {"from_": from_ or utcnow()}
    for name, value in (("to", to), ("topic", topic), ("kind", kind), ("state", state)):
        if value is not None:
            values[name] = value
    shape = (to is not None, topic is not None, kind is not None, state is not None)
    rows, next_cursor, total = keyset_page(
        reader, params, values, _public_count(*shape),
        _public_statement(*shape, bool(params.cursor)), _CURSOR_PARSERS["starts_at"],
        lambda row: (row.starts_at, row.id))
    topics = topics_of(reader, [row.id for row in rows])
    return [PublicEventRead(**dict(zip(_PUBLIC_KEYS, row, strict=False)), cycle_key=row.key,
                            topics=topics[row.id]) for row in rows], next_cursor, total


# --- one event ----------------------------------------------------------------------------------

def _may_see(row: Row[Any], principal: Principal) -> bool:
    """``queries.may_see`` on a row read with the invitation of the caller's alliance."""
    if principal.is_admin:
        return True
    if principal.kind != "user" or principal.alliance_id is None:
        return False
    event = row._mapping
    if event["status"] not in MEMBER_STATUSES:
        return False
    return not event["invitation_only"] or event["is_public"] or bool(event["invited"])


def read_event(reader: Reader, event_id: int, principal: Principal) -> EventRead:
    """One event the caller may see; any other answers 404 as if it did not exist."""
    member = not principal.is_admin
    values: dict[str, Any] = {"id": event_id}
    if member:
        values["alliance_id"] = principal.alliance_id or -1
    row = read_rows(reader, _ONE[member], values).first()
    if row is None or not _may_see(row, principal):
        raise EventNotFound(f"No event {event_id}.")
    return _replies(reader, [row], principal)[0]
