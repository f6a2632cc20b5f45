"""The waiting list of a full event.

A registration for an event whose places are all taken joins the waiting list (status
``waitlisted``); an event without a capacity never waitlists. The position follows from the
order of arrival (``created_at``, then ``id``) and is shown to the alliance (its own delegates)
and to the Servicebüro. Only registered delegates hold places.

Promotion happens in the transaction that frees or adds places (a withdrawal, a higher or
removed capacity), under the event's row lock that registrations take as well
(``queries.get_event(for_update=True)``), so two requests never hand out the same place. It
happens automatically only while registration is open; each promoted delegate gets a German
e-mail. The Servicebüro's moves by hand are in waitlist_admin.py.
"""

from datetime import datetime

from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.events import emitting, letters, rules
from app.events.models import DelegateStatus, Event, EventDelegate, EventInvitation
from app.events.queries import registered_count
from app.mail import outbox
from app.webhooks.events import EventType


def someone_waiting(session: Session, event_id: int) -> bool:
    return session.exec(select(EventDelegate.id).where(
        EventDelegate.event_id == event_id, EventDelegate.status == DelegateStatus.waitlisted,
        col(EventDelegate.erased_at).is_(None))).first() is not None


def positions(session: Session, event_id: int) -> dict[int, int]:
    """delegate id → position on the event's waiting list (1 = first in line)."""
    ids = session.exec(
        select(EventDelegate.id).where(EventDelegate.event_id == event_id,
                                       EventDelegate.status == DelegateStatus.waitlisted)
        .order_by(col(EventDelegate.created_at), col(EventDelegate.id))).all()
    return {delegate_id: n for n, delegate_id in enumerate(ids, start=1) if delegate_id is not None}


def _notify_promoted(session: Session, event: Event, delegate: EventDelegate) -> None:
    if delegate.email:
        outbox.enqueue(session, delegate.email, letters.promotion_subject(event.title),
                       letters.promotion_body(event.kind, event.title, event.starts_at,
                                              event.venue))


def promote(session: Session, event: Event, delegate: EventDelegate, now: datetime) -> None:
    delegate.status = DelegateStatus.registered
    delegate.updated_at = now
    session.add(delegate)
    _notify_promoted(session, event, delegate)
    emitting.delegate_changed(session, EventType.delegate_promoted, delegate)


def promote_waiting(session: Session, event: Event, now: datetime | None = None) -> list[int]:
    """Fill free places from the head of the line; the caller holds the event's row lock and
    commits. Nothing happens once registration has closed. Returns the promoted ids."""
    now = now or utcnow()
    assert event.id is not None
    if not rules.registration_open(event.status, event.starts_at, event.registration_closes_at,
                                   now):
        return []
    query = select(EventDelegate).where(
        EventDelegate.event_id == event.id, EventDelegate.status == DelegateStatus.waitlisted,
        # An erased person cannot come (nor be told); their place goes to the next in line.
        col(EventDelegate.erased_at).is_(None),
    ).order_by(col(EventDelegate.created_at), col(EventDelegate.id))
    if event.invitation_only:
        # Only alliances still invited move up (an invitation may be taken back meanwhile).
        query = query.where(col(EventDelegate.alliance_id).in_(
            select(EventInvitation.alliance_id).where(EventInvitation.event_id == event.id)))
    if event.capacity is not None:
        free = event.capacity - registered_count(session, event.id)
        if free <= 0:
            return []
        query = query.limit(free)
    promoted = []
    for delegate in session.exec(query.with_for_update()).all():
        promote(session, event, delegate, now)
        assert delegate.id is not None
        promoted.append(delegate.id)
    session.flush()
    return promoted
