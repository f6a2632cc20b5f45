"""Delegates: the people an alliance sends to an event (personal data, GDPR).

A person acting for an alliance registers, changes and withdraws the delegates of that alliance
only; the Servicebüro acts for any alliance. Another alliance's delegate answers 404 as if it
did not exist. Registration follows the rules in this order: the event is published (not
cancelled), registration is still open, the alliance is invited (when the event is
invitation-only), and the alliance has not registered the same e-mail for the event yet. When
no place is free (withdrawn delegates free theirs) the delegate joins the waiting list
(waitlist.py). The delegate gets a German confirmation through the outbox.

Delegates have no version column: their ETag carries ``updated_at`` in microseconds instead.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import Forbidden, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, changed_after, paginate
from app.events import emitting, letters, rules, texts, waitlist
from app.events.exceptions import (
    AlreadyRegistered,
    DelegateErased,
    DelegateNotFound,
    DelegateNotRegistered,
    EventCancelled,
    EventNotFound,
    EventNotPublished,
    EventStarted,
    InvalidEvent,
    NotInvited,
    RegistrationClosed,
    UnknownReference,
)
from app.events.models import DelegateStatus, Event, EventDelegate, EventStatus
from app.events.queries import (
    get_event,
    is_invited,
    may_see,
    registered_count,
    visible_event,
)
from app.events.schemas import DelegateAlliance, DelegateCreate, DelegateRead, DelegateUpdate
from app.mail import outbox
from app.webhooks.events import EventType

ETAG_RESOURCE = "delegate"
CONFIRMATION_QUIET_PERIOD = timedelta(days=1)


def etag_version(delegate: EventDelegate) -> int:
    return int(delegate.updated_at.timestamp() * 1_000_000)


def to_read(session: Session, delegate: EventDelegate, names: dict[int, str] | None = None,
            positions: dict[int, int] | None = None) -> DelegateRead:
    assert delegate.id is not None
    if names is None:
        alliance = session.get(Alliance, delegate.alliance_id)
        names = {delegate.alliance_id: alliance.name if alliance else ""}
    if positions is None and delegate.status == DelegateStatus.waitlisted:
        positions = waitlist.positions(session, delegate.event_id)
    return DelegateRead(
        id=delegate.id, event_id=delegate.event_id, name=delegate.name,
        alliance=DelegateAlliance(id=delegate.alliance_id, name=names[delegate.alliance_id]),
        function=delegate.function, email=delegate.email, phone=delegate.phone,
        dietary_needs=delegate.dietary_needs, status=delegate.status,
        registered_by=delegate.registered_by, created_at=delegate.created_at,
        updated_at=delegate.updated_at, erased_at=delegate.erased_at,
        waiting_position=(positions or {}).get(delegate.id)
        if delegate.status == DelegateStatus.waitlisted else None,
        attendance=delegate.attendance, attendance_recorded_at=delegate.attendance_recorded_at,
    )


def _ensure_open(event: Event, now: datetime) -> None:
    if event.status == EventStatus.cancelled:
        raise EventCancelled(f"Event {event.id} has been cancelled.")
    if event.status != EventStatus.published:
        raise EventNotPublished(f"Event {event.id} is not published yet.")
    if not rules.registration_open(event.status, event.starts_at, event.registration_closes_at, now):
        raise RegistrationClosed(f"Registration for event {event.id} closed at "
                                 f"{rules.registration_deadline(event.starts_at, event.registration_closes_at).isoformat()}.")


def _alliance_of(session: Session, data: DelegateCreate, principal: Principal) -> int:
    if principal.is_admin:
        if data.alliance_id is None:
            raise InvalidEvent("Name the alliance the delegate is sent by.", errors=[
                field_error(["body", "alliance_id"], "required for the Servicebüro", "missing")])
        if session.get(Alliance, data.alliance_id) is None:
            raise UnknownReference(f"No alliance {data.alliance_id}.", errors=[
                field_error(["body", "alliance_id"], f"no alliance {data.alliance_id}", "not_found")])
        return data.alliance_id
    if principal.alliance_id is None:
        raise Forbidden("Only people acting for an alliance register delegates.")
    if data.alliance_id is not None:
        raise InvalidEvent("The alliance comes from your account.", errors=[
            field_error(["body", "alliance_id"], "taken from your account; leave it out",
                        "not_allowed")])
    return principal.alliance_id


def _confirm(session: Session, email: str, event: Event, now: datetime, *,
             waitlisted: bool = False) -> None:
    """Queue the confirmation, unless the very same one went to this address within a day:
    registering and withdrawing in a loop must not turn the Servicebüro into a mailer."""
    subject = (letters.waitlisted_subject if waitlisted else texts.confirmation_subject)(
        event.title)
    body = (letters.waitlisted_body if waitlisted else texts.confirmation_body)(
        event.kind, event.title, event.starts_at, event.venue)
    if not outbox.queued_since(session, email, subject, body, now - CONFIRMATION_QUIET_PERIOD):
        outbox.enqueue(session, email, subject, body)


def register_delegate(session: Session, event_id: int, data: DelegateCreate,
                      principal: Principal) -> DelegateRead:
    event = get_event(session, event_id, for_update=True)
    alliance_id = _alliance_of(session, data, principal)
    invited = not event.invitation_only or is_invited(session, event_id, alliance_id)
    if not principal.is_admin and not may_see(session, event, principal):
        # Drafts, and invitation-only events neither public nor invited to, do not exist for them.
        raise EventNotFound(f"No event {event_id}.")
    now = utcnow()
    _ensure_open(event, now)
    if not invited:
        # A public event the alliance sees but is not invited to: say so plainly.
        raise NotInvited(f"Your alliance is not invited to event {event_id}; registration "
                         "is for invited alliances only." if not principal.is_admin else
                         f"Alliance {alliance_id} is not invited to event {event_id}.")
    # Full: the delegate joins the waiting list (an event without a capacity never waitlists).
    # Nobody jumps the line: while anyone waits, a newcomer waits too (places freed after the
    # deadline go to the line once the Servicebüro reopens registration or promotes).
    status = (DelegateStatus.registered
              if rules.has_room(event.capacity, registered_count(session, event_id))
              and not waitlist.someone_waiting(session, event_id)
              else DelegateStatus.waitlisted)
    # Within the alliance only: an alliance must not learn whom another one registered.
    if session.exec(select(EventDelegate.id).where(
            EventDelegate.event_id == event_id, EventDelegate.alliance_id == alliance_id,
            col(EventDelegate.status).in_([DelegateStatus.registered,
                                           DelegateStatus.waitlisted]),
            func.lower(EventDelegate.email) == data.email.lower())).first() is not None:
        raise AlreadyRegistered("This e-mail address is registered for the event already.",
                                errors=[field_error(["body", "email"], "registered already",
                                                    "duplicate")])
    delegate = EventDelegate(
        event_id=event_id, alliance_id=alliance_id, name=data.name, function=data.function,
        email=data.email.lower(), phone=data.phone, dietary_needs=data.dietary_needs,
        status=status, registered_by=principal.actor,
        created_at=now, updated_at=now,
    )
    session.add(delegate)
    _confirm(session, delegate.email or data.email, event, now,
             waitlisted=status == DelegateStatus.waitlisted)
    # A partner counting places must not count a waiting person: delegate.waitlisted, and
    # delegate.promoted once a place is theirs.
    emitting.delegate_changed(session, EventType.delegate_waitlisted
                              if status == DelegateStatus.waitlisted
                              else EventType.delegate_registered, delegate)
    session.commit()
    return to_read(session, delegate)


def visible_delegate(session: Session, event_id: int, delegate_id: int, principal: Principal, *,
                     for_update: bool = False) -> EventDelegate:
    visible_event(session, event_id, principal)
    query = select(EventDelegate).where(EventDelegate.id == delegate_id)
    if for_update:
        query = query.with_for_update()
    delegate = session.exec(query).first()
    if delegate is None or delegate.event_id != event_id or not principal.acts_for(
            delegate.alliance_id):
        raise DelegateNotFound(f"No delegate {delegate_id} for event {event_id}.")
    return delegate


def read_delegate(session: Session, event_id: int, delegate_id: int,
                  principal: Principal) -> DelegateRead:
    return to_read(session, visible_delegate(session, event_id, delegate_id, principal))


def list_delegates(
    session: Session, event_id: int, params: PageParams, principal: Principal, *,
    status: DelegateStatus | None = None, alliance_id: int | None = None,
    updated_since: datetime | None = None,
) -> tuple[list[DelegateRead], str | None, int | None]:
    """Admins: every delegate of the event; alliance users: their alliance's."""
    visible_event(session, event_id, principal)
    query = changed_after(select(EventDelegate).where(EventDelegate.event_id == event_id),
                          col(EventDelegate.updated_at), updated_since)
    if not principal.is_admin:
        query = query.where(EventDelegate.alliance_id == (principal.alliance_id or -1))
    if status is not None:
        query = query.where(EventDelegate.status == status)
    if alliance_id is not None:
        query = query.where(EventDelegate.alliance_id == alliance_id)
    rows, cursor, total = paginate(session, query, SortKey(col(EventDelegate.id),
                                                           col(EventDelegate.id)),
                                   params, value_of=lambda d: d.id, id_of=lambda d: d.id)
    ids = {d.alliance_id for d in rows}
    names: dict[int, str] = {a_id: name for a_id, name in session.exec(
        select(Alliance.id, Alliance.name).where(col(Alliance.id).in_(ids))).all()
        if a_id is not None} if ids else {}
    positions = waitlist.positions(session, event_id)
    return [to_read(session, d, names, positions) for d in rows], cursor, total


