"""Servicebüro reports of a cycle: the statistics and the CSV/XLSX exports (admin only).

``{cycle}`` is the cycle's id, slug (``2024-25``) or key. Mounted before the responses and
evaluations routers, whose ``/{alliance_id}`` routes would otherwise take ``export.csv``.
"""

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.auth.deps import admin_user
from app.core.db import Db
from app.core.deps import DbDep
from app.core.errors import problem_responses, request_language
from app.core.limits import NoStore
from app.core.routing import ApiRouter
from app.cycles.deps import CyclePath
from app.reports import exports, statistics
from app.reports.schemas import CsvSeparator, CycleStatistics
from app.surveys.models import ResponseStatus

router = ApiRouter(prefix="/cycles", tags=["reports"], dependencies=[Depends(admin_user), NoStore],
                   responses=problem_responses(401, 403, 404, 422))

Separator = Annotated[CsvSeparator, Query(
    description="Field separator: `,` (default) or `;` for Excel with German settings")]
StatusFilter = Annotated[ResponseStatus | None, Query(
    alias="status", description="Only drafts or only submitted responses (default: all)")]
RunId = Annotated[int | None, Query(
    ge=1, le=2**31 - 1, description="An earlier evaluation run (default: the latest)")]

_CSV_DOC = ("UTF-8 with BOM; header row first; decimals with a dot (a comma with sep=`;`); "
            "multiple choice joined by |. With Accept-Language: de the headings, enum values "
            "and yes/no are German and times read TT.MM.JJJJ HH:MM in Europe/Berlin")
_XLSX_DOC = ("One worksheet; header row in bold and frozen; numbers and dates as typed cells, "
             "times as date-time cells in Europe/Berlin time (the heading says so). With "
             "Accept-Language: de the headings, enum values and yes/no are German")
CSV_FILE: dict[int | str, dict[str, Any]] = {200: {
    "description": _CSV_DOC,
    "content": {"text/csv": {"schema": {"type": "string"}}},
}}
XLSX_FILE: dict[int | str, dict[str, Any]] = {200: {
    "description": _XLSX_DOC,
    "content": {exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
}}


def _download_headers(filename: str) -> dict[str, str]:
    # Personal data: no copy in shared caches or the browser cache.
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
            "Vary": "Accept-Language"}


def _csv_download(db: Db, table: exports.ExportTable, sep: str) -> StreamingResponse:
    return StreamingResponse(exports.csv_chunks(db.run, table, sep),
                             media_type=exports.CSV_MEDIA_TYPE,
                             headers=_download_headers(table.filename("csv")))


async def _xlsx_download(db: Db, table: exports.ExportTable) -> StreamingResponse:
    """The workbook is complete before the first byte goes out (see exports.build_xlsx)."""
    file, size = await db.run(exports.build_xlsx, table)
    return StreamingResponse(exports.file_chunks(file), media_type=exports.XLSX_MEDIA_TYPE,
                             headers={**_download_headers(table.filename("xlsx")),
                                      "Content-Length": str(size)})


@router.get("/{cycle}/statistics", name="statistics-get", response_model=CycleStatistics,
            summary="The cycle's numbers: eligible, reached, answered, meeting the criteria, "
            "awarded — in total, by Land and by mode")
async def get_statistics(cycle: CyclePath, db: DbDep) -> CycleStatistics:
    return await db.run(statistics.cycle_statistics, cycle)


@router.get("/{cycle}/responses/export.csv", name="responses-export-csv",
            response_class=StreamingResponse, responses=CSV_FILE,
            summary="All responses as CSV: one row per alliance, one column per question")
async def export_responses_csv(
    cycle: CyclePath, db: DbDep, request: Request, sep: Separator = ",",
    status: StatusFilter = None,
) -> StreamingResponse:
    table = await db.run(exports.responses_table, cycle, "csv", status)
    table = table.for_reader(request_language(request))
    return _csv_download(db, table, sep)


@router.get("/{cycle}/responses/export.xlsx", name="responses-export-xlsx",
            response_class=StreamingResponse, responses=XLSX_FILE,
            summary="All responses as an Excel workbook")
async def export_responses_xlsx(cycle: CyclePath, db: DbDep, request: Request,
                                status: StatusFilter = None) -> StreamingResponse:
    table = await db.run(exports.responses_table, cycle, "xlsx", status)
    table = table.for_reader(request_language(request))
    return await _xlsx_download(db, table)


@router.get("/{cycle}/evaluations/export.csv", name="evaluations-export-csv",
            response_class=StreamingResponse, responses={**CSV_FILE, **problem_responses(409)},
            summary="The evaluation results as CSV: score, each criterion, decision, invitation")
async def export_evaluations_csv(
    cycle: CyclePath, db: DbDep, request: Request, sep: Separator = ",", run_id: RunId = None,
) -> StreamingResponse:
    table = await db.run(exports.evaluations_table, cycle, "csv", run_id)
    table = table.for_reader(request_language(request))
    return _csv_download(db, table, sep)


@router.get("/{cycle}/evaluations/export.xlsx", name="evaluations-export-xlsx",
            response_class=StreamingResponse, responses={**XLSX_FILE, **problem_responses(409)},
            summary="The evaluation results as an Excel workbook")
async def export_evaluations_xlsx(cycle: CyclePath, db: DbDep, request: Request,
                                  run_id: RunId = None) -> StreamingResponse:
    table = await db.run(exports.evaluations_table, cycle, "xlsx", run_id)
    table = table.for_reader(request_language(request))
    return await _xlsx_download(db, table)
