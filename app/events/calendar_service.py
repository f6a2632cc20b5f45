"""Calendars of events: the ``.ics`` of one event for whoever may see it, and each alliance's
personal feed at a secret URL.

Who sees what (the same rules as the JSON API, app/events/queries.py):

* anyone: a published public event (and, once cancelled, its cancellation);
* alliance users: the events their alliance may see; the Servicebüro: every event;
* the online link only for the Servicebüro and for alliances that registered delegates.

The feed of an alliance lists the events it is invited to or registered delegates for
(published or cancelled; those that ended more than ``FEED_PAST_DAYS`` ago drop out). Calendar
apps cannot send bearer tokens, so the feed URL itself is the credential: ``bcal_`` + 256
random bits, of which only the SHA-256 is stored. A new URL revokes the previous one; a
revoked URL answers 404 like one that never existed.
"""

from datetime import timedelta

from sqlmodel import Session, col, or_, select

from app.alliances import service as alliances
from app.alliances.exceptions import AllianceNotFound
from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core import security
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import NotFound
from app.events.calendar import CalendarDocument, CalendarEntry
from app.events.calendar_models import CalendarFeed
from app.events.exceptions import EventNotFound
from app.events.models import (
    DelegateStatus,
    Event,
    EventDelegate,
    EventInvitation,
    EventTopic,
    FutureTopic,
)
from app.events.queries import MEMBER_STATUSES, get_event, registered_count, visible_event
from app.events.schemas_calendar import CalendarFeedCreated, CalendarFeedRead

FEED_PREFIX = "bcal"
FEED_PAST_DAYS = 90
FEED_MAX_EVENTS = 500
FEED_REFRESH_HOURS = 6


class CalendarFeedNotFound(NotFound):
    code, title = "calendar_feed_not_found", "No calendar feed"


def _base_url() -> str:
    return get_settings().public_base_url.rstrip("/")


