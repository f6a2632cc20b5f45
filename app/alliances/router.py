from typing import Annotated, Literal

from fastapi import Depends, File, Path, Query, Request, Response, UploadFile, status

from app.alliances import importer, service
from app.alliances.deps import AllianceReader
from app.alliances.importer import ImportReport
from app.alliances.models import AllianceLevel, AllianceStatus
from app.alliances.schemas import (
    AllianceCreate,
    AllianceRead,
    AllianceUpdate,
    PublicAllianceRead,
    StateCode,
)
from app.auth.deps import CurrentUser, admin_user
from app.core.config import get_settings
from app.core.deps import DbDep
from app.core.errors import PayloadTooLarge, problem_responses
from app.core.etags import IfMatch, SetETag
from app.core.limits import NoStore
from app.core.pagination import Page, PageParams, UpdatedSince, page_params, set_link_header
from app.core.routing import ApiRouter

router = ApiRouter(prefix="/alliances", tags=["alliances"], dependencies=[NoStore],
                   responses=problem_responses(401, 403))
public_router = ApiRouter(prefix="/public/alliances", tags=["public"])
PageDep = Annotated[PageParams, Depends(page_params)]
# Ids are 32-bit integers: a larger one would overflow the database driver (a 500 on SQLite).
AllianceId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The alliance's id")]
Search = Annotated[str | None, Query(max_length=100, description="Part of name or municipality")]


@router.get("", name="alliances-list", response_model=Page[AllianceRead],
            responses=problem_responses(422))
async def list_alliances(
    request: Request, response: Response, db: DbDep, principal: AllianceReader, page: PageDep,
    state: StateCode | None = None, status_: Annotated[AllianceStatus | None, Query(alias="status")] = None,
    level: AllianceLevel | None = None, q: Search = None,
    sort: service.SortField = "name", updated_since: UpdatedSince = None,
) -> Page[AllianceRead]:
    # A count or a text search grows with the data: in a worker thread, not the event loop.
    read = db.read_in_thread if page.include_total or q else db.read
    items, cursor, total = await read(
        service.list_alliances, page, principal, state=state, status=status_, level=level, q=q,
        sort=sort, updated_since=updated_since,
    )
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("", name="alliances-create", response_model=AllianceRead,
             status_code=status.HTTP_201_CREATED, dependencies=[Depends(admin_user)],
             responses=problem_responses(409, 422))
async def create_alliance(body: AllianceCreate, db: DbDep, response: Response, etag: SetETag) -> AllianceRead:
    alliance = await db.run(service.create_alliance, body)
    response.headers["Location"] = f"/api/v1/alliances/{alliance.id}"
    etag.row("alliance", alliance.id, alliance.version, alliance)
    return alliance


@router.post("/import", name="alliances-import", response_model=ImportReport,
             dependencies=[Depends(admin_user)], responses=problem_responses(413, 415, 422),
             summary="Import alliances from CSV or XLSX (all or nothing)")
async def import_alliances(
    db: DbDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or Windows-1252, , or ;) or XLSX")],
    dry_run: bool = False,
) -> ImportReport:
    limit = get_settings().limits.max_body_bytes
    if file.size is not None and file.size > limit:
        raise PayloadTooLarge(f"The file is larger than {limit} bytes.")
    table = await importer.parse_file(await file.read(), file.filename or "")
    return await db.run(importer.import_alliances, table, dry_run)


@router.get("/{alliance_id}", name="alliances-get", response_model=AllianceRead,
            responses=problem_responses(404))
async def get_alliance(alliance_id: AllianceId, db: DbDep, principal: AllianceReader,
                       etag: SetETag) -> AllianceRead:
    alliance = await db.read(service.read_alliance, alliance_id, principal)
    etag.row("alliance", alliance.id, alliance.version, alliance)
    return alliance


@router.patch("/{alliance_id}", name="alliances-update", response_model=AllianceRead,
              responses=problem_responses(404, 409, 412, 422))
async def update_alliance(
    alliance_id: AllianceId, body: AllianceUpdate, db: DbDep, principal: CurrentUser, etag: SetETag,
    if_match: IfMatch = None,
) -> AllianceRead:
    alliance = await db.run(service.update_alliance, alliance_id, body, if_match, principal)
    etag.row("alliance", alliance.id, alliance.version, alliance)
    return alliance


@router.delete("/{alliance_id}", name="alliances-delete", dependencies=[Depends(admin_user)],
               status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404, 412),
               summary="Delete an alliance; one with history is dissolved instead")
async def delete_alliance(alliance_id: AllianceId, db: DbDep, if_match: IfMatch = None) -> Response:
    outcome: Literal["deleted", "dissolved"] = await db.run(service.delete_alliance, alliance_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"X-Outcome": outcome})


@public_router.get("", name="public-alliances-list", response_model=Page[PublicAllianceRead],
                   responses=problem_responses(422), summary="The public Bündnisfinder")
async def list_public_alliances(
    request: Request, response: Response, db: DbDep, page: PageDep,
    state: StateCode | None = None, level: AllianceLevel | None = None, q: Search = None,
    sort: service.SortField = "name",
) -> Page[PublicAllianceRead]:
    read = db.read_in_thread if page.include_total or q else db.read  # as list_alliances
    items, cursor, total = await read(
        service.list_alliances, page, None, state=state, level=level, q=q, sort=sort, public=True
    )
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)
