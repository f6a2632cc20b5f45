"""The event list and one event from Core rows (app/events/reads.py, ``Db.read``) answer byte for
byte as the ORM path they replaced: every caller, filter, sort, page and cursor is read through
the API both ways and the replies compared (status, body, ETag, Link)."""

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlmodel import Session, col, func, or_, select

from app.alliances.models import Alliance
from app.auth.models import Role
from app.auth.principal import Principal
from app.core.db import columns_of, utcnow
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles.models import AwardCycle
from app.demo.seed import seed_demo
from app.events import queries, reads, rules
from app.events.models import (
    DelegateStatus,
    Event,
    EventInvitation,
    EventKind,
    EventStatus,
    EventTopic,
    FutureTopic,
)
from app.events.schemas import EventCycle, EventRead, FutureTopicRead, PublicEventRead
from tests import factories
from tests.events.helpers import URL
from tests.utils.replies import answered_both_ways, assert_same_reply

PUBLIC_URL = "/api/v1/public/events"

# --- the ORM path as it was (the reference) -----------------------------------------------------


def orm_topics(session: Session, ids: list[int]) -> dict[int, list[FutureTopicRead]]:
    topics: dict[int, list[FutureTopicRead]] = {i: [] for i in ids}
    for link, topic in session.exec(
            select(EventTopic, FutureTopic).join(FutureTopic, col(FutureTopic.id) == EventTopic.topic_id)
            .where(col(EventTopic.event_id).in_(ids)).order_by(col(FutureTopic.number))):
        topics[link.event_id].append(FutureTopicRead(number=topic.number, slug=topic.slug,
                                                     title=topic.title))
    return topics


def orm_cycles(session: Session, events: list[Event]) -> dict[Any, EventCycle]:
    cycle_ids = {e.cycle_id for e in events if e.cycle_id is not None}
    return {c.id: EventCycle(id=c.id, key=c.key, slug=c.slug) for c in session.exec(
        select(AwardCycle).where(col(AwardCycle.id).in_(cycle_ids)))}


def orm_to_reads(session: Session, events: list[Event], principal: Principal) -> list[EventRead]:
    ids = [e.id for e in events if e.id is not None]
    topics, cycle_rows = orm_topics(session, ids), orm_cycles(session, events)
    alliance_id = principal.alliance_id or -1
    occupancy = queries._occupancy(session, ids, None if principal.is_admin else alliance_id)
    invited = set() if principal.is_admin else set(session.exec(select(EventInvitation.event_id).where(
        col(EventInvitation.event_id).in_(ids), EventInvitation.alliance_id == alliance_id)))
    now, empty, out = utcnow(), queries._Occupancy(), []
    for e in events:
        assert e.id is not None
        seats = occupancy.get(e.id, empty)
        count = seats.own
        full = rules.is_full(e.capacity, seats.registered, seats.waiting)
        registration_open = rules.registration_open(e.status, e.starts_at, e.registration_closes_at, now)
        extra: dict[str, Any] = (
            {"registered_count": count, "remaining_capacity": rules.remaining_capacity(e.capacity, count)}
            if principal.is_admin else {"invited": e.id in invited, "own_delegates": count})
        columns = {k: v for k, v in columns_of(e).items() if k != "cycle_id"}
        if not principal.is_admin and count == 0:
            columns["online_url"] = None
        out.append(EventRead(
            **columns, cycle=cycle_rows.get(e.cycle_id) if e.cycle_id is not None else None,
            topics=topics[e.id], registration_open=registration_open, is_full=full,
            allowed_actions=rules.status_actions(e.status) if principal.is_admin else
            rules.participation_actions(registration_open, not e.invitation_only or e.id in invited, full),
            **extra))
    return out


def orm_read_event(connection: Connection, event_id: int, principal: Principal) -> Any:
    """Given the read unit's connection (``Db.read``), as the route now runs it."""
    with Session(bind=connection) as session:
        return orm_to_reads(session, [queries.visible_event(session, event_id, principal)],
                            principal)[0]


