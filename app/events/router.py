"""Projekt Zukunft events: the public calendar, the Servicebüro's events and invitations, and
the delegates alliances register. Partner systems get 403 on everything but the public routes.
"""

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from app.alliances.schemas import StateCode
from app.auth.deps import AdminUser, CurrentUser, admin_user, current_user
from app.core.deps import DbDep
from app.core.errors import problem_responses, request_language
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.ids import RowId
from app.core.limits import NoStore
from app.core.pagination import Page, PageParams, UpdatedSince, page_params, set_link_header
from app.core.routing import ApiRouter
from app.core.timestamps import Timestamp
from app.events import delegates, export, invitations, queries, reads, service
from app.events.models import DelegateStatus, EventKind, EventStatus, InvitationBasis
from app.events.schemas import (
    CycleRef,
    DelegateCreate,
    DelegateRead,
    DelegateUpdate,
    EventCreate,
    EventRead,
    EventUpdate,
    FutureTopicRead,
    InvitationRead,
    InvitationsAdd,
    InvitationsAddReport,
    InvitationsGenerateReport,
    PublicEventRead,
    TopicNumber,
)
from app.reports import exports
from app.reports.schemas import CsvSeparator

router = ApiRouter(prefix="/events", tags=["events"], dependencies=[Depends(current_user), NoStore],
                   responses=problem_responses(401, 403))
public_router = ApiRouter(prefix="/public", tags=["public"])
PageDep = Annotated[PageParams, Depends(page_params)]
EventId = Annotated[RowId, Path(description="The event's id")]
DelegateId = Annotated[RowId, Path(description="The delegate's id")]
AllianceId = Annotated[RowId, Path(description="The invited alliance's id")]
TopicFilter = Annotated[TopicNumber | None, Query(description="Only events on this Zukunftsthema")]
ADMIN = [Depends(admin_user)]


async def visible_event_id(event_id: EventId, db: DbDep, principal: CurrentUser) -> int:
    """The event exists and the caller may see it, checked before the body is read: an alliance
    learns nothing, not even from a validation error, about events it may not see."""
    await db.run(queries.visible_event, event_id, principal)
    return event_id


VisibleEventId = Annotated[int, Depends(visible_event_id)]


def _etag(etag: ETagWriter, event: EventRead) -> None:
    etag.row(queries.ETAG_RESOURCE, event.id, event.version, event)


def _delegate_etag(etag: ETagWriter, delegate: DelegateRead) -> None:
    etag.row(delegates.ETAG_RESOURCE, delegate.id,
             int(delegate.updated_at.timestamp() * 1_000_000), delegate)


# --- public -------------------------------------------------------------------------------------

@public_router.get("/future-topics", name="public-future-topics-list",
                   response_model=Page[FutureTopicRead], responses=problem_responses(429),
                   summary="The four Zukunftsthemen")
async def list_future_topics(db: DbDep) -> Page[FutureTopicRead]:
    """The one list envelope of every listing; the four topics fit one page (`next_cursor` is
    always null)."""
    items = await db.run(queries.list_future_topics)
    return Page(items=items, next_cursor=None, total=None)


@public_router.get("/events", name="public-events-list", response_model=Page[PublicEventRead],
                   responses=problem_responses(422, 429),
                   summary="The public calendar: published public events, the next first")
async def list_public_events(
    request: Request, response: Response, db: DbDep, page: PageDep, topic: TopicFilter = None,
    kind: EventKind | None = None, state: StateCode | None = None,
    from_: Annotated[Timestamp | None, Query(alias="from", description="Events ending at or "
                                            "after this moment (default: now)")] = None,
    to: Annotated[Timestamp | None, Query(description="Events starting before this moment")] = None,
) -> Page[PublicEventRead]:
    read = db.read_in_thread if page.include_total else db.read  # a count grows with the data
    items, cursor, total = await read(reads.list_public_events, page, topic=topic, kind=kind,
                                      state=state, from_=from_, to=to)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


# --- events -------------------------------------------------------------------------------------

@router.get("", name="events-list", response_model=Page[EventRead],
            responses=problem_responses(422),
            summary="Events (admins: all, drafts too; alliance users: those open to them)")
async def list_events(
    request: Request, response: Response, db: DbDep, principal: CurrentUser, page: PageDep,
    status_: Annotated[EventStatus | None, Query(alias="status")] = None,
    kind: EventKind | None = None, topic: TopicFilter = None, cycle: CycleRef | None = None,
    sort: queries.EventSort = "starts_at",
) -> Page[EventRead]:
    read = db.read_in_thread if page.include_total else db.read  # a count grows with the data
    items, cursor, total = await read(reads.list_events, page, principal, status=status_,
                                      kind=kind, topic=topic, cycle=cycle, sort=sort)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("", name="events-create", response_model=EventRead,
             status_code=status.HTTP_201_CREATED, dependencies=ADMIN,
             responses=problem_responses(422), summary="Servicebüro: create an event (a draft)")
