"""Calendars (iCalendar, ``text/calendar``): one event as ``.ics`` (anyone for a public event,
signed-in people for the events they may see), and each alliance's personal feed at a secret
URL that its people or the Servicebüro create, replace and revoke.

The feed URL carries its own credential, since calendar apps cannot send bearer tokens; the
access log writes it masked (app/core/logging.py).
"""

from typing import Annotated, Any

import anyio
from fastapi import Depends, Path, Response, status

from app.auth.deps import CurrentUser, current_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.ids import RowId
from app.core.routing import ApiRouter
from app.events import calendar_service as service
from app.events.calendar import MEDIA_TYPE, CalendarDocument
from app.events.schemas_calendar import CalendarFeedCreated, CalendarFeedRead

public_router = ApiRouter(prefix="/public", tags=["public"])
events_router = ApiRouter(prefix="/events", tags=["events"], dependencies=[Depends(current_user)],
                          responses=problem_responses(401, 403))
feeds_router = ApiRouter(prefix="/alliances", tags=["events"],
                         dependencies=[Depends(current_user)],
                         responses=problem_responses(401, 403))

EventId = Annotated[RowId, Path(description="The event's id")]
AllianceId = Annotated[RowId, Path(description="The alliance's id")]
FeedToken = Annotated[str, Path(min_length=1, max_length=100,
                                description="The secret part of the feed URL (bcal_…)")]


def _ics(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description,
                  "content": {"text/calendar": {"schema": {"type": "string"}}}}}


async def _respond(document: CalendarDocument, cache_control: str, *,
                   attachment: bool = True) -> Response:
    body = await anyio.to_thread.run_sync(document.render)
    disposition = "attachment" if attachment else "inline"
    return Response(body, media_type=MEDIA_TYPE, headers={
        "Content-Disposition": f'{disposition}; filename="{document.filename}"',
        "Cache-Control": cache_control,
    })


@public_router.get("/events/{event_id}/calendar.ics", name="public-events-calendar",
                   response_class=Response,
                   responses={**_ics("The public event as iCalendar (Europe/Berlin)"),
                              **problem_responses(404, 422, 429)},
                   summary="A public event for the calendar (.ics)")
async def public_event_calendar(event_id: EventId, db: DbDep) -> Response:
    """Published public events, and their cancellation (`STATUS:CANCELLED`) once cancelled;
    any other event answers 404. Never carries the online link."""
    document = await db.run(service.public_event_ics, event_id)
    return await _respond(document, "public, max-age=300")


@public_router.get("/calendar-feeds/{feed_token}.ics", name="public-calendar-feed",
                   response_class=Response,
                   responses={**_ics("The alliance's events as iCalendar (Europe/Berlin)"),
                              **problem_responses(404, 422, 429)},
                   summary="An alliance's personal calendar feed (the URL is the credential)")
async def calendar_feed(feed_token: FeedToken, db: DbDep) -> Response:
    """Subscribe to this URL in a calendar app: the events the alliance is invited to or has
    registered delegates for, with the online link where it registered; cancelled ones with
    `STATUS:CANCELLED`. No bearer token. A replaced or revoked URL answers 404."""
    document = await db.run(service.feed_ics, feed_token)
    return await _respond(document, "no-store", attachment=False)


@events_router.get("/{event_id}/calendar.ics", name="events-calendar", response_class=Response,
                   responses={**_ics("The event as iCalendar (Europe/Berlin)"),
                              **problem_responses(404, 422)},
                   summary="An event for the calendar (.ics), as the caller may see it")
async def event_calendar(event_id: EventId, db: DbDep, principal: CurrentUser) -> Response:
    """The online link only for the Servicebüro and for alliances with registered delegates."""
    document = await db.run(service.event_ics, event_id, principal)
    return await _respond(document, "private, no-store")


@feeds_router.get("/{alliance_id}/calendar-feed", name="calendar-feeds-get",
                  response_model=CalendarFeedRead, responses=problem_responses(404, 422),
                  summary="The alliance's calendar feed (without its secret URL)")
async def get_calendar_feed(alliance_id: AllianceId, db: DbDep,
                            principal: CurrentUser) -> CalendarFeedRead:
    return await db.run(service.get_feed, alliance_id, principal)


@feeds_router.post("/{alliance_id}/calendar-feed", name="calendar-feeds-create",
                   response_model=CalendarFeedCreated, status_code=status.HTTP_201_CREATED,
                   responses=problem_responses(404, 422),
                   summary="A new secret feed URL for the alliance (replaces the previous one)")
async def create_calendar_feed(alliance_id: AllianceId, db: DbDep, principal: CurrentUser,
                               response: Response) -> CalendarFeedCreated:
    """The URL is shown only in this response; the previous URL stops working at once (use
    this to rotate a URL that got out)."""
    created = await db.run(service.create_feed, alliance_id, principal)
    response.headers["Cache-Control"] = "no-store"
    return created


@feeds_router.delete("/{alliance_id}/calendar-feed", name="calendar-feeds-revoke",
                     status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 422),
                     summary="Revoke the alliance's feed URL (it answers 404 from now on)")
async def revoke_calendar_feed(alliance_id: AllianceId, db: DbDep,
                               principal: CurrentUser) -> Response:
    await db.run(service.revoke_feed, alliance_id, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
