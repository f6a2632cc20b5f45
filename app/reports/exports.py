"""Exports of a cycle's survey responses and evaluation results as CSV or XLSX, streamed.

Memory stays flat however many rows a cycle has:

* Rows are read in keyset batches of ``BATCH`` rows (``WHERE id > :last ORDER BY id LIMIT``)
  as plain column tuples, never as ORM objects, so nothing piles up in the session.
* CSV goes out batch by batch: each batch becomes one chunk of a streaming response.
* XLSX is a zip archive whose directory is written last, so the file must be finished before
  its first byte can be sent. openpyxl's write-only workbook keeps rows in a temporary file
  while they are appended, and the finished archive is written into a ``SpooledTemporaryFile``
  (memory up to ``SPOOL_BYTES``, disk beyond) that is then streamed out in chunks.

Both exports contain what alliances wrote (free-text answers can name people), so each one is
recorded in the audit trail, and committed, before the first row is read.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial
from tempfile import SpooledTemporaryFile
from typing import IO, Any

import anyio
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.audit import recorder
from app.awards import exceptions as award_errors
from app.cycles.models import AwardCycle
from app.cycles.service import get_cycle
from app.evaluation import queries as evaluation
from app.evaluation.models import Evaluation
from app.questionnaire.models import Question
from app.reports import formats, labels
from app.reports.schemas import ExportFormat
from app.surveys.models import ResponseStatus, SurveyResponse

BATCH = 1000
# A real cycle's workbook (some hundred alliances) is far smaller and stays in memory; a huge
# one rolls over to disk early, so memory stays flat (bench/export_memory.py).
SPOOL_BYTES = 1024 * 1024
FILE_CHUNK = 64 * 1024
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RESPONSE_COLUMNS = (
    "alliance_id", "slug", "name", "state", "status", "mode", "entered_by", "submitted_at",
    "wants_future_project", "wants_seal", "reported_status", "activity_score",
)
EVALUATION_COLUMNS = ("alliance_id", "slug", "name", "state", "activity_score")
EVALUATION_TRAILER = ("meets_criteria", "wants_future_project", "invited_to_future_project")
PASS, FAIL = "pass", "fail"

Row = list[Any]
# Reads the next batch after the given id (None: from the start): rows and the id to continue
# after, or None when this was the last batch.
Fetch = Callable[[Session, int | None], tuple[list[Row], int | None]]
Runner = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class ExportTable:
    """One export, ready to be read: its header and how to fetch its rows."""

    filename_stem: str
    sheet_title: str
    header: list[str]
    fetch: Fetch
    kinds: labels.Columns = field(default_factory=labels.Columns)
    # The reader's language (Accept-Language): German headings, enum values, yes/no and times.
    language: str = "en"

    def filename(self, fmt: ExportFormat) -> str:
        return f"{self.filename_stem}.{fmt}"

    def for_reader(self, language: str) -> "ExportTable":
        return replace(self, language=language)

    def heading(self, target: labels.Target) -> list[str]:
        return labels.header(self.header, self.language, target, self.kinds)

    def present(self, rows: Sequence[Row], target: labels.Target) -> list[Row]:
        if self.language == labels.DEFAULT_LANGUAGE:
            return list(rows)
        return [labels.localize_row(row, self.header, self.language, target, self.kinds)
                for row in rows]


def filename_stem(cycle: AwardCycle, what: str) -> str:
    """``buendnisumfrage-2024-25-antworten`` (the slug is URL-safe ASCII)."""
    return f"buendnisumfrage-{cycle.slug}-{what}"


def unique_header(base: Sequence[str], extra: Sequence[str], prefix: str) -> list[str]:
    """``base`` then ``extra``; an extra name that is already taken gets ``prefix`` (a question
    keyed "status" must not make two "status" columns)."""
    header = list(base)
    taken = set(header)
    for name in extra:
        candidate = name
        while candidate in taken:
            candidate = f"{prefix}{candidate}"
        header.append(candidate)
        taken.add(candidate)
    return header


def _batch_end(rows: Sequence[Any]) -> int | None:
    """The id to continue after: the last row's first column, unless the batch was short."""
    return rows[-1][0] if len(rows) == BATCH else None