async def create_event(body: EventCreate, db: DbDep, principal: AdminUser,
                       response: Response, etag: SetETag) -> EventRead:
    event = await db.run(service.create_event, body, principal)
    response.headers["Location"] = f"/api/v1/events/{event.id}"
    _etag(etag, event)
    return event


@router.get("/{event_id}", name="events-get", response_model=EventRead,
            responses=problem_responses(404), summary="One event")
async def get_event(event_id: EventId, db: DbDep, principal: CurrentUser,
                    etag: SetETag) -> EventRead:
    event = await db.read(reads.read_event, event_id, principal)
    _etag(etag, event)
    return event


@router.patch("/{event_id}", name="events-update", response_model=EventRead, dependencies=ADMIN,
              responses=problem_responses(404, 409, 412, 422),
              summary="Servicebüro: change an event (not a cancelled one)")
async def update_event(event_id: EventId, body: EventUpdate, db: DbDep, principal: AdminUser,
                       etag: SetETag, if_match: IfMatch = None) -> EventRead:
    """The capacity cannot go below the delegates registered (409)."""
    event = await db.run(service.update_event, event_id, body, if_match, principal)
    _etag(etag, event)
    return event


@router.delete("/{event_id}", name="events-delete", status_code=status.HTTP_204_NO_CONTENT,
               dependencies=ADMIN, responses=problem_responses(404, 409, 412),
               summary="Servicebüro: delete a draft (cancel a published event instead)")
async def delete_event(event_id: EventId, db: DbDep, if_match: IfMatch = None) -> Response:
    await db.run(service.delete_event, event_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{event_id}/publish", name="events-publish", response_model=EventRead,
             dependencies=ADMIN, responses=problem_responses(404, 409, 412),
             summary="Servicebüro: publish a draft (opens registration)")
async def publish_event(event_id: EventId, db: DbDep, principal: AdminUser, etag: SetETag,
                        if_match: IfMatch = None) -> EventRead:
    event = await db.run(service.publish_event, event_id, if_match, principal)
    _etag(etag, event)
    return event


@router.post("/{event_id}/cancel", name="events-cancel", response_model=EventRead,
             dependencies=ADMIN, responses=problem_responses(404, 409, 412),
             summary="Servicebüro: cancel an event; registered delegates are told by e-mail")
async def cancel_event(event_id: EventId, db: DbDep, principal: AdminUser, etag: SetETag,
                       if_match: IfMatch = None) -> EventRead:
    event = await db.run(service.cancel_event, event_id, if_match, principal)
    _etag(etag, event)
    return event


# --- invitations (Servicebüro) ------------------------------------------------------------------

@router.get("/{event_id}/invitations", name="invitations-list",
            response_model=Page[InvitationRead], dependencies=ADMIN,
            responses=problem_responses(404, 422), summary="Servicebüro: who is invited, and why")
async def list_invitations(request: Request, response: Response, event_id: EventId, db: DbDep,
                           page: PageDep, basis: InvitationBasis | None = None) -> Page[InvitationRead]:
    items, cursor, total = await db.run(invitations.list_invitations, event_id, page, basis=basis)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("/{event_id}/invitations", name="invitations-add",
             response_model=InvitationsAddReport, dependencies=ADMIN,
             responses=problem_responses(404, 409, 422),
             summary="Servicebüro: invite alliances by hand (already invited ones are kept)")
async def add_invitations(event_id: EventId, body: InvitationsAdd, db: DbDep,
                          principal: AdminUser) -> InvitationsAddReport:
    """Each alliance invited by this call is mailed once (a published event with registration
    open); older invitations are not mailed again, nor mailed by this call if they never were
    (`emails_queued` counts this call's mails). Refused for a cancelled event (409
    `event_cancelled`) and for one that has ended (409 `event_over`)."""
    return await db.run(invitations.add_invitations, event_id, body, principal)


@router.post("/{event_id}/invitations:generate", name="invitations-generate",
             response_model=InvitationsGenerateReport, dependencies=ADMIN,
             responses=problem_responses(404, 409),
             summary="Servicebüro: invite by the rule of Projekt Zukunft (idempotent)")
async def generate_invitations(event_id: EventId, db: DbDep,
                               principal: AdminUser) -> InvitationsGenerateReport:
    """Exchanges, workshops, dialogues: the alliances the latest evaluation run of the event's
    cycle invited to Projekt Zukunft, and the seal alliances of the previous cycle. A ceremony:
    the seal alliances of the event's cycle. Existing invitations stay as they are; only the
    ones this call adds are mailed (`emails_queued`). Refused while the cycle has no evaluation
    run (409 `no_evaluation_run`), for a cancelled event (409 `event_cancelled`) and for one
    that has ended (409 `event_over`)."""
    return await db.run(invitations.generate_invitations, event_id, principal)


@router.delete("/{event_id}/invitations/{alliance_id}", name="invitations-delete",
               status_code=status.HTTP_204_NO_CONTENT, dependencies=ADMIN,
               responses=problem_responses(404, 409),
               summary="Servicebüro: take back an invitation (not while delegates are registered)")
