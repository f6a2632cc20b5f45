from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response, status

from app.auth.deps import AdminUser, CurrentUser, OptionalPrincipal, admin_user
from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.deps import DbDep
from app.core.errors import Forbidden, TooManyRequests, problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.ids import RowId
from app.core.limits import NoStore, client_address
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.ratelimit import get_counter_store
from app.core.routing import ApiRouter
from app.inquiries import queries, service
from app.inquiries.models import InquiryCategory, InquiryStatus
from app.inquiries.schemas import (
    CycleRef,
    InquiryCreate,
    InquiryDetail,
    InquiryRead,
    InquiryReceipt,
    InquirySort,
    InquiryUpdate,
    MessageCreate,
)

router = ApiRouter(prefix="/inquiries", tags=["inquiries"], dependencies=[NoStore],
                   responses=problem_responses(401, 403))
PageDep = Annotated[PageParams, Depends(page_params)]
InquiryId = Annotated[RowId, Path(description="The inquiry's id (its ticket number)")]
_WINDOW_SECONDS = 3600


async def filer(principal: OptionalPrincipal) -> Principal | None:
    """Anyone without an account, and people; partner systems do not file inquiries."""
    if principal is not None and principal.is_client:
        raise Forbidden("Inquiries are filed by people, not by partner systems.")
    return principal


Filer = Annotated[Principal | None, Depends(filer)]


async def accessible_inquiry(inquiry_id: InquiryId, db: DbDep, principal: CurrentUser) -> int:
    """The inquiry exists and the caller may see it: checked before the body is read."""
    await db.run(queries.ensure_visible, inquiry_id, principal)
    return inquiry_id


AccessibleInquiry = Annotated[int, Depends(accessible_inquiry)]


def count_anonymous_filing(request: Request) -> None:
    """Anonymous filing has its own, stricter limit per client address (each one queues an
    e-mail to an address the caller names)."""
    limit = get_settings().limits.inquiries_per_hour
    count, retry_after = get_counter_store().hit(
        f"inquiries:addr:{client_address(request)}", _WINDOW_SECONDS)
    if count > limit:
        raise TooManyRequests(retry_after, f"More than {limit} inquiries per hour from this "
                                           "address; please try again later.")


def _etag(etag: ETagWriter, inquiry: InquiryDetail) -> None:
    etag.row(queries.ETAG_RESOURCE, inquiry.id, inquiry.version, inquiry)


@router.post(
    "", name="inquiries-create", response_model=InquiryDetail | InquiryReceipt,
    status_code=status.HTTP_201_CREATED, responses=problem_responses(422, 429),
    summary="File an inquiry with the Servicebüro (no login needed)",
    description="Anonymous callers give `requester_name` and `requester_email` and get only a "
    "receipt (`id`, `status`, `created_at`); their inquiry belongs to no alliance until the "
    "Servicebüro links one. Alliance users file for their own alliance: name and e-mail come "
    "from the account (leave them out). A confirmation with the ticket number goes to the "
    "requester by e-mail (at most a few per address and day). Anonymous filing is limited per "
    "address and hour, filing by an alliance's people per alliance and day (429).",
)
async def create_inquiry(
    request: Request, body: InquiryCreate, db: DbDep, principal: Filer, response: Response, etag: SetETag,
) -> InquiryDetail | InquiryReceipt:
    if principal is None:
        count_anonymous_filing(request)
    created = await db.run(service.create_inquiry, body, principal)
    response.headers["Location"] = f"/api/v1/inquiries/{created.id}"
    if isinstance(created, InquiryDetail):
        _etag(etag, created)
    return created


@router.get("", name="inquiries-list", response_model=Page[InquiryRead],
            responses=problem_responses(422),
            summary="Inquiries (admins: all; alliance users: their alliance's)")
async def list_inquiries(
    request: Request, response: Response, db: DbDep, principal: CurrentUser, page: PageDep,
    status_: Annotated[InquiryStatus | None, Query(alias="status")] = None,
    category: InquiryCategory | None = None,
    alliance_id: RowId | None = None,
    cycle: CycleRef | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the subject")] = None,
    sort: InquirySort = "-created_at",
) -> Page[InquiryRead]:
    items, cursor, total = await db.run(
        queries.list_inquiries, page, principal, status=status_, category=category,
        alliance_id=alliance_id, cycle=cycle, q=q, sort=sort,
    )
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.get("/{inquiry_id}", name="inquiries-get", response_model=InquiryDetail,
            responses=problem_responses(404),
            summary="One inquiry with its thread (admins: with the alliance's survey notices)")
async def get_inquiry(inquiry_id: InquiryId, db: DbDep, principal: CurrentUser,
                      etag: SetETag) -> InquiryDetail:
    inquiry = await db.run(queries.read_inquiry, inquiry_id, principal)
    _etag(etag, inquiry)
    return inquiry


@router.patch("/{inquiry_id}", name="inquiries-update", response_model=InquiryDetail,
              dependencies=[Depends(admin_user)], responses=problem_responses(404, 412, 422),
              summary="Servicebüro: set category, cycle, or the alliance an inquiry concerns")
async def update_inquiry(
    inquiry_id: InquiryId, body: InquiryUpdate, db: DbDep, principal: AdminUser,
    etag: SetETag, if_match: IfMatch = None,
) -> InquiryDetail:
    inquiry = await db.run(service.update_inquiry, inquiry_id, body, if_match, principal)
    _etag(etag, inquiry)
    return inquiry


@router.post("/{inquiry_id}/messages", name="inquiries-add-message", response_model=InquiryDetail,
             status_code=status.HTTP_201_CREATED, responses=problem_responses(404, 409, 422),
             summary="Write in the thread: the Servicebüro answers, the alliance writes again")
async def add_message(
    inquiry_id: AccessibleInquiry, body: MessageCreate, db: DbDep, principal: CurrentUser,
    etag: SetETag,
) -> InquiryDetail:
    """An answer of the Servicebüro sets the status to `answered` and is e-mailed to the
    requester; a message of the alliance's people sets it to `open`. Closed inquiries and
    inquiries whose personal data was erased take no messages (409)."""
    inquiry = await db.run(service.add_message, inquiry_id, body, principal)
    _etag(etag, inquiry)
    return inquiry


@router.post("/{inquiry_id}/close", name="inquiries-close", response_model=InquiryDetail,
             responses=problem_responses(404, 409), summary="Close an inquiry")
async def close_inquiry(inquiry_id: InquiryId, db: DbDep, principal: CurrentUser,
                        etag: SetETag) -> InquiryDetail:
    inquiry = await db.run(service.close_inquiry, inquiry_id, principal)
    _etag(etag, inquiry)
    return inquiry


@router.post("/{inquiry_id}/reopen", name="inquiries-reopen", response_model=InquiryDetail,
             dependencies=[Depends(admin_user)], responses=problem_responses(404, 409),
             summary="Servicebüro: reopen a closed inquiry")
async def reopen_inquiry(inquiry_id: InquiryId, db: DbDep, principal: AdminUser,
                         etag: SetETag) -> InquiryDetail:
    inquiry = await db.run(service.reopen_inquiry, inquiry_id, principal)
    _etag(etag, inquiry)
    return inquiry