def orm_with_topic(topic: int) -> Any:
    return col(Event.id).in_(
        select(EventTopic.event_id).join(FutureTopic, col(FutureTopic.id) == col(EventTopic.topic_id))
        .where(FutureTopic.number == topic))


def orm_sort_key(sort: str) -> SortKey:
    column = Event.starts_at if sort.lstrip("-") == "starts_at" else Event.created_at
    return SortKey(col(column), col(Event.id), descending=sort.startswith("-"))


def orm_list_public_events(connection: Connection, params: PageParams, *, topic: int | None = None,
                           kind: Any = None, state: str | None = None, from_: datetime | None = None,
                           to: datetime | None = None) -> Any:
    with Session(bind=connection) as session:
        query = select(Event).where(Event.status == EventStatus.published,
                                    col(Event.is_public).is_(True),
                                    col(Event.ends_at) >= (from_ or utcnow()))
        if to is not None:
            query = query.where(col(Event.starts_at) < to)
        if topic is not None:
            query = query.where(orm_with_topic(topic))
        if kind is not None:
            query = query.where(Event.kind == kind)
        if state is not None:
            query = query.where(Event.state == state)
        rows, cursor, total = paginate(session, query, orm_sort_key("starts_at"), params,
                                       value_of=lambda e: e.starts_at, id_of=lambda e: e.id)
        topics = orm_topics(session, [e.id for e in rows if e.id is not None])
        cycle_rows = orm_cycles(session, rows)
        items = [PublicEventRead(
            id=e.id, kind=e.kind, status=e.status, title=e.title, summary=e.summary,
            cycle_key=cycle_rows[e.cycle_id].key if e.cycle_id in cycle_rows else None,
            starts_at=e.starts_at, ends_at=e.ends_at, venue=e.venue, state=e.state,
            topics=topics[e.id]) for e in rows if e.id is not None]
        return items, cursor, total


def orm_list_events(connection: Connection, params: PageParams, principal: Principal, *,
                    status: Any = None, kind: Any = None, topic: int | None = None,
                    cycle: str | None = None, sort: str = "starts_at") -> Any:
    with Session(bind=connection) as session:
        query = select(Event)
        if not principal.is_admin:
            invited = select(EventInvitation.event_id).where(
                EventInvitation.alliance_id == (principal.alliance_id or -1))
            query = query.where(col(Event.status).in_(queries.MEMBER_STATUSES),
                                or_(col(Event.invitation_only).is_(False),
                                    col(Event.is_public).is_(True), col(Event.id).in_(invited)))
        if status is not None:
            query = query.where(Event.status == status)
        if kind is not None:
            query = query.where(Event.kind == kind)
        if topic is not None:
            query = query.where(orm_with_topic(topic))
        if cycle is not None:
            query = query.where(Event.cycle_id == queries.cycle_id_of(session, cycle, ["query", "cycle"]))
        field = sort.lstrip("-")
        rows, cursor, total = paginate(session, query, orm_sort_key(sort), params,
                                       value_of=lambda e: getattr(e, field), id_of=lambda e: e.id)
        return orm_to_reads(session, rows, principal), cursor, total


def both_ways(client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str,
              headers: dict[str, str] | None = None, **params: Any) -> tuple[Any, Any]:
    old_functions = {
        "list_events": orm_list_events,
        "read_event": orm_read_event,
        "list_public_events": orm_list_public_events,
    }
    return answered_both_ways(client, monkeypatch, reads, old_functions, url, headers=headers, params=params)


# --- the world ------------------------------------------------------------------------------------

