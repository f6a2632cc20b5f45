from typing import Annotated

from fastapi import Body, Depends, Query, Request, Response, status

from app.alliances.schemas import StateCode
from app.auth.deps import AdminUser, admin_user, person_check, signed_in_caller
from app.auth.principal import Principal
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.limits import NoStore
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter
from app.cycles.deps import CyclePath
from app.notices import export, queries, reminders, service
from app.notices.exceptions import NotAllianceMember
from app.notices.schemas import (
    AllianceNoticeRead,
    MyNoticeStatus,
    NoticeFilter,
    NoticeSendReport,
    NoticeSendRequest,
    ReminderReport,
)

router = ApiRouter(prefix="/cycles", tags=["notices"], dependencies=[NoStore],
                   responses=problem_responses(401, 403))
PageDep = Annotated[PageParams, Depends(page_params)]


@person_check
async def alliance_member(request: Request) -> Principal:
    principal = signed_in_caller(request)
    if principal.kind != "user" or principal.alliance_id is None:
        raise NotAllianceMember("Only people acting for an alliance have their own notices; "
                                "the Servicebüro uses the cycle's notice overview.")
    return principal


AllianceMember = Annotated[Principal, Depends(alliance_member)]


@router.post("/{cycle}/notices", name="notices-send", response_model=NoticeSendReport,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[Depends(admin_user)],
             responses=problem_responses(404, 409, 422),
             summary="Queue the survey notice for eligible alliances not yet reached")
async def send_notices(
    cycle: CyclePath, db: DbDep, principal: AdminUser,
    body: Annotated[NoticeSendRequest | None, Body()] = None,
) -> NoticeSendReport:
    """Queues one e-mail per contact address and returns at once; delivery, with retries,
    happens in the background. Alliances already reached, still in delivery or without any
    contact e-mail are listed in the reply."""
    return await db.run(service.send_notices, cycle, body or NoticeSendRequest(), principal)


@router.get("/{cycle}/notices", name="notices-list", response_model=Page[AllianceNoticeRead],
            dependencies=[Depends(admin_user)], responses=problem_responses(404, 422),
            summary="Alliances and their survey notices; status=missing: not reached yet")
async def list_notices(
    request: Request, response: Response, cycle: CyclePath, db: DbDep, page: PageDep,
    status_: Annotated[NoticeFilter | None, Query(alias="status")] = None,
    state: StateCode | None = None,
) -> Page[AllianceNoticeRead]:
    items, cursor, total = await db.run(
        queries.list_notices, cycle, page, status=status_, state=state
    )
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.get("/{cycle}/notices/mine", name="notices-mine", response_model=MyNoticeStatus,
            responses=problem_responses(404), summary="Were we reached? The own alliance's notices")
async def my_notices(cycle: CyclePath, db: DbDep, principal: AllianceMember) -> MyNoticeStatus:
    return await db.run(queries.my_notices, cycle, principal)


@router.post("/{cycle}/notices/mine:resend", name="notices-resend-mine",
             response_model=MyNoticeStatus, status_code=status.HTTP_202_ACCEPTED,
             responses=problem_responses(404, 409, 422, 429),
             summary="Ask for the survey notice again (once per 24 hours)")
async def resend_my_notice(cycle: CyclePath, db: DbDep, principal: AllianceMember) -> MyNoticeStatus:
    return await db.run(service.resend_mine, cycle, principal)


@router.post("/{cycle}/notices:remind", name="notices-remind", response_model=ReminderReport,
             status_code=status.HTTP_202_ACCEPTED, dependencies=[Depends(admin_user)],
             responses=problem_responses(404, 409, 422),
             summary="Remind reached alliances that have not submitted (interval and cap apply)")
async def send_reminders(
    cycle: CyclePath, db: DbDep, principal: AdminUser,
    dry_run: Annotated[bool, Query(description="Only report who would be reminded")] = False,
) -> ReminderReport:
    """Only while the survey accepts answers. Alliances reminded (or notified) less than
    `BUENDNIS_REMINDER_MIN_INTERVAL_DAYS` ago, or reminded `BUENDNIS_REMINDER_MAX_COUNT` times
    already, are skipped and counted per reason. Reminders are notices of kind `reminder` in the
    same history; a retry right after finds everyone too soon, so nothing is sent twice."""
    return await db.run(reminders.send_reminders, cycle, dry_run, principal)


@router.get("/{cycle}/notices/export.csv", name="notices-export-csv",
            response_class=Response, dependencies=[Depends(admin_user)],
            responses={200: {"description": "CSV for German Excel: `;`, UTF-8 with BOM, German "
                             "headers, dates TT.MM.JJJJ HH:MM (German time), ja/nein",
                             "content": {"text/csv": {"schema": {"type": "string"}}}},
                       **problem_responses(404, 422)},
            summary="The notice overview as CSV (status=missing: not reached; "
            "status=not_answered: reached, not submitted); audited")
async def export_notices(
    cycle: CyclePath, db: DbDep,
    status_: Annotated[NoticeFilter | None, Query(alias="status")] = None,
    state: StateCode | None = None,
) -> Response:
    filename, content = await db.run(export.notices_csv, cycle, status_, state)
    return Response(content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