def _ensure_registered(delegate: EventDelegate) -> None:
    """Registered or on the waiting list: not withdrawn."""
    if delegate.status == DelegateStatus.withdrawn:
        raise DelegateNotRegistered(f"Delegate {delegate.id} has withdrawn.")


def _ensure_changeable(delegate: EventDelegate) -> None:
    if delegate.erased_at is not None:
        raise DelegateErased(f"Delegate {delegate.id}'s personal data was erased.")
    _ensure_registered(delegate)


def update_delegate(session: Session, event_id: int, delegate_id: int, data: DelegateUpdate,
                    if_match: str | None, principal: Principal) -> DelegateRead:
    """Change a delegate's details while registration is open (not the e-mail: withdraw and
    register the person anew)."""
    delegate = visible_delegate(session, event_id, delegate_id, principal, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, delegate_id, etag_version(delegate))
    _ensure_changeable(delegate)
    _ensure_open(get_event(session, event_id), utcnow())
    given = data.model_fields_set
    if "name" in given and data.name is None:
        raise InvalidEvent("The name cannot be emptied.", errors=[
            field_error(["body", "name"], "may not be null", "not_null")])
    changes: dict[str, Any] = {k: getattr(data, k) for k in given}
    changed = {k: v for k, v in changes.items() if getattr(delegate, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(delegate, key, value)
        delegate.updated_at = utcnow()
        session.add(delegate)
        session.commit()
    return to_read(session, delegate)


def withdraw_delegate(session: Session, event_id: int, delegate_id: int, if_match: str | None,
                      principal: Principal) -> DelegateRead:
    """Withdraw a registration; the place is free again. The row stays (attendance history),
    so once the event has begun it no longer changes. An erased delegate can be withdrawn:
    nobody is left to attend, and the place would otherwise stay taken for good. A freed place
    goes to the first in line on the waiting list (while registration is open), in this
    transaction. Locks: the event row first, then the delegate (the order registrations and
    promotions use, so concurrent withdrawals cannot deadlock)."""
    event = get_event(session, event_id, for_update=True)
    delegate = visible_delegate(session, event_id, delegate_id, principal, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, delegate_id, etag_version(delegate))
    _ensure_registered(delegate)
    if utcnow() >= event.starts_at:
        raise EventStarted(f"Event {event_id} has begun; its attendance no longer changes.")
    freed = delegate.status == DelegateStatus.registered
    delegate.status = DelegateStatus.withdrawn
    delegate.updated_at = utcnow()
    session.add(delegate)
    session.flush()
    emitting.delegate_changed(session, EventType.delegate_withdrawn, delegate)
    if freed:
        waitlist.promote_waiting(session, event)
    session.commit()
    return to_read(session, delegate)