# --- responses ----------------------------------------------------------------------------------

def _response_batch(
    session: Session, after: int | None, *, cycle_id: int, keys: tuple[str, ...],
    status: ResponseStatus | None,
) -> tuple[list[Row], int | None]:
    query = (
        sa_select(
            col(SurveyResponse.id), col(Alliance.id), col(Alliance.slug), col(Alliance.name),
            col(Alliance.state), col(SurveyResponse.status), col(SurveyResponse.mode),
            col(SurveyResponse.entered_by), col(SurveyResponse.submitted_at),
            col(SurveyResponse.wants_future_project), col(SurveyResponse.wants_seal),
            col(SurveyResponse.reported_status), col(SurveyResponse.activity_score),
            col(SurveyResponse.answers),
        )
        .join(Alliance, col(Alliance.id) == col(SurveyResponse.alliance_id))
        .where(col(SurveyResponse.cycle_id) == cycle_id)
        .order_by(col(SurveyResponse.id)).limit(BATCH)
    )
    if status is not None:
        query = query.where(col(SurveyResponse.status) == status)
    if after is not None:
        query = query.where(col(SurveyResponse.id) > after)
    rows = session.execute(query).all()
    out = []
    for row in rows:
        answers = row[-1] or {}
        out.append([*row[1:-1], *(answers.get(key) for key in keys)])
    return out, _batch_end(rows)


def responses_table(
    session: Session, cycle_ref: str, fmt: ExportFormat, status: ResponseStatus | None = None,
) -> ExportTable:
    """The responses export: one row per response, one column per question in questionnaire
    order. Audited and committed here, before any row is read."""
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    keys = tuple(session.exec(
        select(col(Question.key)).where(col(Question.cycle_id) == cycle.id)
        .order_by(col(Question.position), col(Question.id))
    ).all())
    recorder.record(session, "responses.export", "award_cycle", cycle.id,
                    fields={"format": fmt, "status": status.value if status else "all"})
    session.commit()
    return ExportTable(
        filename_stem=filename_stem(cycle, "antworten"), sheet_title="Antworten",
        header=unique_header(RESPONSE_COLUMNS, keys, "answer_"),
        fetch=partial(_response_batch, cycle_id=cycle.id, keys=keys, status=status),
        kinds=labels.Columns(own=frozenset(RESPONSE_COLUMNS), timestamps=frozenset({"submitted_at"})),
    )


# --- evaluations --------------------------------------------------------------------------------

