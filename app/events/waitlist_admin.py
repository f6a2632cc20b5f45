"""The Servicebüro's moves on the waiting list by hand (admin routes only).

Promotion by hand is allowed from publication until the event begins, also after the
registration deadline (unlike automatic promotion). It takes a free place; with
``exceed_capacity: true`` it is an explicit override that may put the event above its
capacity (documented on the route). Removal sets the delegate ``withdrawn``. Both run under
the event's row lock, like registrations and automatic promotion.
"""

from datetime import datetime

from sqlmodel import Session

from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.etags import check_if_match
from app.events import emitting, rules
from app.events.delegates import ETAG_RESOURCE, etag_version, to_read, visible_delegate
from app.events.exceptions import DelegateNotWaitlisted, EventCancelled, EventFull, EventStarted
from app.events.models import DelegateStatus, Event, EventDelegate, EventStatus
from app.events.queries import get_event, registered_count
from app.events.schemas import DelegatePromote, DelegateRead
from app.events.waitlist import promote
from app.webhooks.events import EventType


def _lock(session: Session, event_id: int, delegate_id: int, if_match: str | None,
          principal: Principal) -> tuple[Event, EventDelegate]:
    event = get_event(session, event_id, for_update=True)
    delegate = visible_delegate(session, event_id, delegate_id, principal, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, delegate_id, etag_version(delegate))
    if delegate.status != DelegateStatus.waitlisted:
        raise DelegateNotWaitlisted(f"Delegate {delegate_id} is {delegate.status}, "
                                    "not waitlisted.")
    return event, delegate


def _ensure_list_open(event: Event, now: datetime) -> None:
    if event.status == EventStatus.cancelled:
        raise EventCancelled(f"Event {event.id} has been cancelled.")
    if now >= event.starts_at:
        raise EventStarted(f"Event {event.id} has begun; its list no longer changes.")


def promote_by_hand(session: Session, event_id: int, delegate_id: int, data: DelegatePromote,
                    if_match: str | None, principal: Principal) -> DelegateRead:
    event, delegate = _lock(session, event_id, delegate_id, if_match, principal)
    now = utcnow()
    _ensure_list_open(event, now)
    if not data.exceed_capacity and not rules.has_room(event.capacity,
                                                       registered_count(session, event_id)):
        raise EventFull(f"All {event.capacity} places of event {event_id} are taken; send "
                        "exceed_capacity to promote anyway.")
    promote(session, event, delegate, now)
    session.commit()
    return to_read(session, delegate)


def remove_by_hand(session: Session, event_id: int, delegate_id: int, if_match: str | None,
                   principal: Principal) -> DelegateRead:
    event, delegate = _lock(session, event_id, delegate_id, if_match, principal)
    now = utcnow()
    _ensure_list_open(event, now)
    delegate.status = DelegateStatus.withdrawn
    delegate.updated_at = now
    session.add(delegate)
    emitting.delegate_changed(session, EventType.delegate_withdrawn, delegate)
    session.commit()
    return to_read(session, delegate)
