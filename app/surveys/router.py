"""Survey responses of a cycle: one per alliance, the partner batch and the file import.

``{cycle}`` is the cycle's id or slug (``2024-25``).
"""

from typing import Annotated

from fastapi import (
    Body,
    Depends,
    File,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)

from app.alliances.schemas import StateCode
from app.auth.deps import AdminUser, CurrentUser
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.idempotency import IdempotencyKey, mark_replayed
from app.core.ids import RowId
from app.core.pagination import Page, PageParams, UpdatedSince, page_params, set_link_header
from app.core.routing import ApiRouter
from app.cycles.deps import CyclePath
from app.surveys import ingest
from app.surveys import service as responses
from app.surveys.deps import BulkSurveyWriter, SurveyReader
from app.surveys.models import ResponseMode, ResponseStatus
from app.surveys.schemas import (
    BatchResult,
    ImportMode,
    ReportedStatus,
    ResponseBatch,
    ResponseDraft,
    ResponseRead,
    ResponseReopen,
    ResponseRevisionRead,
)

router = ApiRouter(prefix="/cycles/{cycle}", tags=["surveys"],
                   responses=problem_responses(401, 403, 404))
PageDep = Annotated[PageParams, Depends(page_params)]
AllianceId = Annotated[RowId, Path(description="The alliance whose response it is")]


def _etag(etag: ETagWriter, read: ResponseRead) -> None:
    etag.row("response", read.id, read.version, read)


@router.get("/responses", name="responses-list", response_model=Page[ResponseRead],
            responses=problem_responses(422),
            summary="Responses of a cycle (admins: all; alliance users: their own; partner "
            "systems: those they pushed)")
async def list_responses(
    request: Request, response: Response, cycle: CyclePath, db: DbDep, principal: SurveyReader,
    page: PageDep,
    status_: Annotated[ResponseStatus | None, Query(alias="status")] = None,
    mode: ResponseMode | None = None,
    state: Annotated[StateCode | None, Query(description="Land of the alliance")] = None,
    reported_status: ReportedStatus | None = None,
    wants_seal: bool | None = None,
    wants_future_project: bool | None = None,
    sort: responses.SortField = "id", updated_since: UpdatedSince = None,
) -> Page[ResponseRead]:
    items, cursor, total = await db.run(
        responses.list_responses, cycle, page, principal, status=status_, mode=mode, state=state,
        reported_status=reported_status, wants_seal=wants_seal,
        wants_future_project=wants_future_project, sort=sort, updated_since=updated_since,
    )
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post(
    "/responses:batch", name="responses-batch", response_model=BatchResult,
    responses=problem_responses(409, 413, 422),
    summary="Partner systems: push many responses (idempotent with Idempotency-Key)",
    description="Up to 500 items (setting BUENDNIS_LIMIT_MAX_BATCH_ITEMS); each item is the "
    "complete state of one alliance's response and gets its own result: created, updated, "
    "unchanged or rejected (with a problem naming `[\"body\", \"items\", i, …]`). With "
    "`atomic=true` any rejected item writes nothing (422 listing every problem). Partner "
    "systems need the scope `surveys:write`, write only for their allowed alliances and only "
    "while the survey is open (else 409 `survey_closed`); their responses have mode "
    "`partner_import`. Admins may push too (mode `admin_entry`), also outside the window. A "
    "submitted response is not overwritten (item rejected with `response_submitted`).",
)
async def push_batch(
    cycle: CyclePath, db: DbDep, principal: BulkSurveyWriter, response: Response,
    body: Annotated[ResponseBatch, Body()], idempotency_key: IdempotencyKey = None,
) -> BatchResult:
    result, replayed = await db.run(ingest.push_batch, cycle, body, principal, idempotency_key)
    if replayed:
        mark_replayed(response)
    return result


