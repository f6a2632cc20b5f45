"""The FAQ: everyone reads the published entries; the Servicebüro writes them. Partner
systems and alliance users get 403 on the Servicebüro's routes."""

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response, status

from app.auth.deps import AdminUser, admin_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.ids import RowId
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter
from app.faq import service
from app.faq.models import FaqCategory
from app.faq.schemas import (
    FaqEntryCreate,
    FaqEntryRead,
    FaqEntryUpdate,
    FaqSort,
    PublicFaqEntryRead,
    SearchQuery,
)

router = ApiRouter(prefix="/faq", tags=["faq"], dependencies=[Depends(admin_user)],
                   responses=problem_responses(401, 403))
public_router = ApiRouter(prefix="/public/faq", tags=["public"])
PageDep = Annotated[PageParams, Depends(page_params)]
EntryId = Annotated[RowId, Path(description="The FAQ entry's id")]
CategoryFilter = Annotated[FaqCategory | None, Query(description="Only this category")]
Search = Annotated[SearchQuery | None, Query()]


def _etag(etag: ETagWriter, entry: FaqEntryRead) -> None:
    etag.row(service.ETAG_RESOURCE, entry.id, entry.version, entry)


# --- public -------------------------------------------------------------------------------------

@public_router.get("", name="public-faq-list", response_model=Page[PublicFaqEntryRead],
                   responses=problem_responses(422, 429),
                   summary="The FAQ: published entries by category, then position; "
                   "with `q`, the search hits, most relevant first")
async def list_public_faq(request: Request, response: Response, db: DbDep, page: PageDep,
                          category: CategoryFilter = None, q: Search = None,
                          ) -> Page[PublicFaqEntryRead]:
    items, cursor, total = await db.run(service.list_public, page, category=category, q=q)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@public_router.get("/{entry_id}", name="public-faq-get", response_model=PublicFaqEntryRead,
                   responses=problem_responses(404, 422, 429),
                   summary="One published FAQ entry")
async def get_public_faq(entry_id: EntryId, db: DbDep) -> PublicFaqEntryRead:
    return await db.run(service.get_public, entry_id)


# --- Servicebüro --------------------------------------------------------------------------------

@router.get("", name="faq-list", response_model=Page[FaqEntryRead],
            responses=problem_responses(422),
            summary="Servicebüro: every FAQ entry, drafts too")
async def list_faq(
    request: Request, response: Response, db: DbDep, page: PageDep,
    category: CategoryFilter = None, q: Search = None,
    is_published: Annotated[bool | None, Query(description="Only published (true) or only "
                                               "drafts (false)")] = None,
    sort: Annotated[FaqSort | None, Query(
        description="`category`: as the public FAQ shows it; `-updated_at`: the latest changes "
        "first; `relevance`: the best search hits first, as the public search orders them "
        "(without `q`, the same as `category`). Default: `relevance` with `q`, else "
        "`category`")] = None,
) -> Page[FaqEntryRead]:
    items, cursor, total = await db.run(service.list_entries, page, category=category, q=q,
                                        is_published=is_published, sort=sort)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("", name="faq-create", response_model=FaqEntryRead,
             status_code=status.HTTP_201_CREATED, responses=problem_responses(422),
             summary="Servicebüro: write a FAQ entry (a draft)")
async def create_faq(body: FaqEntryCreate, db: DbDep, principal: AdminUser,
                     response: Response, etag: SetETag) -> FaqEntryRead:
    entry = await db.run(service.create_entry, body, principal)
    response.headers["Location"] = f"/api/v1/faq/{entry.id}"
    _etag(etag, entry)
    return entry


@router.get("/{entry_id}", name="faq-get", response_model=FaqEntryRead,
            responses=problem_responses(404, 422), summary="Servicebüro: one FAQ entry")
async def get_faq(entry_id: EntryId, db: DbDep, etag: SetETag) -> FaqEntryRead:
    entry = await db.run(service.get_entry, entry_id)
    _etag(etag, entry)
    return entry


@router.patch("/{entry_id}", name="faq-update", response_model=FaqEntryRead,
              responses=problem_responses(404, 412, 422),
              summary="Servicebüro: change a FAQ entry (a published one stays published)")
async def update_faq(entry_id: EntryId, body: FaqEntryUpdate, db: DbDep, etag: SetETag,
                     if_match: IfMatch = None) -> FaqEntryRead:
    entry = await db.run(service.update_entry, entry_id, body, if_match)
    _etag(etag, entry)
    return entry


@router.delete("/{entry_id}", name="faq-delete", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(404, 412, 422),
               summary="Servicebüro: delete a FAQ entry")
async def delete_faq(entry_id: EntryId, db: DbDep, if_match: IfMatch = None) -> Response:
    await db.run(service.delete_entry, entry_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{entry_id}/publish", name="faq-publish", response_model=FaqEntryRead,
             responses=problem_responses(404, 409, 412, 422),
             summary="Servicebüro: publish a FAQ entry (everyone can read it)")
async def publish_faq(entry_id: EntryId, db: DbDep, etag: SetETag,
                      if_match: IfMatch = None) -> FaqEntryRead:
    entry = await db.run(service.set_published, entry_id, True, if_match)
    _etag(etag, entry)
    return entry


@router.post("/{entry_id}/unpublish", name="faq-unpublish", response_model=FaqEntryRead,
             responses=problem_responses(404, 409, 412, 422),
             summary="Servicebüro: take a FAQ entry back to draft")
async def unpublish_faq(entry_id: EntryId, db: DbDep, etag: SetETag,
                        if_match: IfMatch = None) -> FaqEntryRead:
    entry = await db.run(service.set_published, entry_id, False, if_match)
    _etag(etag, entry)
    return entry