async def delete_invitation(event_id: EventId, alliance_id: AllianceId, db: DbDep) -> Response:
    await db.run(invitations.remove_invitation, event_id, alliance_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- delegates ----------------------------------------------------------------------------------

@router.post("/{event_id}/delegates", name="delegates-create", response_model=DelegateRead,
             status_code=status.HTTP_201_CREATED, responses=problem_responses(404, 409, 422),
             summary="Register a delegate (alliance users for their own alliance)")
async def register_delegate(event_id: VisibleEventId, body: DelegateCreate, db: DbDep,
                            principal: CurrentUser, response: Response, etag: SetETag) -> DelegateRead:
    """Refused in this order: an alliance user's alliance may not see the event (a draft, or
    invitation-only, not public and without an invitation: 404), the event is cancelled or not
    published (409), registration has closed (409 `registration_closed`), the alliance is not
    invited to an invitation-only event (409 `not_invited`), the alliance has registered or
    waitlisted this e-mail already (409 `already_registered`). When no place is left the
    delegate joins the waiting list (`status: waitlisted`, `waiting_position`). The delegate
    gets a confirmation by e-mail."""
    delegate = await db.run(delegates.register_delegate, event_id, body, principal)
    response.headers["Location"] = f"/api/v1/events/{event_id}/delegates/{delegate.id}"
    _delegate_etag(etag, delegate)
    return delegate


@router.get("/{event_id}/delegates", name="delegates-list", response_model=Page[DelegateRead],
            responses=problem_responses(404, 422),
            summary="Delegates (admins: all; alliance users: their alliance's)")
async def list_delegates(
    request: Request, response: Response, event_id: EventId, db: DbDep, principal: CurrentUser,
    page: PageDep, status_: Annotated[DelegateStatus | None, Query(alias="status")] = None,
    alliance_id: Annotated[RowId | None, Query(description="Admins: one alliance's")] = None,
    updated_since: UpdatedSince = None,
) -> Page[DelegateRead]:
    items, cursor, total = await db.run(delegates.list_delegates, event_id, page, principal,
                                        status=status_, alliance_id=alliance_id,
                                        updated_since=updated_since)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


# Before /delegates/{delegate_id}, which would take export.csv.
@router.get("/{event_id}/delegates/export.csv", name="delegates-export-csv",
            response_class=StreamingResponse, dependencies=ADMIN,
            responses={200: {"description": "UTF-8 CSV with BOM: name, function, email, phone, "
                             "dietary_needs, alliance of every registered delegate (German "
                             "headings and values with Accept-Language: de)",
                             "content": {"text/csv": {"schema": {"type": "string"}}}},
                       **problem_responses(404, 422)},
            summary="Servicebüro: the registered delegates as CSV (audited)")
async def export_delegates(
    event_id: EventId, db: DbDep, request: Request,
    sep: Annotated[CsvSeparator, Query(description="`,` (default) or `;` for Excel")] = ",",
) -> StreamingResponse:
    table = await db.run(export.delegates_table, event_id, sep)
    table = table.for_reader(request_language(request))
    return StreamingResponse(
        exports.csv_chunks(db.run, table, sep), media_type=exports.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{table.filename("csv")}"',
                 "Cache-Control": "no-store", "Vary": "Accept-Language"})


@router.get("/{event_id}/delegates/{delegate_id}", name="delegates-get",
            response_model=DelegateRead, responses=problem_responses(404), summary="One delegate")
async def get_delegate(event_id: EventId, delegate_id: DelegateId, db: DbDep,
                       principal: CurrentUser, etag: SetETag) -> DelegateRead:
    delegate = await db.run(delegates.read_delegate, event_id, delegate_id, principal)
    _delegate_etag(etag, delegate)
    return delegate


@router.patch("/{event_id}/delegates/{delegate_id}", name="delegates-update",
              response_model=DelegateRead, responses=problem_responses(404, 409, 412, 422),
              summary="Change a delegate's details while registration is open")
async def update_delegate(event_id: VisibleEventId, delegate_id: DelegateId, body: DelegateUpdate,
                          db: DbDep, principal: CurrentUser, etag: SetETag,
                          if_match: IfMatch = None) -> DelegateRead:
    delegate = await db.run(delegates.update_delegate, event_id, delegate_id, body, if_match,
                            principal)
    _delegate_etag(etag, delegate)
    return delegate


@router.post("/{event_id}/delegates/{delegate_id}/withdraw", name="delegates-withdraw",
             response_model=DelegateRead, responses=problem_responses(404, 409, 412),
             summary="Withdraw a delegate; the place is free again")
async def withdraw_delegate(event_id: EventId, delegate_id: DelegateId, db: DbDep,
                            principal: CurrentUser, etag: SetETag,
                            if_match: IfMatch = None) -> DelegateRead:
    delegate = await db.run(delegates.withdraw_delegate, event_id, delegate_id, if_match,
                            principal)
    _delegate_etag(etag, delegate)
    return delegate