@pytest.fixture
def world(session: Session, alliance: Alliance, other_alliance: Alliance) -> dict[str, Any]:
    """Every kind of event an alliance may or may not see, with delegates of both alliances."""
    cycle = factories.make_cycle(session)
    other_cycle = factories.make_cycle(session)
    now = utcnow()
    same_start = now + timedelta(days=20)  # ties on starts_at, broken by the id
    make = factories.make_event
    events = [
        make(session, invited=[alliance], capacity=2, cycle_id=cycle.id, topics=(1, 3),
             online_url="https://meet.example.org/a"),
        make(session, invited=[other_alliance], cycle_id=other_cycle.id, online_url="https://x.example.org"),
        make(session, invitation_only=False, kind=EventKind.exchange, topics=(), starts_at=same_start,
             ends_at=same_start + timedelta(hours=2), capacity=1),
        make(session, invitation_only=False, kind=EventKind.dialogue, starts_at=same_start,
             ends_at=same_start + timedelta(hours=2), topics=(2, 4)),
        make(session, is_public=True, kind=EventKind.ceremony, cycle_id=cycle.id, starts_at=same_start,
             ends_at=same_start + timedelta(hours=3)),
        make(session, status=EventStatus.draft, invited=[alliance]),
        make(session, status=EventStatus.cancelled, invited=[alliance], cycle_id=cycle.id),
        make(session, status=EventStatus.cancelled, invitation_only=False),
        make(session, invited=[alliance, other_alliance], starts_at=now - timedelta(days=3),
             ends_at=now - timedelta(days=3) + timedelta(hours=4)),  # over
        make(session, invited=[alliance], registration_closes_at=now - timedelta(hours=1),
             starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=3), capacity=5),
        make(session, status=EventStatus.draft, invitation_only=False, is_public=True),
    ]
    full, _, open_full = events[0], events[1], events[2]
    factories.make_delegate(session, full, alliance)
    factories.make_delegate(session, full, other_alliance)
    factories.make_delegate(session, full, alliance, status=DelegateStatus.waitlisted)
    factories.make_delegate(session, full, other_alliance, status=DelegateStatus.withdrawn)
    factories.make_delegate(session, open_full, other_alliance)
    factories.make_delegate(session, events[1], other_alliance)
    factories.make_delegate(session, events[9], alliance, status=DelegateStatus.waitlisted,
                            erased_at=now, email=None)
    factories.make_delegate(session, events[9], alliance)
    lonely = factories.make_user(session, Role.alliance_user, None)
    return {
        "events": events, "cycle": cycle, "other_cycle": other_cycle,
        "callers": {
            "admin": factories.user_headers(factories.make_user(session, Role.admin)),
            "member": factories.user_headers(factories.make_user(session, Role.alliance_user, alliance)),
            "other": factories.user_headers(factories.make_user(session, Role.alliance_user, other_alliance)),
            "no_alliance": factories.user_headers(lonely),
        },
    }


def walk(client: TestClient, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str] | None,
         url: str = URL, **params: Any) -> list[int]:
    """Every page both ways, following the cursors the new path wrote; the ids seen."""
    seen: list[int] = []
    cursor = None
    for _ in range(50):
        page = {**params, **({"cursor": cursor} if cursor else {})}
        new, old = both_ways(client, monkeypatch, url, headers, **page)
        assert_same_reply(new, old, 200)
        body = new.json()
        seen.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return seen
        assert new.headers["link"].endswith('>; rel="next"')
    raise AssertionError("no last page")


# --- the comparisons ------------------------------------------------------------------------------

@pytest.mark.parametrize("sort", ["starts_at", "-starts_at", "created_at", "-created_at"])
@pytest.mark.parametrize("limit", [1, 2, 3, 20])
def test_every_caller_pages_through_the_same(client, monkeypatch, world, sort, limit):
    for name, headers in world["callers"].items():
        seen = walk(client, monkeypatch, headers, sort=sort, limit=limit, include_total="true")
        assert len(seen) == len(set(seen))
        if name == "admin":
            assert len(seen) >= len(world["events"])
        elif name == "member":
            assert world["events"][0].id in seen and world["events"][5].id not in seen