def _criterion_cells(results: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[Any]:
    by_key = {result.get("key"): result for result in results if isinstance(result, dict)}
    cells: list[Any] = []
    for key in keys:
        result = by_key.get(key)
        if result is None:
            cells.extend([None, None])
        else:
            cells.extend([PASS if result.get("passed") else FAIL, result.get("actual")])
    return cells


def _evaluation_batch(
    session: Session, after: int | None, *, run_id: int, keys: tuple[str, ...],
) -> tuple[list[Row], int | None]:
    query = (
        sa_select(
            col(Evaluation.id), col(Alliance.id), col(Alliance.slug), col(Alliance.name),
            col(Alliance.state), col(Evaluation.activity_score), col(Evaluation.criteria_results),
            col(Evaluation.meets_criteria), col(Evaluation.wants_future_project),
            col(Evaluation.invited_to_future_project),
        )
        .join(Alliance, col(Alliance.id) == col(Evaluation.alliance_id))
        .where(col(Evaluation.run_id) == run_id)
        .order_by(col(Evaluation.id)).limit(BATCH)
    )
    if after is not None:
        query = query.where(col(Evaluation.id) > after)
    rows = session.execute(query).all()
    out = [
        [*row[1:6], *_criterion_cells(row[6] or [], keys), *row[7:]]
        for row in rows
    ]
    return out, _batch_end(rows)


def evaluations_table(
    session: Session, cycle_ref: str, fmt: ExportFormat, run_id: int | None = None,
) -> ExportTable:
    """The evaluation export of the latest run (or the named one): per alliance the score, each
    criterion's result (pass/fail) and actual value, the overall decision and the invitation."""
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    if run_id is None:
        run = evaluation.latest_run(session, cycle.id)
        if run is None or run.id is None:
            raise award_errors.NotEvaluated(
                f"Cycle {cycle.key} has no evaluation run yet: evaluate it first.")
        run_id, criteria = run.id, run.criteria_snapshot
    else:
        criteria = evaluation.get_run(session, str(cycle.id), run_id).criteria
    keys = tuple(str(c["key"]) for c in sorted(criteria, key=lambda c: c.get("position", 0)))
    recorder.record(session, "evaluations.export", "award_cycle", cycle.id,
                    fields={"format": fmt, "run_id": run_id})
    session.commit()
    criterion_columns = [name for key in keys for name in (f"{key}_result", f"{key}_actual")]
    return ExportTable(
        filename_stem=filename_stem(cycle, "auswertung"), sheet_title="Auswertung",
        header=[*EVALUATION_COLUMNS, *criterion_columns, *EVALUATION_TRAILER],
        fetch=partial(_evaluation_batch, run_id=run_id, keys=keys),
        kinds=labels.Columns(own=frozenset(EVALUATION_COLUMNS + EVALUATION_TRAILER),
                             criteria=frozenset(criterion_columns)),
    )


# --- writing ------------------------------------------------------------------------------------

def csv_batch(session: Session, table: ExportTable, after: int | None,
              separator: str) -> tuple[bytes, int | None]:
    """The next batch as encoded CSV: its rows are gone once this returns."""
    rows, after = table.fetch(session, after)
    return formats.csv_text(table.present(rows, "csv"), separator).encode(), after


async def csv_chunks(run: Runner, table: ExportTable, separator: str) -> AsyncIterator[bytes]:
    """UTF-8 with BOM (so Excel reads the umlauts): the header first, then one chunk per batch.
    ``run`` is the request's ``Db.run``: each batch is read and formatted in the database
    worker thread, so the event loop only passes bytes on."""
    yield (formats.BOM + formats.csv_text([table.heading("csv")], separator)).encode()
    after: int | None = None
    while True:
        chunk, after = await run(csv_batch, table, after, separator)
        if chunk:
            yield chunk
        if after is None:
            return


def build_xlsx(session: Session, table: ExportTable) -> tuple[IO[bytes], int]:
    """Write the whole workbook (it is a zip: it must be complete before it is sent) into a
    spooled temporary file; return the file, rewound, and its size. The caller closes it.
    Runs in one database worker thread from the first batch to the finished file."""
    from openpyxl import Workbook  # ~100 ms of import: paid by the first XLSX, not at start

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.sheet_title)
    sheet.freeze_panes = "A2"
    sheet.append(formats.xlsx_header(sheet, table.heading("xlsx")))
    after: int | None = None
    while True:
        rows, after = table.fetch(session, after)
        for row in table.present(rows, "xlsx"):
            sheet.append(formats.xlsx_row(sheet, row))
        if after is None:
            break
    with ExitStack() as on_error:
        spooled: IO[bytes] = on_error.enter_context(SpooledTemporaryFile(max_size=SPOOL_BYTES))
        workbook.save(spooled)
        size = spooled.tell()
        spooled.seek(0)
        on_error.pop_all()  # finished: the caller owns the open file now
    return spooled, size


async def file_chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    """Stream a finished file in chunks, reading off the event loop; closes it in the end."""
    try:
        while True:
            chunk = await anyio.to_thread.run_sync(file.read, FILE_CHUNK)
            if not chunk:
                return
            yield chunk
    finally:
        file.close()
