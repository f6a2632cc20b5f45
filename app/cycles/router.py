"""/api/v1/cycles: award cycles and their status steps. Reads for everyone signed in, writes for
the Servicebüro (the admin router carries the admin dependency on every route)."""

from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from app.auth.deps import admin_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter
from app.cycles import service
from app.cycles.deps import CyclePath, CycleReader
from app.cycles.models import CycleStatus
from app.cycles.schemas import CycleCreate, CycleRead, CycleSort, CycleUpdate

router = ApiRouter(prefix="/cycles", tags=["cycles"], responses=problem_responses(401, 403))
admin_router = ApiRouter(prefix="/cycles", tags=["cycles"], dependencies=[Depends(admin_user)],
                         responses=problem_responses(401, 403))
PageDep = Annotated[PageParams, Depends(page_params)]


def _etag(etag: ETagWriter, cycle: CycleRead) -> None:
    etag.row(service.ETAG_RESOURCE, cycle.id, cycle.version, cycle)


@router.get("", name="cycles-list", response_model=Page[CycleRead],
            responses=problem_responses(422), summary="List award cycles, newest first")
async def list_cycles(
    request: Request, response: Response, db: DbDep, _: CycleReader, page: PageDep,
    status_: Annotated[list[CycleStatus] | None, Query(
        alias="status", max_length=6, description="Only cycles in these statuses (repeat for several)",
    )] = None,
    sort: CycleSort = "-key",
) -> Page[CycleRead]:
    items, cursor, total = await db.run(service.list_cycles, page, statuses=status_, sort=sort)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.get("/{cycle}", name="cycles-get", response_model=CycleRead,
            responses=problem_responses(404), summary="One cycle by id, slug or key")
async def get_cycle(cycle: CyclePath, db: DbDep, _: CycleReader, etag: SetETag) -> CycleRead:
    found = await db.run(service.read_cycle, cycle)
    _etag(etag, found)
    return found


@admin_router.post("", name="cycles-create", response_model=CycleRead,
                   status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 422),
                   summary="Create a cycle (a draft, or a past one as awarded/archived)")
async def create_cycle(body: CycleCreate, db: DbDep, response: Response, etag: SetETag) -> CycleRead:
    cycle = await db.run(service.create_cycle, body)
    response.headers["Location"] = f"/api/v1/cycles/{cycle.slug}"
    _etag(etag, cycle)
    return cycle


@admin_router.patch("/{cycle}", name="cycles-update", response_model=CycleRead,
                    responses=problem_responses(404, 409, 412, 422),
                    summary="Change a cycle's key, title, window or ceremony")
async def update_cycle(
    cycle: CyclePath, body: CycleUpdate, db: DbDep, etag: SetETag, if_match: IfMatch = None,
) -> CycleRead:
    updated = await db.run(service.update_cycle, cycle, body, if_match)
    _etag(etag, updated)
    return updated


@admin_router.delete("/{cycle}", name="cycles-delete", status_code=status.HTTP_204_NO_CONTENT,
                     responses=problem_responses(404, 409, 412),
                     summary="Delete a cycle that has no history yet")
async def delete_cycle(cycle: CyclePath, db: DbDep, if_match: IfMatch = None) -> Response:
    await db.run(service.delete_cycle, cycle, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _action_route(action: str, summary: str, description: str) -> None:
    async def endpoint(
        cycle: CyclePath, db: DbDep, etag: SetETag, if_match: IfMatch = None,
    ) -> CycleRead:
        moved = await db.run(service.run_action, cycle, action, if_match)
        _etag(etag, moved)
        return moved

    admin_router.add_api_route(
        f"/{{cycle}}/{action}", endpoint, methods=["POST"], name=f"cycles-{action}",
        response_model=CycleRead, responses=problem_responses(404, 409, 412),
        summary=summary, description=description,
    )


_action_route(
    "open-survey", "Open the survey (draft or survey_closed → survey_open)",
    "Needs at least one question and a window whose end lies in the future. From survey_closed "
    "it reopens the survey, e.g. after the deadline was extended. The questionnaire is frozen "
    "from now on.",
)
_action_route(
    "close-survey", "Close the survey (survey_open → survey_closed)",
    "Closing before the planned end moves closes_at to now, so the window shows when answers "
    "really stopped.",
)
_action_route(
    "mark-evaluated", "Mark the cycle evaluated (survey_closed → evaluated)",
    "Needs at least one evaluation run of the cycle. Evaluation runs never change the status "
    "themselves: this is the explicit step after them (runs may be repeated before and after).",
)
_action_route(
    "mark-awarded", "Mark the seal awarded (evaluated → awarded)",
    "Needs at least one confirmed award. The seal title is fixed from now on.",
)
_action_route(
    "archive", "Archive the cycle (awarded → archived)",
    "The cycle becomes read-only history.",
)