def test_the_filters_read_the_same(client, monkeypatch, world):
    cycle, other = world["cycle"], world["other_cycle"]
    filters: list[dict[str, Any]] = [
        {"status": s} for s in ("draft", "published", "cancelled")] + [
        {"kind": k} for k in EventKind] + [
        {"topic": t} for t in (1, 2, 3, 4)] + [
        {"cycle": cycle.slug}, {"cycle": cycle.key}, {"cycle": str(cycle.id)}, {"cycle": other.slug},
        {"cycle": cycle.slug, "status": "cancelled", "include_total": "true"},
        {"topic": 2, "kind": "workshop", "sort": "-created_at", "limit": 1},
        {"status": "published", "kind": "dialogue", "topic": 4, "cycle": other.slug},
    ]
    for params in filters:
        for headers in world["callers"].values():
            walk(client, monkeypatch, headers, **params)


def test_bad_input_is_the_same_problem(client, monkeypatch, world):
    def cursor(values: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    first = client.get(URL, headers=world["callers"]["admin"], params={"limit": 1}).json()
    by_created = client.get(URL, headers=world["callers"]["admin"],
                            params={"limit": 1, "sort": "created_at"}).json()["next_cursor"]
    bad = [
        {"cycle": "1999-00"}, {"cycle": "99999999999"}, {"cycle": "0"}, {"cycle": "²"},
        {"cycle": "nope", "cursor": "garbage"},
        {"cursor": "garbage"}, {"cursor": cursor([1])}, {"cursor": cursor(["x", 1])},
        {"cursor": cursor(["2030-01-01T00:00:00", 1])}, {"cursor": cursor(["2030-01-01T00:00:00Z", "1"])},
        {"cursor": cursor(["2030-01-01T00:00:00+00:00", 2**70])},
        {"cursor": cursor([None, 1])}, {"cursor": cursor({"a": 1})},
        {"cursor": first["next_cursor"], "include_total": "true"},
        {"cursor": by_created, "sort": "-starts_at"}, {"cursor": by_created, "sort": "created_at"},
        {"cursor": cursor(["9999-12-31T23:59:59+00:00", 2**31])},
        {"status": "archived"}, {"kind": "party"}, {"topic": 5}, {"sort": "title"}, {"limit": 0},
        {"unknown": "1"},
    ]
    for params in bad:
        for headers in world["callers"].values():
            new, old = both_ways(client, monkeypatch, URL, headers, **params)
            assert_same_reply(new, old)
    new, _ = both_ways(client, monkeypatch, URL, world["callers"]["member"], cycle="1999-00")
    assert new.status_code == 422


def test_wrong_callers_are_the_same_problem(client, session, monkeypatch, world, partner):
    event_ = world["events"][0]
    for headers in (None, partner, {"Authorization": "Bearer nonsense"}):
        for url in (URL, f"{URL}/{event_.id}"):
            assert_same_reply(*both_ways(client, monkeypatch, url, headers))


def test_every_event_reads_the_same_for_every_caller(client, monkeypatch, world):
    missing = max(e.id for e in world["events"]) + 1000
    for headers in world["callers"].values():
        for event_id in [e.id for e in world["events"]] + [missing]:
            new, old = both_ways(client, monkeypatch, f"{URL}/{event_id}", headers)
            assert_same_reply(new, old)
            if new.status_code == 200:
                assert new.headers["etag"]
    member, events = world["callers"]["member"], world["events"]
    seen = {e.id for e in events if client.get(f"{URL}/{e.id}", headers=member).status_code == 200}
    assert seen == {events[i].id for i in (0, 2, 3, 4, 6, 7, 8, 9)}


def test_an_empty_list_reads_the_same(client, monkeypatch, session):
    headers = factories.user_headers(factories.make_user(session, Role.alliance_user,
                                                         factories.make_alliance(session)))
    for params in ({}, {"include_total": "true"}, {"status": "draft"}):
        new, old = both_ways(client, monkeypatch, URL, headers, **params)
        assert_same_reply(new, old, 200)


def test_the_demo_events_read_the_same(client, session, monkeypatch, admin):
    seed_demo(session)
    assert session.exec(select(func.count()).select_from(Event)).one() >= 5
    demo_alliances = session.exec(select(Alliance).order_by(col(Alliance.id))).all()[:4]
    callers = [admin] + [factories.user_headers(factories.make_user(session, Role.alliance_user, a))
                         for a in demo_alliances]
    for headers in callers:
        walk(client, monkeypatch, headers, limit=2, include_total="true")
        walk(client, monkeypatch, headers)
        for event_ in session.exec(select(Event)).all():
            assert_same_reply(*both_ways(client, monkeypatch, f"{URL}/{event_.id}", headers))


def test_a_page_costs_the_same_statements_whatever_its_size(client, session, connection, world):
    """Topics and occupancy of a page come with one IN query each; the cycle and the caller's
    invitation come with the page."""
    counted: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not the tests' savepoints
            counted.append(statement)

    member = world["callers"]["member"]
    event.listen(connection, "before_cursor_execute", count)
    try:
        sizes = []
        for limit in (1, 100):
            counted.clear()
            assert client.get(URL, headers=member, params={"limit": limit}).status_code == 200
            sizes.append(len(counted))
    finally:
        event.remove(connection, "before_cursor_execute", count)
    # The caller, the page (with cycle and invitation), its topics, its occupancy.
    assert sizes == [4, 4], counted


# --- the public calendar ---------------------------------------------------------------------------

def test_the_public_calendar_reads_the_same(client, session, monkeypatch, world):
    now = utcnow()
    make = factories.make_event
    for days in (5, 5, 9, 40):  # two starting at the same moment: the id breaks the tie
        starts = now.replace(microsecond=0) + timedelta(days=days)
        make(session, is_public=True, invitation_only=False, kind=EventKind.dialogue, state="DE-BY",
             starts_at=starts, ends_at=starts + timedelta(hours=2), topics=(days % 4 + 1,),
             cycle_id=world["cycle"].id if days == 9 else None)
    past = now - timedelta(days=1)
    make(session, is_public=True, starts_at=past - timedelta(hours=3), ends_at=past)
    make(session, is_public=True, status=EventStatus.cancelled)
    iso = datetime.isoformat
    variants: list[dict[str, Any]] = [
        {}, {"limit": 1, "include_total": "true"}, {"limit": 2}, {"topic": 2}, {"topic": 4, "limit": 1},
        {"kind": "dialogue"}, {"kind": "ceremony", "include_total": "true"}, {"state": "DE-BY", "limit": 1},
        {"from": iso(now - timedelta(days=2))}, {"to": iso(now + timedelta(days=10)), "limit": 1},
        {"from": iso(now + timedelta(days=6)), "to": iso(now + timedelta(days=41)), "limit": 1,
         "include_total": "true"},
        {"from": iso(now + timedelta(days=400))},
        {"from": iso(now.replace(microsecond=0) + timedelta(days=9, hours=2))},  # ends then: kept
    ]
    for params in variants:
        walk(client, monkeypatch, None, PUBLIC_URL, **params)
    for params in ({"cursor": "garbage"}, {"from": "2030-01-01T00:00:00"}, {"topic": 9},
                   {"state": "XX-YY-ZZ"}, {"cursor": client.get(PUBLIC_URL, params={"limit": 1}).json()[
                       "next_cursor"], "include_total": "true", "limit": 1}):
        assert_same_reply(*both_ways(client, monkeypatch, PUBLIC_URL, None, **params))
    assert len(walk(client, monkeypatch, None, PUBLIC_URL, limit=1)) >= 5
