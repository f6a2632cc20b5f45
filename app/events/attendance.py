"""Attendance (Servicebüro): who came. From the event's start on, for registered delegates
only, never for a cancelled event; one delegate at a time or a bulk list that is applied all
or nothing (each refused item named by its index in ``errors[].loc``). The counts per event
(registered, waitlisted, withdrawn, attended, no-show) are a summary of their own.
"""

from datetime import datetime

from sqlmodel import Session, col, func, select

from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import field_error
from app.events.delegates import to_read, visible_delegate
from app.events.exceptions import (
    DelegateNotRegistered,
    EventCancelled,
    EventNotStarted,
    InvalidAttendance,
)
from app.events.models import Attendance, DelegateStatus, Event, EventDelegate, EventStatus
from app.events.queries import get_event
from app.events.schemas import (
    AttendanceBulk,
    AttendanceReport,
    AttendanceSet,
    DelegateRead,
    EventCounts,
)


def attendance_open(event: Event, now: datetime) -> bool:
    return event.status != EventStatus.cancelled and now >= event.starts_at


def _ensure_open(event: Event, now: datetime) -> None:
    if event.status == EventStatus.cancelled:
        raise EventCancelled(f"Event {event.id} has been cancelled; nobody attended.")
    if now < event.starts_at:
        raise EventNotStarted(f"Event {event.id} has not begun; attendance is recorded from "
                              f"{event.starts_at.isoformat()} on.")


def _apply(delegate: EventDelegate, value: Attendance | None, principal: Principal,
           now: datetime) -> bool:
    if delegate.attendance == value:
        return False
    delegate.attendance = value
    delegate.attendance_recorded_at = now if value is not None else None
    delegate.attendance_recorded_by = principal.actor if value is not None else None
    delegate.updated_at = now
    return True


def record_one(session: Session, event_id: int, delegate_id: int, data: AttendanceSet,
               principal: Principal) -> DelegateRead:
    event = get_event(session, event_id, for_update=True)
    now = utcnow()
    _ensure_open(event, now)
    delegate = visible_delegate(session, event_id, delegate_id, principal, for_update=True)
    if delegate.status != DelegateStatus.registered:
        raise DelegateNotRegistered(f"Delegate {delegate_id} is {delegate.status}; attendance "
                                    "is recorded for registered delegates only.")
    if _apply(delegate, data.attendance, principal, now):
        session.add(delegate)
        session.commit()
    return to_read(session, delegate)


def record_bulk(session: Session, event_id: int, data: AttendanceBulk,
                principal: Principal) -> AttendanceReport:
    event = get_event(session, event_id, for_update=True)
    now = utcnow()
    _ensure_open(event, now)
    wanted = [item.delegate_id for item in data.items]
    rows = {d.id: d for d in session.exec(select(EventDelegate).where(
        EventDelegate.event_id == event_id, col(EventDelegate.id).in_(wanted))
        .with_for_update()).all()}
    errors, seen = [], set()
    for index, item in enumerate(data.items):
        loc: list[str | int] = ["body", "items", index, "delegate_id"]
        delegate = rows.get(item.delegate_id)
        if item.delegate_id in seen:
            errors.append(field_error(loc, "named twice in this list", "duplicate"))
        elif delegate is None:
            errors.append(field_error(loc, f"no delegate {item.delegate_id} for this event",
                                      "not_found"))
        elif delegate.status != DelegateStatus.registered:
            errors.append(field_error(loc, f"delegate is {delegate.status}, not registered",
                                      "not_registered"))
        seen.add(item.delegate_id)
    if errors:
        raise InvalidAttendance(f"{len(errors)} of {len(data.items)} items cannot be recorded; "
                                "nothing was changed.", errors=errors)
    updated = 0
    for item in data.items:
        if _apply(rows[item.delegate_id], item.attendance, principal, now):
            session.add(rows[item.delegate_id])
            updated += 1
    session.commit()
    return AttendanceReport(updated=updated, counts=_counts(session, event, now))


def _counts(session: Session, event: Event, now: datetime) -> EventCounts:
    assert event.id is not None
    rows = session.exec(select(EventDelegate.status, EventDelegate.attendance, func.count())
                        .where(EventDelegate.event_id == event.id)
                        .group_by(col(EventDelegate.status), col(EventDelegate.attendance))).all()
    by_status: dict[str, int] = {}
    by_attendance: dict[str | None, int] = {}
    for status, attendance, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status == DelegateStatus.registered:
            by_attendance[attendance] = by_attendance.get(attendance, 0) + n
    return EventCounts(
        event_id=event.id, capacity=event.capacity,
        registered=by_status.get(DelegateStatus.registered, 0),
        waitlisted=by_status.get(DelegateStatus.waitlisted, 0),
        withdrawn=by_status.get(DelegateStatus.withdrawn, 0),
        attended=by_attendance.get(Attendance.attended, 0),
        no_show=by_attendance.get(Attendance.no_show, 0),
        not_recorded=by_attendance.get(None, 0),
        attendance_open=attendance_open(event, now),
    )


def event_counts(session: Session, event_id: int) -> EventCounts:
    return _counts(session, get_event(session, event_id), utcnow())
