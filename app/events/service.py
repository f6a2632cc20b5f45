"""Events, the write side (Servicebüro only): create a draft, change it, delete a draft,
publish it, cancel it.

Every write commits once. Cancelling queues a German e-mail to every registered delegate
through the outbox in the same transaction (see texts.py: nothing a caller typed is echoed).
"""

from typing import Any

from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import field_error
from app.core.etags import check_if_match
from app.events import emitting, invitation_mail, rules, texts, waitlist
from app.events.exceptions import (
    CapacityBelowRegistered,
    EventCancelled,
    EventHasDelegates,
    EventOver,
    InvalidEvent,
    InvalidEventTransition,
    UninvitedDelegates,
    UnknownReference,
)
from app.events.models import (
    DelegateStatus,
    Event,
    EventDelegate,
    EventInvitation,
    EventStatus,
    EventTopic,
    FutureTopic,
)
from app.events.queries import (
    ETAG_RESOURCE,
    cycle_id_of,
    get_event,
    registered_count,
    to_read,
    topic_ids,
)
from app.events.schemas import EventCreate, EventRead, EventUpdate
from app.mail import outbox
from app.webhooks.events import EventType
from app.workgroups.models import Workgroup

# Fields an update may not set to null: the event cannot do without them.
_NOT_NULL = ("kind", "title", "starts_at", "ends_at", "topics", "invitation_only", "is_public")
_PLAIN = ("kind", "title", "summary", "starts_at", "ends_at", "registration_closes_at", "venue",
          "state", "online_url", "capacity", "invitation_only", "is_public", "workgroup_id")


def _check_schedule(event: Event, topics: list[int]) -> None:
    problems = rules.schedule_problems(event.kind, event.starts_at, event.ends_at,
                                       event.registration_closes_at, topics)
    if problems:
        raise InvalidEvent("The event's dates or topics do not fit together.", errors=[
            field_error(["body", p.field], p.msg, p.type) for p in problems])


def _set_topics(session: Session, event: Event, numbers: list[int]) -> None:
    assert event.id is not None
    wanted = set(topic_ids(session, numbers))
    current = session.exec(select(EventTopic).where(EventTopic.event_id == event.id)).all()
    for row in current:
        if row.topic_id not in wanted:
            session.delete(row)
    have = {row.topic_id for row in current}
    for topic_id in sorted(wanted - have):
        session.add(EventTopic(event_id=event.id, topic_id=topic_id))


def _current_topics(session: Session, event_id: int) -> list[int]:
    return list(session.exec(
        select(FutureTopic.number).join(EventTopic, col(EventTopic.topic_id) == col(FutureTopic.id))
        .where(EventTopic.event_id == event_id)).all())


def _check_workgroup(session: Session, workgroup_id: int | None) -> None:
    if workgroup_id is not None and session.get(Workgroup, workgroup_id) is None:
        raise UnknownReference(f"No workgroup {workgroup_id}.", errors=[
            field_error(["body", "workgroup_id"], f"no workgroup {workgroup_id}", "not_found")])


def _touch(event: Event) -> None:
    event.version += 1
    event.updated_at = utcnow()


def create_event(session: Session, data: EventCreate, principal: Principal) -> EventRead:
    """A new event, always a draft."""
    cycle_id = cycle_id_of(session, data.cycle, ["body", "cycle"]) if data.cycle else None
    _check_workgroup(session, data.workgroup_id)
    now = utcnow()
    event = Event(**data.model_dump(include=set(_PLAIN)), cycle_id=cycle_id,
                  status=EventStatus.draft, created_at=now, updated_at=now)
    _check_schedule(event, data.topics)
    session.add(event)
    session.flush()
    _set_topics(session, event, data.topics)
    session.commit()
    return to_read(session, event, principal)


