"""Demo events (seed step ``seed_events``), around the open cycle "2024/25".

Coherent in time (tests/cycles/test_demo_coherence.py): the 2024/25 survey opened 14 days ago
and closes in 42 (app/cycles/demo.py) and has no evaluation run yet, so its Projekt Zukunft
events are held after the survey closes, and nobody is invited by the rule yet (that follows
the evaluation): the Servicebüro invited the three alliances with a demo login by hand. The
events were entered the day after the survey opened; delegates registered after that, before
now. What Projekt Zukunft has already done belongs to the previous cycle, "2023/24".

* The regional Zukunftswerkstätten of the public reports: Hamm (childcare; company policy) and
  Fürth (care and work; low-income families), published and invitation-only; Hamm and Fürth
  have registered one delegate each.
* A virtual Erfahrungsaustausch on childcare, open to every alliance.
* The Bündnisdialog, a public draft the Servicebüro is still preparing.
* The seal ceremony of 2024/25 in Berlin, published in the public calendar.
* A full virtual exchange on low-income families (two places, both taken by demo logins) with
  two delegates on the waiting list, in order of arrival.
* A Zukunftswerkstatt of Projekt Zukunft 2023/24 in the Metropolregion Nürnberg six weeks ago,
  with the attendance the Servicebüro recorded after it (two attended, one no-show).

Every demo invitation counts as mailed (``mailed_at`` at its creation): the first invitation
the Servicebüro makes in the demo mails only its own alliances. Idempotent: a demo event is
recognised by its title; an event whose cycle is missing is skipped, and so are missing
alliances. No e-mail is queued.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from app.alliances.demo import DEMO_ALLIANCES
from app.alliances.models import Alliance
from app.alliances.schemas import slugify
from app.core.db import utcnow
from app.core.german import GERMAN_TIME
from app.cycles.demo import CEREMONY_DAYS_AHEAD, SURVEY_OPENED_DAYS_AGO
from app.cycles.models import AwardCycle
from app.events.models import (
    Attendance,
    DelegateStatus,
    Event,
    EventDelegate,
    EventInvitation,
    EventKind,
    EventStatus,
    EventTopic,
    FutureTopic,
    InvitationBasis,
)

CYCLE_KEY = "2024/25"
PREVIOUS_CYCLE_KEY = "2023/24"
DEMO_ACTOR = "system:seed-demo"
HAMM = "Zukunftswerkstatt Hamm: Kinderbetreuung und familienbewusste Unternehmenspolitik"
FUERTH = "Zukunftswerkstatt Fürth: Pflege, Beruf und Familien mit geringen Einkommen"
EXCHANGE = "Erfahrungsaustausch (virtuell): Kinderbetreuung in ländlichen Räumen"
DIALOGUE = "Bündnisdialog 2025"
CEREMONY = "Siegelverleihung „Ausgezeichnetes Bündnis 2024/25“"
FULL_EXCHANGE = "Erfahrungsaustausch (virtuell): Familien mit geringen Einkommen erreichen"
PAST_WORKSHOP = "Zukunftswerkstatt Metropolregion Nürnberg: Vereinbarkeit von Pflege und Beruf"
# The alliances with a demo login (app/demo/seed.py: the first three demo alliances).
LOGIN_SLUGS = tuple(slugify(entry["name"]) for entry in DEMO_ALLIANCES[:3])


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


@dataclass
class _Demo:
    title: str
    kind: EventKind
    days_ahead: int
    hours: tuple[int, int]
    venue: str
    state: str | None = None
    topics: tuple[int, ...] = ()
    status: EventStatus = EventStatus.published
    invitation_only: bool = True
    is_public: bool = False
    capacity: int | None = None
    online_url: str | None = None
    summary: str | None = None
    invite: bool = False
    # (alliance slug, delegate name, function, e-mail)
    delegates: list[tuple[str, str, str, str]] = field(default_factory=list)
    # Registered after ``delegates`` found the event full: the waiting list, in this order.
    waiting: list[tuple[str, str, str, str]] = field(default_factory=list)
    # For a past event: the attendance recorded for ``delegates``, in their order.
    attendance: tuple[Attendance, ...] = ()
    cycle_key: str = CYCLE_KEY
    # Days before now the Servicebüro entered the event (default: the day after the open
    # cycle's survey opened).
    created_days_ago: int = SURVEY_OPENED_DAYS_AGO - 1


def _demo_person(n: int, slug: str) -> tuple[str, str, str, str]:
    return (slug, f"Delegierte Person {n}", "Projektkoordination",
            f"delegierte{n}@{slug}.example.org")


DEMO_EVENTS: list[_Demo] = [
    _Demo(HAMM, EventKind.workshop, 45, (10, 16), "Hamm", "DE-NW", (2, 4), capacity=40,
          invite=True, summary="Regionale Zukunftswerkstatt im Projekt Zukunft: gute Beispiele "
          "aus Kitas und Betrieben, Arbeit in Kleingruppen.",
          delegates=[("lokales-buendnis-fuer-familie-hamm", "Koordination Hamm",
                      "Bündniskoordination", "delegierte@lokales-buendnis-fuer-familie-hamm.example.org")]),
    _Demo(FUERTH, EventKind.workshop, 52, (10, 16), "Fürth", "DE-BY", (1, 3), capacity=40,
          invite=True, summary="Regionale Zukunftswerkstatt im Projekt Zukunft.",
          delegates=[("buendnis-fuer-familie-fuerth", "Koordination Fürth",
                      "Bündnissprecherin", "delegierte@buendnis-fuer-familie-fuerth.example.org")]),
    _Demo(EXCHANGE, EventKind.exchange, 48, (14, 16), "online", topics=(2,),
          invitation_only=False, online_url="https://konferenz.example.org/zukunft-kita"),
    _Demo(DIALOGUE, EventKind.dialogue, 120, (11, 15), "Berlin", "DE-BE", (1, 2, 3, 4),
          status=EventStatus.draft, is_public=True),
    _Demo(CEREMONY, EventKind.ceremony, CEREMONY_DAYS_AHEAD, (11, 14), "Berlin", "DE-BE", is_public=True,
          capacity=150, invite=True,
          summary="Die Bundesfamilienministerin überreicht das Siegel an die ausgezeichneten "
          "Bündnisse."),
    _Demo(FULL_EXCHANGE, EventKind.exchange, 60, (15, 17), "online", topics=(3,), capacity=2,
          invitation_only=False, online_url="https://konferenz.example.org/zukunft-einkommen",
          summary="Virtueller Austausch im Projekt Zukunft; die Plätze sind begrenzt.",
          delegates=[_demo_person(1, LOGIN_SLUGS[0]), _demo_person(2, LOGIN_SLUGS[1])],
          waiting=[_demo_person(3, LOGIN_SLUGS[2]), _demo_person(4, LOGIN_SLUGS[0])]),
    _Demo(PAST_WORKSHOP, EventKind.workshop, -42, (10, 16), "Nürnberg", "DE-BY", (1,),
          capacity=30, invite=True, summary="Regionale Zukunftswerkstatt im Projekt Zukunft.",
          delegates=[_demo_person(5, LOGIN_SLUGS[0]), _demo_person(6, LOGIN_SLUGS[1]),
                     _demo_person(7, LOGIN_SLUGS[2])],
          attendance=(Attendance.attended, Attendance.attended, Attendance.no_show),
          cycle_key=PREVIOUS_CYCLE_KEY, created_days_ago=90),
]


def _at(days_ahead: int, hour: int, now: datetime) -> datetime:
    day = (now + timedelta(days=days_ahead)).astimezone(GERMAN_TIME).date()
    return datetime.combine(day, time(hour), tzinfo=GERMAN_TIME)


def _alliances(session: Session, slugs: tuple[str, ...]) -> dict[str, int]:
    return {slug: a_id for slug, a_id in session.exec(
        select(Alliance.slug, Alliance.id).where(col(Alliance.slug).in_(slugs))).all()
        if a_id is not None}


def _add_event(session: Session, demo: _Demo, cycle: AwardCycle, now: datetime) -> Event:
    starts = _at(demo.days_ahead, demo.hours[0], now)
    entered = now - timedelta(days=demo.created_days_ago)
    event = Event(
        cycle_id=cycle.id, kind=demo.kind, status=demo.status, title=demo.title,
        summary=demo.summary, starts_at=starts, ends_at=_at(demo.days_ahead, demo.hours[1], now),
        registration_closes_at=starts - timedelta(days=7), venue=demo.venue, state=demo.state,
        online_url=demo.online_url, capacity=demo.capacity,
        invitation_only=demo.invitation_only, is_public=demo.is_public,
        created_at=entered, updated_at=entered,
    )
    session.add(event)
    session.flush()
    topic_ids = session.exec(select(FutureTopic.id).where(
        col(FutureTopic.number).in_(demo.topics))).all() if demo.topics else []
    assert event.id is not None
    for topic_id in topic_ids:
        if topic_id is not None:
            session.add(EventTopic(event_id=event.id, topic_id=topic_id))
    return event


def _invite(session: Session, event: Event) -> None:
    """By hand (basis ``manual``): the open cycle has no evaluation run, so nobody is invited
    by the rule yet; the ceremony's seal alliances are not confirmed yet either. Each
    invitation was mailed when it was made (a published event's)."""
    assert event.id is not None
    ids = _alliances(session, LOGIN_SLUGS)
    mailed = event.created_at if event.status == EventStatus.published else None
    for slug in LOGIN_SLUGS:
        if slug in ids:
            session.add(EventInvitation(event_id=event.id, alliance_id=ids[slug],
                                        basis=InvitationBasis.manual, invited_by=DEMO_ACTOR,
                                        created_at=event.created_at, mailed_at=mailed))


def _add_delegates(session: Session, event: Event, demo: _Demo, report: Report,
                   now: datetime) -> None:
    """Registered a day after the event was entered (or halfway to the deadline, if that is
    sooner), one a minute after the other (the waiting list's order): after the invitation,
    before the deadline and before now. Attendance recorded the evening after a past event."""
    assert event.id is not None
    people = [*demo.delegates, *demo.waiting]
    ids = _alliances(session, tuple(d[0] for d in people))
    deadline = min(event.registration_closes_at or event.starts_at, now)
    first = min(event.created_at + timedelta(days=1),
                event.created_at + (deadline - event.created_at) / 2)
    for n, (slug, name, function, email) in enumerate(people):
        if slug not in ids:
            continue
        at = first + timedelta(minutes=n)
        delegate = EventDelegate(
            event_id=event.id, alliance_id=ids[slug], name=name, function=function, email=email,
            registered_by=DEMO_ACTOR, created_at=at, updated_at=at,
            status=DelegateStatus.waitlisted if n >= len(demo.delegates)
            else DelegateStatus.registered)
        if n < len(demo.attendance):
            delegate.attendance = demo.attendance[n]
            delegate.attendance_recorded_at = delegate.updated_at = event.ends_at + timedelta(
                hours=2)
            delegate.attendance_recorded_by = DEMO_ACTOR
        session.add(delegate)
        report.count("event_delegates")


def seed_events(session: Session, report: Report) -> None:
    cycles = {c.key: c for c in session.exec(select(AwardCycle).where(
        col(AwardCycle.key).in_([CYCLE_KEY, PREVIOUS_CYCLE_KEY])))}
    if CYCLE_KEY not in cycles:
        return
    titles = [d.title for d in DEMO_EVENTS]
    present = set(session.exec(select(Event.title).where(col(Event.title).in_(titles))).all())
    now = utcnow()
    for demo in DEMO_EVENTS:
        cycle = cycles.get(demo.cycle_key)
        if demo.title in present or cycle is None or cycle.id is None:
            continue
        event = _add_event(session, demo, cycle, now)
        assert event.id is not None
        if demo.invite:
            _invite(session, event)
        _add_delegates(session, event, demo, report, now)
        report.count("events")
    session.flush()
