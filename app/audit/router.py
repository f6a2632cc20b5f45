from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.audit import service
from app.audit.schemas import AuditEventRead
from app.auth.deps import admin_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.limits import NoStore
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter
from app.core.timestamps import Timestamp

router = ApiRouter(prefix="/audit-events", tags=["audit"], dependencies=[Depends(admin_user), NoStore],
                   responses=problem_responses(401, 403, 422))


async def audit_filter(
    actor: Annotated[str | None, Query(max_length=40, examples=["user:3"])] = None,
    action: Annotated[str | None, Query(max_length=60, description="Prefix, e.g. alliance.")] = None,
    resource_type: Annotated[str | None, Query(max_length=60)] = None,
    resource_id: Annotated[str | None, Query(max_length=60)] = None,
    since: Annotated[Timestamp | None, Query(description="At or after; with a time zone")] = None,
    until: Annotated[Timestamp | None, Query(description="Before; with a time zone")] = None,
) -> service.AuditFilter:
    return service.AuditFilter(actor=actor, action=action, resource_type=resource_type,
                               resource_id=resource_id, since=since, until=until)


FilterDep = Annotated[service.AuditFilter, Depends(audit_filter)]


@router.get("", name="audit-events-list", response_model=Page[AuditEventRead])
async def list_audit_events(
    request: Request, response: Response, db: DbDep, filters: FilterDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[AuditEventRead]:
    items, cursor, total = await db.run(service.list_events, page, filters)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.get("/export.csv", name="audit-events-export",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM, ;"}})
async def export_audit_events(db: DbDep, filters: FilterDep) -> StreamingResponse:
    await db.run(service.record_export, filters)

    async def chunks() -> AsyncIterator[str]:
        after: int | None = None
        first = True
        while first or after is not None:
            chunk, after = await db.run(service.export_csv_chunks, filters, None if first else after)
            first = False
            yield chunk

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'})
