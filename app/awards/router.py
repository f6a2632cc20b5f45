from typing import Annotated

import anyio
from fastapi import Depends, File, Query, Request, Response, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from app.alliances.schemas import StateCode
from app.auth.deps import AdminUser, CurrentUser, admin_user
from app.awards import importer, registry, service, verification_page
from app.awards.exceptions import SealNotFound
from app.awards.models import AwardStatus
from app.awards.schemas import (
    AwardCreate,
    AwardImportReport,
    AwardRead,
    AwardsConfirm,
    AwardsConfirmReport,
    AwardWithdraw,
    PublicSeal,
    SealVerification,
)
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import IfMatch, SetETag
from app.core.ids import RowId
from app.core.negotiation import prefers_html
from app.core.pagination import Page, PageParams, UpdatedSince, page_params, set_link_header
from app.core.routing import ApiRouter
from app.cycles.deps import CyclePath

router = ApiRouter(tags=["awards"], responses=problem_responses(401, 403))
public_router = ApiRouter(prefix="/public/seals", tags=["public"])
PageDep = Annotated[PageParams, Depends(page_params)]
_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@router.post("/cycles/{cycle}/awards:confirm", name="awards-confirm",
             response_model=AwardsConfirmReport, responses=problem_responses(404, 409, 422),
             summary="Confirm the awards from the shortlist (idempotent)")
async def confirm_awards(
    cycle: CyclePath, body: AwardsConfirm, db: DbDep, principal: AdminUser,
) -> AwardsConfirmReport:
    return await db.run(service.confirm_awards, cycle, body, principal)


@router.post("/cycles/{cycle}/awards", name="awards-create", response_model=AwardRead,
             status_code=status.HTTP_201_CREATED, responses=problem_responses(404, 409, 422),
             summary="Add one award by hand, or re-add a withdrawn one (with a reason)")
async def add_award(
    cycle: CyclePath, body: AwardCreate, db: DbDep, principal: AdminUser, response: Response, etag: SetETag,
) -> AwardRead:
    award, _created = await db.run(service.add_award, cycle, body, principal)
    response.headers["Location"] = f"/api/v1/awards/{award.id}"
    etag.row("award", award.id, award.version, award)
    return award


@router.post("/cycles/{cycle}/awards:import", name="awards-import", response_model=AwardImportReport,
             responses=problem_responses(404, 409, 413, 415, 422),
             summary="Record a past cycle's seal alliances from CSV or XLSX (all or nothing)")
async def import_awards(
    cycle: CyclePath, db: DbDep, principal: AdminUser,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or Windows-1252, , or ;) or XLSX "
                                     "with columns slug or ags, and awarded_on")],
    dry_run: Annotated[bool, Query(description="Check and report, write nothing")] = False,
) -> AwardImportReport:
    table = await importer.parse_file(await file.read(), file.filename or "")
    return await db.run(importer.import_awards, cycle, table, file.filename or "", dry_run,
                        principal)


@router.get("/cycles/{cycle}/awards", name="awards-list", response_model=Page[AwardRead],
            responses=problem_responses(404, 422),
            summary="A cycle's awards (admins: all; alliance users: their own)")
async def list_awards(
    cycle: CyclePath, request: Request, response: Response, db: DbDep, principal: CurrentUser,
    page: PageDep, status_: Annotated[AwardStatus | None, Query(alias="status")] = None,
    updated_since: UpdatedSince = None,
) -> Page[AwardRead]:
    items, cursor, total = await db.run(service.list_cycle_awards, cycle, page, principal, status_,
                                        updated_since)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.get("/awards/{award_id}", name="awards-get", response_model=AwardRead,
            responses=problem_responses(404))
async def get_award(award_id: RowId, db: DbDep, principal: CurrentUser, etag: SetETag) -> AwardRead:
    award = await db.run(service.read_award, award_id, principal)
    etag.row("award", award.id, award.version, award)
    return award


@router.post("/awards/{award_id}/withdraw", name="awards-withdraw", response_model=AwardRead,
             dependencies=[Depends(admin_user)], responses=problem_responses(404, 409, 412, 422),
             summary="Withdraw an award (with a reason); its certificate stops being valid")
async def withdraw_award(
    award_id: RowId, body: AwardWithdraw, db: DbDep, etag: SetETag, if_match: IfMatch = None,
) -> AwardRead:
    award = await db.run(service.withdraw_award, award_id, body, if_match)
    etag.row("award", award.id, award.version, award)
    return award


@router.get("/awards/{award_id}/certificate.pdf", name="awards-certificate",
            response_class=Response, responses={200: {"content": _PDF, "description": "The PDF"},
                                                **problem_responses(404, 410)},
            summary="The certificate (Urkunde) as PDF, A4 landscape")
async def get_certificate(award_id: RowId, db: DbDep, principal: CurrentUser) -> Response:
    data = await db.run(service.certificate_data, award_id, principal)
    # reportlab costs ~100 ms of import: the first certificate pays it, not every start-up.
    from app.awards import certificate

    # Drawing takes a few milliseconds of CPU: keep it off the event loop.
    pdf = await anyio.to_thread.run_sync(certificate.render_certificate, data)
    filename = f"urkunde-{data['alliance_slug']}-{data['cycle_slug']}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


@public_router.get("", name="public-seals-list", response_model=Page[PublicSeal],
                   responses=problem_responses(422), summary="The public seal registry")
async def list_public_seals(
    request: Request, response: Response, db: DbDep, page: PageDep,
    cycle: Annotated[str | None, Query(max_length=20, description="Cycle key (2024/25), slug or id")] = None,
    state: StateCode | None = None,
) -> Page[PublicSeal]:
    """Standing seals „Ausgezeichnetes Bündnis“ (a withdrawn one is not listed), ordered by
    alliance name, then alliance, then seal; no personal data."""
    read = db.read_in_thread if page.include_total else db.read  # a count grows with the data
    items, cursor, total = await read(registry.list_public_seals, page, cycle, state)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


_HTML_PAGE = {verification_page.HTML_MEDIA_TYPE: {"schema": {"type": "string"}}}
_NOT_FOUND = problem_responses(404)[404]


@public_router.get(
    "/verify/{code}", name="public-seals-verify", response_model=SealVerification,
    responses={
        200: {"description": "The seal: JSON for programs; a German HTML page for a browser "
                             "(Accept prefers text/html)", "content": _HTML_PAGE},
        404: {**_NOT_FOUND, "content": {**_NOT_FOUND["content"], **_HTML_PAGE}},
    },
    summary="Check a certificate's verification code")
async def verify_seal(
    code: Annotated[str, PathParam(max_length=40, description="As printed on the certificate")],
    request: Request, response: Response, db: DbDep,
) -> SealVerification | Response:
    """The certificate's QR code leads here (unless BUENDNIS_FRONTEND_BASE_URL sends people to
    the SPA). A browser gets a small German page, valid or withdrawn, with a strict
    Content-Security-Policy; everyone else the JSON document."""
    if not prefers_html(request.headers.get("accept")):
        response.headers["Vary"] = "Accept"
        return await db.run(service.verify, code)
    headers = {**verification_page.PAGE_HEADERS, "Vary": "Accept"}
    try:
        seal = await db.run(service.verify, code)
    except SealNotFound:
        return HTMLResponse(verification_page.render_unknown(code), status_code=404,
                            headers=headers)
    return HTMLResponse(verification_page.render_verification(seal), headers=headers)