def _topics(session: Session, event_ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {event_id: [] for event_id in event_ids}
    if event_ids:
        rows = session.exec(
            select(EventTopic.event_id, FutureTopic.title)
            .join(FutureTopic, col(FutureTopic.id) == col(EventTopic.topic_id))
            .where(col(EventTopic.event_id).in_(event_ids)).order_by(col(FutureTopic.number))
        ).all()
        for event_id, title in rows:
            found[event_id].append(title)
    return {event_id: tuple(titles) for event_id, titles in found.items()}


def _entries(session: Session, events: list[Event], with_link: set[int]) -> list[CalendarEntry]:
    ids = [e.id for e in events if e.id is not None]
    topics = _topics(session, ids)
    return [
        CalendarEntry(
            id=e.id, kind=e.kind, status=e.status, title=e.title, summary=e.summary,
            starts_at=e.starts_at, ends_at=e.ends_at, venue=e.venue, version=e.version,
            created_at=e.created_at, updated_at=e.updated_at, topics=topics[e.id],
            online_url=e.online_url if e.id in with_link else None,
        )
        for e in events if e.id is not None
    ]


# --- one event ----------------------------------------------------------------------------------

def public_event_ics(session: Session, event_id: int) -> CalendarDocument:
    """A public event, published or cancelled; any other answers 404. Never the online link."""
    event = get_event(session, event_id)
    if not event.is_public or event.status not in MEMBER_STATUSES:
        raise EventNotFound(f"No event {event_id}.")
    return _single(_entries(session, [event], set())[0])


def event_ics(session: Session, event_id: int, principal: Principal) -> CalendarDocument:
    """An event the caller may see (404 otherwise); the online link for the Servicebüro and
    for an alliance with registered delegates."""
    event = visible_event(session, event_id, principal)
    show_link = principal.is_admin or (
        principal.alliance_id is not None
        and registered_count(session, event_id, principal.alliance_id) > 0)
    return _single(_entries(session, [event], {event_id} if show_link else set())[0])


def _single(entry: CalendarEntry) -> CalendarDocument:
    return CalendarDocument((entry,), filename=f"veranstaltung-{entry.id}.ics")


# --- the personal feed --------------------------------------------------------------------------

def feed_path(token: str) -> str:
    return f"/api/v1/public/calendar-feeds/{token}.ics"


def _check_access(session: Session, alliance_id: int, principal: Principal) -> None:
    """The alliance exists and the caller acts for it; another alliance's feed is 404."""
    alliances.get_alliance(session, alliance_id)
    if not principal.acts_for(alliance_id):
        raise AllianceNotFound(f"No alliance {alliance_id}.")


def _active(session: Session, alliance_id: int) -> list[CalendarFeed]:
    return list(session.exec(select(CalendarFeed).where(
        CalendarFeed.alliance_id == alliance_id, col(CalendarFeed.revoked_at).is_(None),
    ).order_by(col(CalendarFeed.id))).all())


def _read(feed: CalendarFeed) -> CalendarFeedRead:
    assert feed.id is not None
    return CalendarFeedRead(id=feed.id, alliance_id=feed.alliance_id, created_by=feed.created_by,
                            created_at=feed.created_at)


def get_feed(session: Session, alliance_id: int, principal: Principal) -> CalendarFeedRead:
    _check_access(session, alliance_id, principal)
    active = _active(session, alliance_id)
    if not active:
        raise CalendarFeedNotFound(f"Alliance {alliance_id} has no calendar feed.")
    return _read(active[-1])


def create_feed(session: Session, alliance_id: int, principal: Principal) -> CalendarFeedCreated:
    """A new secret URL; the alliance's previous one (if any) stops working at once."""
    _check_access(session, alliance_id, principal)
    # One creation at a time per alliance: two at once would leave two live URLs.
    session.exec(select(Alliance.id).where(Alliance.id == alliance_id).with_for_update()).one()
    now = utcnow()
    for old in _active(session, alliance_id):
        old.revoked_at = now
        session.add(old)
    token = security.new_opaque_token(FEED_PREFIX)
    feed = CalendarFeed(alliance_id=alliance_id, token_hash=security.hash_token(token),
                        created_by=principal.actor, created_at=now)
    session.add(feed)
    session.commit()
    path = feed_path(token)
    return CalendarFeedCreated(**_read(feed).model_dump(), url=_base_url() + path, path=path)


def revoke_feed(session: Session, alliance_id: int, principal: Principal) -> None:
    _check_access(session, alliance_id, principal)
    active = _active(session, alliance_id)
    if not active:
        raise CalendarFeedNotFound(f"Alliance {alliance_id} has no calendar feed.")
    now = utcnow()
    for feed in active:
        feed.revoked_at = now
        session.add(feed)
    session.commit()


def feed_ics(session: Session, token: str) -> CalendarDocument:
    """The feed behind a secret URL: 404 for an unknown, rotated or revoked one."""
    feed = None
    if token.startswith(FEED_PREFIX + "_") and len(token) <= 100:
        feed = session.exec(select(CalendarFeed).where(
            CalendarFeed.token_hash == security.hash_token(token),
            col(CalendarFeed.revoked_at).is_(None))).first()
    if feed is None:
        raise CalendarFeedNotFound("No such calendar feed (it may have been replaced or revoked).")
    alliance = alliances.get_alliance(session, feed.alliance_id)
    invited = select(EventInvitation.event_id).where(EventInvitation.alliance_id == alliance.id)
    registered = select(EventDelegate.event_id).where(
        EventDelegate.alliance_id == alliance.id, EventDelegate.status == DelegateStatus.registered)
    events = list(session.exec(
        select(Event).where(
            col(Event.status).in_(MEMBER_STATUSES),
            or_(col(Event.id).in_(invited), col(Event.id).in_(registered)),
            col(Event.ends_at) >= utcnow() - timedelta(days=FEED_PAST_DAYS),
        ).order_by(col(Event.starts_at), col(Event.id)).limit(FEED_MAX_EVENTS)
    ).all())
    ids = [e.id for e in events if e.id is not None]
    with_link = set(session.exec(select(EventDelegate.event_id).where(
        col(EventDelegate.event_id).in_(ids), EventDelegate.alliance_id == alliance.id,
        EventDelegate.status == DelegateStatus.registered)).all()) if ids else set()
    # An invitation-only event shows only while the alliance is invited (as in the JSON API).
    invited_ids = _invited(session, ids, alliance.id)
    visible = [e for e in events if not e.invitation_only or e.id in invited_ids]
    return CalendarDocument(tuple(_entries(session, visible, with_link)),
                            filename="veranstaltungen.ics",
                            name=f"Veranstaltungen – {alliance.name}",
                            refresh_hours=FEED_REFRESH_HOURS)


def _invited(session: Session, ids: list[int], alliance_id: int | None) -> set[int]:
    if not ids:
        return set()
    return set(session.exec(select(EventInvitation.event_id).where(
        col(EventInvitation.event_id).in_(ids), EventInvitation.alliance_id == alliance_id)).all())
