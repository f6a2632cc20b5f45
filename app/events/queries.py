"""The read side of events for the units of work: who sees which event, the reply shaping
(``event_reads``, shared with ``reads``, where the lists, the public calendar and one event
read Core rows on ``Db.read``'s connection).

Admins see every event, drafts included. A person acting for an alliance sees the events that
are published (or were published and then cancelled, so the alliance learns of it) and are
either open to every alliance, public, or list the alliance among the invited; any other
event answers 404 as if it did not exist. Partner systems see none (the router refuses them). The public
calendar lists published events marked ``is_public``, with no delegate or invitation data.
"""

from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import BindParameter, bindparam, case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, or_, select

from app.auth.principal import Principal
from app.core.db import Reader, columns_of, read_rows, utcnow
from app.core.errors import field_error
from app.cycles import service as cycles
from app.cycles.models import AwardCycle
from app.events import rules
from app.events.exceptions import EventNotFound, UnknownReference
from app.events.models import (
    DelegateStatus,
    Event,
    EventDelegate,
    EventInvitation,
    EventStatus,
    EventTopic,
    FutureTopic,
)
from app.events.schemas import EventCycle, EventRead, FutureTopicRead

ETAG_RESOURCE = "event"
EventSort = Literal["starts_at", "-starts_at", "created_at", "-created_at"]
# What alliance users may see of an event that is not a draft.
MEMBER_STATUSES = (EventStatus.published, EventStatus.cancelled)


# --- lookups ------------------------------------------------------------------------------------

def get_event(session: Session, event_id: int, *, for_update: bool = False) -> Event:
    query = select(Event).where(Event.id == event_id)
    if for_update:
        # Registrations and status steps of one event happen one after the other (row lock on
        # PostgreSQL; SQLite serialises writers anyway), so capacity cannot be overbooked.
        query = query.with_for_update()
    event = session.exec(query).first()
    if event is None:
        raise EventNotFound(f"No event {event_id}.")
    return event


def is_invited(session: Session, event_id: int, alliance_id: int) -> bool:
    return session.exec(select(EventInvitation.id).where(
        EventInvitation.event_id == event_id, EventInvitation.alliance_id == alliance_id,
    )).first() is not None


def may_see(session: Session, event: Event, principal: Principal) -> bool:
    if principal.is_admin:
        return True
    if principal.kind != "user" or principal.alliance_id is None:
        return False
    if event.status not in MEMBER_STATUSES:
        return False
    assert event.id is not None
    # A public event (in the public calendar) is no secret to a signed-in alliance either.
    return (not event.invitation_only or event.is_public
            or is_invited(session, event.id, principal.alliance_id))


def visible_event(session: Session, event_id: int, principal: Principal, *,
                  for_update: bool = False) -> Event:
    event = get_event(session, event_id, for_update=for_update)
    if not may_see(session, event, principal):
        raise EventNotFound(f"No event {event_id}.")  # not for this alliance: as if none
    return event


def cycle_id_of(reader: Reader, ref: str, loc: list[str | int]) -> int:
    """A cycle named in the input; an unknown one is invalid input at ``loc``."""
    try:
        return cycles.cycle_id(reader, ref)
    except cycles.CycleNotFound:
        raise UnknownReference(f"No award cycle {ref!r}.", errors=[
            field_error(loc, f"no award cycle {ref!r}", "not_found")]) from None


def registered_count(session: Session, event_id: int, alliance_id: int | None = None) -> int:
    query = select(func.count()).select_from(EventDelegate).where(
        EventDelegate.event_id == event_id, EventDelegate.status == DelegateStatus.registered)
    if alliance_id is not None:
        query = query.where(EventDelegate.alliance_id == alliance_id)
    return session.exec(query).one()


def topic_ids(session: Session, numbers: Iterable[int]) -> list[int]:
    wanted = list(numbers)
    if not wanted:
        return []
    rows = session.exec(select(FutureTopic.id).where(col(FutureTopic.number).in_(wanted))).all()
    return [topic_id for topic_id in rows if topic_id is not None]


# --- shaping ------------------------------------------------------------------------------------

# The page-shaping statements are built once, with the page's ids bound per request: building
# them per request (SQLAlchemy's operator and coercion layers) cost more than running them.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_TOPICS_OF = (
    sa_select(col(EventTopic.event_id), col(FutureTopic.number), col(FutureTopic.slug),
              col(FutureTopic.title))
    .join(FutureTopic, col(FutureTopic.id) == col(EventTopic.topic_id))
    .where(col(EventTopic.event_id).in_(_IDS)).order_by(col(FutureTopic.number))
)
_CYCLES_OF = sa_select(col(AwardCycle.id), col(AwardCycle.key), col(AwardCycle.slug)).where(
    col(AwardCycle.id).in_(_IDS))


def topics_of(reader: Reader, event_ids: Sequence[int]) -> dict[int, list[FutureTopicRead]]:
    out: dict[int, list[FutureTopicRead]] = {event_id: [] for event_id in event_ids}
    if not event_ids:
        return out
    for event_id, number, slug, title in read_rows(reader, _TOPICS_OF, {"ids": list(event_ids)}):
        out[event_id].append(FutureTopicRead(number=number, slug=slug, title=title))
    return out


def _cycles(reader: Reader, cycle_ids: Iterable[int | None]) -> dict[int, EventCycle]:
    ids = list({cycle_id for cycle_id in cycle_ids if cycle_id is not None})
    if not ids:
        return {}
    return {cycle_id: EventCycle(id=cycle_id, key=key, slug=slug)
            for cycle_id, key, slug in read_rows(reader, _CYCLES_OF, {"ids": ids})}