def update_event(session: Session, event_id: int, data: EventUpdate, if_match: str | None,
                 principal: Principal) -> EventRead:
    event = get_event(session, event_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, event_id, event.version)
    if event.status == EventStatus.cancelled:
        raise EventCancelled(f"Event {event_id} is cancelled and cannot change.")
    given = data.model_fields_set
    nulls = [name for name in _NOT_NULL if name in given and getattr(data, name) is None]
    if nulls:
        raise InvalidEvent("These fields cannot be emptied.", errors=[
            field_error(["body", name], "may not be null", "not_null") for name in nulls])
    changes: dict[str, Any] = {name: getattr(data, name) for name in _PLAIN if name in given}
    if "cycle" in given:
        changes["cycle_id"] = cycle_id_of(session, data.cycle, ["body", "cycle"]) if data.cycle else None
    if "workgroup_id" in given:
        _check_workgroup(session, data.workgroup_id)
    changed = {k: v for k, v in changes.items() if getattr(event, k) != v}
    topics = _current_topics(session, event_id)
    new_topics = sorted(data.topics) if data.topics is not None else sorted(topics)
    if not changed and new_topics == sorted(topics):
        return to_read(session, event, principal)
    for key, value in changed.items():
        setattr(event, key, value)
    _check_schedule(event, new_topics)
    if changed.get("capacity") is not None:
        registered = registered_count(session, event_id)
        if changed["capacity"] < registered:
            raise CapacityBelowRegistered(
                f"{registered} delegates are registered; the capacity cannot go below that.",
                errors=[field_error(["body", "capacity"], f"at least {registered}", "too_small")])
    if changed.get("invitation_only") is True:
        _ensure_delegates_invited(session, event_id)
    _set_topics(session, event, new_topics)
    _touch(event)
    session.add(event)
    # More places, no limit, or registration open again (a later deadline or start): the
    # waiting list moves up.
    if changed.keys() & {"capacity", "registration_closes_at", "starts_at"}:
        waitlist.promote_waiting(session, event)
    session.commit()
    return to_read(session, event, principal)


def _ensure_delegates_invited(session: Session, event_id: int) -> None:
    """An event becomes invitation-only: every alliance with registered delegates must be
    invited first, or its delegates would hold places in an event it can no longer see."""
    uninvited = sorted(set(session.exec(select(EventDelegate.alliance_id).where(
        EventDelegate.event_id == event_id, EventDelegate.status == DelegateStatus.registered,
        col(EventDelegate.alliance_id).not_in(
            select(EventInvitation.alliance_id).where(EventInvitation.event_id == event_id)),
    )).all()))
    if uninvited:
        raise UninvitedDelegates(
            f"Alliances {uninvited} have delegates registered but no invitation; invite them "
            "first (POST …/invitations) or withdraw their delegates.",
            errors=[field_error(["body", "invitation_only"],
                                f"alliances {uninvited} are not invited", "uninvited_delegates")])


def delete_event(session: Session, event_id: int, if_match: str | None) -> None:
    """Only a draft that no delegate was ever registered for; cancel a published event."""
    event = get_event(session, event_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, event_id, event.version)
    if session.exec(select(EventDelegate.id).where(EventDelegate.event_id == event_id)).first():
        raise EventHasDelegates(f"Event {event_id} has delegates; cancel it instead.")
    if event.status != EventStatus.draft:
        raise InvalidEventTransition(
            f"Event {event_id} is {event.status}; only drafts can be deleted (cancel instead).",
            allowed=rules.allowed_actions(event.status))
    for model in (EventTopic, EventInvitation):
        for row in session.exec(select(model).where(col(model.event_id) == event_id)).all():
            session.delete(row)
    session.flush()
    session.delete(event)
    session.commit()


def _step(session: Session, event_id: int, action: str, if_match: str | None) -> Event:
    event = get_event(session, event_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, event_id, event.version)
    target = rules.target_of(action, event.status)
    if target is None:
        raise InvalidEventTransition(f"Event {event_id} is {event.status}; cannot {action}.",
                                     allowed=rules.allowed_actions(event.status))
    event.status = target
    _touch(event)
    session.add(event)
    return event


def publish_event(session: Session, event_id: int, if_match: str | None,
                  principal: Principal) -> EventRead:
    event = _step(session, event_id, "publish", if_match)
    invitation_mail.mail_pending(session, event)  # invitations made while it was a draft
    emitting.event_changed(session, EventType.event_published, event)
    session.commit()
    return to_read(session, event, principal)


def cancel_event(session: Session, event_id: int, if_match: str | None,
                 principal: Principal) -> EventRead:
    """Cancel, and tell every registered delegate by e-mail (their registrations stay). An
    event that has ended took place: it is not cancelled afterwards."""
    if utcnow() >= get_event(session, event_id).ends_at:
        raise EventOver(f"Event {event_id} has ended; it cannot be cancelled any more.")
    event = _step(session, event_id, "cancel", if_match)
    recipients = session.exec(select(EventDelegate.email).where(
        EventDelegate.event_id == event_id,
        col(EventDelegate.status).in_([DelegateStatus.registered, DelegateStatus.waitlisted]),
        col(EventDelegate.email).is_not(None))).all()
    subject = texts.cancellation_subject(event.title)
    body = texts.cancellation_body(event.kind, event.title, event.starts_at, event.venue)
    for email in sorted({e for e in recipients if e}):
        outbox.enqueue(session, email, subject, body)
    emitting.event_changed(session, EventType.event_cancelled, event)
    session.commit()
    return to_read(session, event, principal)