@router.post(
    "/responses:import", name="responses-import", response_model=BatchResult,
    responses=problem_responses(409, 413, 415, 422),
    summary="Admins: import responses from CSV or XLSX (all or nothing)",
    description="Columns: `alliance` (id, slug or AGS), `wants_future_project`, `wants_seal`, "
    "`submit`, optional `reported_status`, `wants_finder_listing`, `ref`, and one column per "
    "question key. Booleans: ja/nein/true/false; multi-choice values separated by `|`; choice "
    "cells may hold the value or the label; dates YYYY-MM-DD or DD.MM.YYYY. CSV in UTF-8 or "
    "Windows-1252, comma or semicolon. Any problem (422, with `[\"file\", line, column]`) "
    "imports nothing; `dry_run=true` checks and reports without writing.",
)
async def import_responses(
    cycle: CyclePath, db: DbDep, principal: AdminUser,
    file: Annotated[UploadFile, File(description="CSV or XLSX; first row: column names")],
    mode: Annotated[ImportMode, Query(description="How the answers were taken")] = "admin_entry",
    dry_run: Annotated[bool, Query(description="Check and report only")] = False,
) -> BatchResult:
    table = await ingest.parse_file(await file.read(), file.filename or "")
    return await db.run(ingest.import_file, cycle, table, ResponseMode(mode), dry_run, principal)


@router.get("/responses/mine", name="responses-mine", response_model=ResponseRead,
            summary="The own alliance's response (alliance users)")
async def get_own_response(cycle: CyclePath, db: DbDep, principal: CurrentUser,
                           etag: SetETag) -> ResponseRead:
    read = await db.read(responses.read_own_response, cycle, principal)
    _etag(etag, read)
    return read


@router.get("/responses/{alliance_id}", name="responses-get", response_model=ResponseRead,
            summary="One alliance's response (alliance users: only their own)")
async def get_response(cycle: CyclePath, alliance_id: AllianceId, db: DbDep,
                       principal: SurveyReader, etag: SetETag) -> ResponseRead:
    read = await db.read(responses.read_response, cycle, alliance_id, principal)
    _etag(etag, read)
    return read


@router.put(
    "/responses/{alliance_id}", name="responses-save", response_model=ResponseRead,
    responses={201: {"description": "Created with the first save", "model": ResponseRead},
               **problem_responses(409, 412, 422)},
    summary="Save the draft (partial answers allowed)",
    description="Replaces the draft's content. Alliance users: their own alliance, while the "
    "survey is open. Admins: any alliance, also outside the window until the cycle is "
    "evaluated, e.g. answers from a phone interview (mode `phone_interview`, the default for "
    "admins, or `admin_entry`). Answers are type-checked; required ones are checked on submit.",
)
async def save_response(
    cycle: CyclePath, alliance_id: AllianceId, body: ResponseDraft, db: DbDep,
    principal: CurrentUser, response: Response, etag: SetETag, if_match: IfMatch = None,
) -> ResponseRead:
    read, created = await db.run(responses.save_response, cycle, alliance_id, body, if_match,
                                 principal)
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/api/v1/cycles/{cycle}/responses/{alliance_id}"
    _etag(etag, read)
    return read


@router.post(
    "/responses/{alliance_id}/submit", name="responses-submit", response_model=ResponseRead,
    responses=problem_responses(409, 412, 422),
    summary="Submit the saved draft (freezes it and computes the activity score)",
    description="Every required answer and both `wants_future_project` and `wants_seal` must "
    "be given (422 names each missing or wrong field). Alliance users: while the survey is "
    "open. Admins may submit on an alliance's behalf, also outside the window until the cycle "
    "is evaluated. Of two simultaneous submissions exactly one succeeds; the other gets 409.",
)
async def submit_response(cycle: CyclePath, alliance_id: AllianceId, db: DbDep,
                          principal: CurrentUser, etag: SetETag,
                          if_match: IfMatch = None) -> ResponseRead:
    read = await db.run(responses.submit_response, cycle, alliance_id, if_match, principal)
    _etag(etag, read)
    return read


@router.post("/responses/{alliance_id}/reopen", name="responses-reopen",
             response_model=ResponseRead, responses=problem_responses(409, 422),
             summary="Admins: reopen a submitted response so it can be changed again")
async def reopen_response(cycle: CyclePath, alliance_id: AllianceId, body: ResponseReopen,
                          db: DbDep, principal: AdminUser, etag: SetETag) -> ResponseRead:
    read = await db.run(responses.reopen_response, cycle, alliance_id, body.reason, principal)
    _etag(etag, read)
    return read


@router.get("/responses/{alliance_id}/history", name="responses-history",
            response_model=Page[ResponseRevisionRead], responses=problem_responses(422),
            summary="Answer history: every save, submit, reopen and import, oldest first")
async def response_history(request: Request, response: Response, cycle: CyclePath,
                           alliance_id: AllianceId, db: DbDep, principal: CurrentUser,
                           page: PageDep) -> Page[ResponseRevisionRead]:
    items, cursor, total = await db.run(responses.list_history, cycle, alliance_id, page, principal)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)