class _Occupancy:
    """One event's delegates: registered, waiting who can still move up, and registered for
    the reading alliance (all registered when an admin reads)."""

    __slots__ = ("own", "registered", "waiting")

    def __init__(self) -> None:
        self.registered = self.waiting = self.own = 0


_COUNTED = or_(col(EventDelegate.status) == DelegateStatus.registered,
               (col(EventDelegate.status) == DelegateStatus.waitlisted)
               & col(EventDelegate.erased_at).is_(None))
_BY_EVENT_AND_STATUS = (col(EventDelegate.event_id), col(EventDelegate.status))
# Admins count every registration as their "own" (registered_count); an alliance user needs its
# own share of the registrations beside the totals.
_OWN = case((col(EventDelegate.alliance_id) == bindparam("alliance_id"), 1), else_=0)
_OCCUPANCY_ALL = (sa_select(*_BY_EVENT_AND_STATUS, func.count())
                  .where(col(EventDelegate.event_id).in_(_IDS), _COUNTED)
                  .group_by(*_BY_EVENT_AND_STATUS))
_OCCUPANCY_OWN = (sa_select(*_BY_EVENT_AND_STATUS, _OWN, func.count())
                  .where(col(EventDelegate.event_id).in_(_IDS), _COUNTED)
                  .group_by(*_BY_EVENT_AND_STATUS, _OWN))
_INVITED_TO = sa_select(col(EventInvitation.event_id)).where(
    col(EventInvitation.event_id).in_(_IDS),
    col(EventInvitation.alliance_id) == bindparam("alliance_id"))


def _occupancy(reader: Reader, event_ids: Sequence[int],
               alliance_id: int | None) -> dict[int, _Occupancy]:
    """event id → its occupancy, in one grouped statement for the whole page."""
    if not event_ids:
        return {}
    if alliance_id is None:
        rows = read_rows(reader, _OCCUPANCY_ALL, {"ids": list(event_ids)}).all()
    else:
        rows = read_rows(reader, _OCCUPANCY_OWN, {"ids": list(event_ids), "alliance_id": alliance_id}).all()
    out: dict[int, _Occupancy] = {}
    for row in rows:
        event_id, status, count = row[0], row[1], row[-1]
        is_own = alliance_id is None or row[2] == 1
        occupancy = out.setdefault(event_id, _Occupancy())
        if status == DelegateStatus.registered:
            occupancy.registered += count
            if is_own:
                occupancy.own += count
        else:
            occupancy.waiting += count
    return out


def _invited_to(reader: Reader, event_ids: Sequence[int], alliance_id: int) -> set[int]:
    if not event_ids:
        return set()
    return set(read_rows(reader, _INVITED_TO,
                         {"ids": list(event_ids), "alliance_id": alliance_id}).scalars())


def event_reads(reader: Reader, events: Sequence[Mapping[str, Any]], principal: Principal, *,
                cycles: Mapping[int, EventCycle] | None = None,
                invited: Container[int] | None = None) -> list[EventRead]:
    """Reply models for events given as their column values (``columns_of`` an ORM row, or a
    Core row's): topics and occupancy of the page with one statement each, and the cycles
    and the caller's invitations too unless the caller read them with the rows already."""
    ids = [e["id"] for e in events]
    topics, now = topics_of(reader, ids), utcnow()
    if cycles is None:
        cycles = _cycles(reader, (e["cycle_id"] for e in events))
    occupancy = _occupancy(reader, ids,
                           None if principal.is_admin else principal.alliance_id or -1)
    if invited is None:
        invited = set() if principal.is_admin else _invited_to(reader, ids, principal.alliance_id or -1)
    empty = _Occupancy()
    reads = []
    for event in events:
        event_id, cycle_id = event["id"], event["cycle_id"]
        cycle = cycles.get(cycle_id) if cycle_id is not None else None
        seats = occupancy.get(event_id, empty)
        count = seats.own
        full = rules.is_full(event["capacity"], seats.registered, seats.waiting)
        registration_open = rules.registration_open(event["status"], event["starts_at"],
                                                    event["registration_closes_at"], now)
        extra: dict[str, Any] = (
            {"registered_count": count,
             "remaining_capacity": rules.remaining_capacity(event["capacity"], count)}
            if principal.is_admin else
            {"invited": event_id in invited, "own_delegates": count}
        )
        columns = {k: v for k, v in event.items() if k != "cycle_id"}
        if not principal.is_admin and count == 0:
            # The meeting link is for alliances sending someone, as in the calendar files: a
            # public event is visible to every alliance, its online room is not.
            columns["online_url"] = None
        reads.append(EventRead(
            **columns,
            cycle=cycle,
            topics=topics[event_id],
            registration_open=registration_open, is_full=full,
            allowed_actions=rules.status_actions(event["status"]) if principal.is_admin else
            rules.participation_actions(registration_open, not event["invitation_only"]
                                        or event_id in invited, full),
            **extra,
        ))
    return reads


def to_reads(session: Session, events: Sequence[Event], principal: Principal) -> list[EventRead]:
    return event_reads(session, [columns_of(e) for e in events], principal)


def to_read(session: Session, event: Event, principal: Principal) -> EventRead:
    return to_reads(session, [event], principal)[0]


# --- lists --------------------------------------------------------------------------------------

def list_future_topics(session: Session) -> list[FutureTopicRead]:
    return [FutureTopicRead(number=t.number, slug=t.slug, title=t.title)
            for t in session.exec(select(FutureTopic).order_by(col(FutureTopic.number)))]
