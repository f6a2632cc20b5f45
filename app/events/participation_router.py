"""Servicebüro routes for who takes part in an event: the waiting list by hand, attendance
and the counts. Mounted next to app/events/router.py under /api/v1/events, admin only."""

from fastapi import Depends

from app.auth.deps import AdminUser, admin_user, current_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.limits import NoStore
from app.core.routing import ApiRouter
from app.events import attendance, delegates, waitlist_admin
from app.events.router import DelegateId, EventId, VisibleEventId
from app.events.schemas import (
    AttendanceBulk,
    AttendanceReport,
    AttendanceSet,
    DelegatePromote,
    DelegateRead,
    EventCounts,
)

router = ApiRouter(prefix="/events", tags=["events"],
                   dependencies=[Depends(current_user), Depends(admin_user), NoStore],
                   responses=problem_responses(401, 403))


def _delegate_etag(etag: ETagWriter, delegate: DelegateRead) -> None:
    etag.row(delegates.ETAG_RESOURCE, delegate.id,
             int(delegate.updated_at.timestamp() * 1_000_000), delegate)


@router.post("/{event_id}/delegates/{delegate_id}/promote", name="delegates-promote",
             response_model=DelegateRead, responses=problem_responses(404, 409, 412, 422),
             summary="Servicebüro: move a waitlisted delegate to a place (e-mailed)")
async def promote_delegate(event_id: VisibleEventId, delegate_id: DelegateId, db: DbDep,
                           principal: AdminUser, etag: SetETag,
                           body: DelegatePromote | None = None,
                           if_match: IfMatch = None) -> DelegateRead:
    """Possible from publication until the event begins, also after the registration
    deadline. Takes a free place; when every place is taken it is refused (409 `event_full`)
    unless `exceed_capacity` is true, an explicit override that puts the event above its
    capacity. Not waitlisted: 409 `delegate_not_waitlisted`."""
    delegate = await db.run(waitlist_admin.promote_by_hand, event_id, delegate_id,
                            body or DelegatePromote(), if_match, principal)
    _delegate_etag(etag, delegate)
    return delegate


@router.post("/{event_id}/delegates/{delegate_id}/remove-from-waitlist",
             name="delegates-remove-from-waitlist", response_model=DelegateRead,
             responses=problem_responses(404, 409, 412),
             summary="Servicebüro: take a delegate off the waiting list (status withdrawn)")
async def remove_from_waitlist(event_id: EventId, delegate_id: DelegateId, db: DbDep,
                               principal: AdminUser, etag: SetETag,
                               if_match: IfMatch = None) -> DelegateRead:
    delegate = await db.run(waitlist_admin.remove_by_hand, event_id, delegate_id, if_match,
                            principal)
    _delegate_etag(etag, delegate)
    return delegate


@router.put("/{event_id}/delegates/{delegate_id}/attendance", name="delegates-attendance-set",
            response_model=DelegateRead, responses=problem_responses(404, 409, 422),
            summary="Servicebüro: record whether a registered delegate attended")
async def set_attendance(event_id: VisibleEventId, delegate_id: DelegateId, body: AttendanceSet,
                         db: DbDep, principal: AdminUser, etag: SetETag) -> DelegateRead:
    """From the event's start on (before: 409 `event_not_started`), not for a cancelled
    event (409 `event_cancelled`), for registered delegates only (409
    `delegate_not_registered`). `null` clears the record."""
    delegate = await db.run(attendance.record_one, event_id, delegate_id, body, principal)
    _delegate_etag(etag, delegate)
    return delegate


@router.post("/{event_id}/attendance", name="events-attendance-bulk",
             response_model=AttendanceReport, responses=problem_responses(404, 409, 422),
             summary="Servicebüro: record attendance for many delegates at once (all or nothing)")
async def set_attendance_bulk(event_id: VisibleEventId, body: AttendanceBulk, db: DbDep,
                              principal: AdminUser) -> AttendanceReport:
    """Same rules as one at a time. An unknown, waitlisted, withdrawn or repeated delegate
    refuses the whole call (422 `invalid_attendance`, each item at
    `errors[].loc = ["body", "items", index, "delegate_id"]`)."""
    return await db.run(attendance.record_bulk, event_id, body, principal)


@router.get("/{event_id}/counts", name="events-counts", response_model=EventCounts,
            responses=problem_responses(404, 422),
            summary="Servicebüro: delegates registered, waitlisted, withdrawn, attended, no-show")
async def event_counts(event_id: EventId, db: DbDep) -> EventCounts:
    return await db.run(attendance.event_counts, event_id)
