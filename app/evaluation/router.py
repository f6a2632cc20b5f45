from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from app.alliances.schemas import StateCode
from app.auth.deps import AdminUser, CurrentUser, admin_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.ids import RowId
from app.core.limits import NoStore
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter
from app.cycles.deps import CyclePath
from app.evaluation import queries, reads, service
from app.evaluation.schemas import (
    CriteriaSetIn,
    CriteriaSetRead,
    EvaluationRead,
    EvaluationRunCreate,
    EvaluationRunRead,
    PreviewRead,
)

router = ApiRouter(prefix="/cycles", tags=["evaluation"], dependencies=[NoStore],
                   responses=problem_responses(401, 403))
PageDep = Annotated[PageParams, Depends(page_params)]


def _criteria_etag(etag: ETagWriter, criteria: CriteriaSetRead) -> None:
    etag.row("criteria", criteria.cycle_id, service.criteria_version(criteria.criteria), criteria)


@router.get("/{cycle}/criteria", name="criteria-get", response_model=CriteriaSetRead,
            responses=problem_responses(404), summary="The cycle's seal criteria")
async def get_criteria(cycle: CyclePath, db: DbDep, _: CurrentUser, etag: SetETag) -> CriteriaSetRead:
    criteria = await db.run(service.read_criteria, cycle)
    _criteria_etag(etag, criteria)
    return criteria


@router.put("/{cycle}/criteria", name="criteria-replace", response_model=CriteriaSetRead,
            dependencies=[Depends(admin_user)], responses=problem_responses(404, 409, 412, 422),
            summary="Replace the cycle's seal criteria (Servicebüro)")
async def replace_criteria(
    cycle: CyclePath, body: CriteriaSetIn, db: DbDep, etag: SetETag, if_match: IfMatch = None,
) -> CriteriaSetRead:
    criteria = await db.run(service.replace_criteria, cycle, body, if_match)
    _criteria_etag(etag, criteria)
    return criteria


@router.post("/{cycle}/criteria:copy", name="criteria-copy", response_model=CriteriaSetRead,
             dependencies=[Depends(admin_user)], responses=problem_responses(404, 409, 412, 422),
             summary="Copy the seal criteria of another cycle into this one (until it is evaluated)")
async def copy_criteria(
    cycle: CyclePath, db: DbDep, etag: SetETag,
    from_: Annotated[str, Query(alias="from", max_length=20, examples=["2024-25"],
                                description="The cycle to copy from (id, slug or key)")],
    replace: Annotated[bool, Query(description="Overwrite the criteria this cycle has")] = False,
    if_match: IfMatch = None,
) -> CriteriaSetRead:
    criteria = await db.run(service.copy_criteria, cycle, from_, replace, if_match)
    _criteria_etag(etag, criteria)
    return criteria


@router.post("/{cycle}/criteria:preview", name="criteria-preview", response_model=PreviewRead,
             dependencies=[Depends(admin_user)], responses=problem_responses(404, 422),
             summary="What a draft criteria set would decide now (nothing is saved)")
async def preview_criteria(cycle: CyclePath, body: CriteriaSetIn, db: DbDep) -> PreviewRead:
    return await db.run(service.preview, cycle, body)


@router.post("/{cycle}/evaluation", name="evaluation-runs-create", response_model=EvaluationRunRead,
             status_code=status.HTTP_201_CREATED, responses=problem_responses(404, 409, 422),
             summary="Evaluate every submitted response with the current criteria (a new run)")
async def start_run(
    cycle: CyclePath, body: EvaluationRunCreate, db: DbDep, principal: AdminUser, response: Response,
) -> EvaluationRunRead:
    run = await db.run(service.start_run, cycle, body, principal)
    response.headers["Location"] = f"/api/v1/cycles/{cycle}/evaluation/runs/{run.id}"
    return run


@router.get("/{cycle}/evaluation/runs", name="evaluation-runs-list",
            response_model=Page[EvaluationRunRead], dependencies=[Depends(admin_user)],
            responses=problem_responses(404, 422), summary="Every evaluation run, newest first")
async def list_runs(
    cycle: CyclePath, request: Request, response: Response, db: DbDep, page: PageDep,
) -> Page[EvaluationRunRead]:
    items, cursor, total = await db.run(queries.list_runs, cycle, page)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.get("/{cycle}/evaluation/runs/{run_id}", name="evaluation-runs-get",
            response_model=EvaluationRunRead, dependencies=[Depends(admin_user)],
            responses=problem_responses(404))
async def get_run(cycle: CyclePath, run_id: RowId, db: DbDep) -> EvaluationRunRead:
    return await db.run(queries.get_run, cycle, run_id)


@router.get("/{cycle}/evaluations", name="evaluations-list", response_model=Page[EvaluationRead],
            dependencies=[Depends(admin_user)], responses=problem_responses(404, 422),
            summary="The shortlist: results of the latest run (or of `run_id`)")
async def list_evaluations(
    cycle: CyclePath, request: Request, response: Response, db: DbDep, page: PageDep,
    meets_criteria: bool | None = None,
    invited: Annotated[bool | None, Query(description="Invited to Projekt Zukunft")] = None,
    state: StateCode | None = None,
    run_id: Annotated[RowId | None, Query(description="An earlier run; default the latest")] = None,
    sort: reads.EvaluationSort = "-activity_score",
) -> Page[EvaluationRead]:
    # A count grows with the data: it runs in a worker thread, not in the event loop.
    read = db.read_in_thread if page.include_total else db.read
    items, cursor, total = await read(
        reads.list_evaluations, cycle, page, meets_criteria=meets_criteria, invited=invited,
        state=state, run_id=run_id, sort=sort,
    )
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.get("/{cycle}/evaluations/mine", name="evaluations-mine", response_model=EvaluationRead,
            responses=problem_responses(404), summary="My alliance's result, with the reasons")
async def read_mine(cycle: CyclePath, db: DbDep, principal: CurrentUser) -> EvaluationRead:
    return await db.read(reads.read_mine, cycle, principal)


@router.get("/{cycle}/evaluations/{alliance_id}", name="evaluations-get",
            response_model=EvaluationRead, responses=problem_responses(404, 422),
            summary="One alliance's result (admins; alliance users for their own alliance)")
async def read_for_alliance(
    cycle: CyclePath, alliance_id: RowId, db: DbDep, principal: CurrentUser,
) -> EvaluationRead:
    return await db.read(reads.read_for_alliance, cycle, alliance_id, principal)
