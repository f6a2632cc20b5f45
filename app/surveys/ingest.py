"""Bulk ingest of survey responses: the partner-system batch and the admin's CSV/XLSX upload.

Both run through ``apply_items``: every item is checked on its own (shape, alliance, the
caller's reach, eligibility, answers, frozen responses) and gets a result with its index
(and file line), its status (created, updated, unchanged, rejected) and, when rejected, a
problem whose field errors name the item (``["body", "items", i, ...]`` or
``["file", line, column]``). Nothing is dropped silently. ``atomic`` (always on for files)
writes nothing at all when any item is rejected.

Alliances are matched by id (a JSON number or a short digit string), by AGS (7 or 8 digits;
spreadsheets drop the leading zero) or by slug. An AGS shared by several alliances (city
states, districts of one city) is ambiguous: use the id or slug then.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.alliances import service as alliances
from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core import tabular
from app.core.bulk import one_of
from app.core.errors import Forbidden, RuleViolation, error_loc, field_error
from app.core.idempotency import IdempotentRequest, fingerprint, remember, stored_reply
from app.core.tabular import Table
from app.cycles.models import AwardCycle
from app.cycles.service import get_cycle
from app.questionnaire.models import Question
from app.questionnaire.rules import ScoringPlan
from app.questionnaire.service import questions_of
from app.surveys.eligibility import ineligibility_reason
from app.surveys.files import (
    BASE_COLUMNS,
    BOOLEAN_COLUMNS,
    MAX_FILE_ROWS,
    cell_answer,
)
from app.surveys.models import ResponseMode, ResponseStatus, SurveyResponse
from app.surveys.rules import (
    CONTENT_FIELDS,
    Loc,
    content_errors,
    normalised,
)
from app.surveys.schemas import BatchItem, BatchItemResult, BatchResult, ItemProblem, ResponseBatch
from app.surveys.store import (
    NewResponse,
    claim,
    content_of,
    create_many,
    ensure_writable,
    finish_submit,
    retrying,
    sealed_alliances,
    write_content,
)


@dataclass
class ItemInput:
    """One item to apply: where it came from and how to name its fields in errors."""

    index: int
    payload: dict[str, Any]
    loc: Loc
    answers_loc: Loc
    line: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Target:
    """What the batch needs of a matched alliance (not the whole row)."""

    id: int
    ags: str | None
    slug: str
    status: str
    listed_in_finder: bool


@dataclass
class _Accepted:
    item: ItemInput
    data: BatchItem
    alliance: _Target
    content: dict[str, Any]


def _rejected(item: ItemInput, code: str, detail: str, errors: list[dict[str, Any]],
              ref: str | None = None, alliance_id: int | None = None) -> BatchItemResult:
    return BatchItemResult(
        index=item.index, line=item.line, ref=ref, alliance_id=alliance_id, response_id=None,
        status="rejected", response_status=None,
        problem=ItemProblem(code=code, detail=detail, errors=errors),
    )


# --- matching alliances ---------------------------------------------------------------------

def alliance_lookup(ref: int | str) -> tuple[str, int | str]:
    """How a reference is matched: ("id", 12), ("ags", "05915000") or ("slug", "...")."""
    if isinstance(ref, int):
        return "id", ref
    text = ref.strip()
    if text.isascii() and text.isdigit():
        return ("ags", text.zfill(8)) if len(text) >= 7 else ("id", int(text))
    return "slug", text.lower()


def _load_alliances(session: Session, refs: Iterable[int | str]) -> dict[tuple[str, int | str], list[_Target]]:
    wanted: dict[str, set[Any]] = {"id": set(), "ags": set(), "slug": set()}
    for ref in refs:
        kind, value = alliance_lookup(ref)
        wanted[kind].add(value)
    found: dict[tuple[str, int | str], list[_Target]] = {}
    columns = (col(Alliance.id), col(Alliance.ags), col(Alliance.slug), col(Alliance.status),
               col(Alliance.listed_in_finder))
    dialect = session.connection().dialect
    for kind, column in (("id", Alliance.id), ("ags", Alliance.ags), ("slug", Alliance.slug)):
        if wanted[kind]:
            query = sa_select(*columns).where(one_of(col(column), wanted[kind], dialect))
            for row in session.execute(query).all():
                target = _Target(*row)
                found.setdefault((kind, getattr(target, kind)), []).append(target)
    return found


# --- the pipeline ---------------------------------------------------------------------------

def _check_items(
    session: Session, cycle: AwardCycle, items: list[ItemInput], principal: Principal,
    questions: ScoringPlan,
) -> tuple[list[_Accepted], dict[int, BatchItemResult]]:
    """Everything that can be decided before writing: shape, alliance, reach, duplicates,
    eligibility and answer types. Returns the accepted items and the rejected results."""
    rejected: dict[int, BatchItemResult] = {}
    parsed: list[tuple[ItemInput, BatchItem]] = []
    for item in items:
        try:
            data = BatchItem.model_validate(item.payload)
        except ValidationError as exc:
            errors = item.errors + [
                field_error([*item.loc, *error_loc(err["loc"])], err["msg"], err["type"])
                for err in exc.errors()
            ]
            ref = item.payload.get("ref")
            rejected[item.index] = _rejected(item, "invalid_item", "The item is malformed.", errors,
                                             ref if isinstance(ref, str) else None)
            continue
        if item.errors:
            rejected[item.index] = _rejected(item, "invalid_item", "The item is malformed.",
                                             item.errors, data.ref)
            continue
        parsed.append((item, data))

    found = _load_alliances(session, [data.alliance for _, data in parsed])
    sealed = sealed_alliances(session, [a.id for group in found.values() for a in group if a.id])
    seen: dict[int, ItemInput] = {}
    accepted: list[_Accepted] = []
    for item, data in parsed:
        where = [*item.loc, "alliance"]
        matches = found.get(alliance_lookup(data.alliance), [])
        problem: tuple[str, str, list[Any]] | None = None
        if not matches:
            problem = ("alliance_not_found", f"No alliance {data.alliance!r} (id, slug or AGS).", where)
        elif len(matches) > 1:
            problem = ("alliance_ambiguous", f"{len(matches)} alliances share the AGS "
                       f"{data.alliance}; send the id or slug instead.", where)
        if problem is None:
            alliance = matches[0]
            assert alliance.id is not None
            reason = ineligibility_reason(alliance.status, alliance.id in sealed)
            if principal.is_client and not principal.may_reach_alliance(alliance.id):
                problem = ("alliance_not_allowed",
                           "This partner system may not write for this alliance.", where)
            elif alliance.id in seen:
                first = seen[alliance.id]
                problem = ("duplicate_alliance", "Same alliance as item "
                           f"{first.index}{f' (line {first.line})' if first.line else ''}.", where)
            elif reason:
                problem = ("not_eligible", reason, list(item.loc))
        if problem is not None:
            code, detail, loc = problem
            rejected[item.index] = _rejected(item, code, detail, [field_error(loc, detail, code)],
                                             data.ref)
            continue
        assert alliance.id is not None
        seen[alliance.id] = item
        content = normalised(data.model_dump(include=set(CONTENT_FIELDS), mode="json"))
        errors = content_errors(questions, content, submit=data.submit, loc=item.loc,
                                answers_loc=item.answers_loc)
        if errors:
            rejected[item.index] = _rejected(
                item, "invalid_answers", f"{len(errors)} answer(s) are missing or invalid.",
                errors, data.ref, alliance.id)
            continue
        accepted.append(_Accepted(item, data, alliance, content))
    return accepted, rejected


def _write_item(session: Session, cycle: AwardCycle, entry: _Accepted,
                existing: SurveyResponse | None, principal: Principal, mode: ResponseMode,
                questions: list[Question]) -> BatchItemResult:
    item, data, alliance, content = entry.item, entry.data, entry.alliance, entry.content
    assert cycle.id is not None and alliance.id is not None
    same = existing is not None and content_of(existing) == content
    if existing is not None and existing.status == ResponseStatus.submitted:
        if not (same and data.submit):
            detail = "The response is submitted and frozen; the Servicebüro can reopen it."
            return _rejected(item, "response_submitted", detail,
                             [field_error(list(item.loc), detail, "response_submitted")],
                             data.ref, alliance.id)
        status = "unchanged"
    elif existing is not None and same and not data.submit:
        status = "unchanged"
    else:
        if existing is not None:
            claim(session, existing, ResponseStatus.draft)
        status = "updated" if existing is not None else "created"
        existing = write_content(session, existing, cycle_id=cycle.id, alliance_id=alliance.id,
                                 content=content, mode=mode, actor=principal.actor,
                                 action="import")
        if data.submit:
            finish_submit(session, existing, alliance.id, questions, principal.actor)
    return BatchItemResult(
        index=item.index, line=item.line, ref=data.ref, alliance_id=alliance.id,
        response_id=existing.id, status=status, response_status=existing.status,
    )


def _create_all(session: Session, cycle: AwardCycle, entries: list[_Accepted],
                principal: Principal, mode: ResponseMode,
                questions: list[Question]) -> dict[int, BatchItemResult]:
    """The items without a response yet, written together (``store.create_many``)."""
    assert cycle.id is not None
    stored = create_many(
        session, [NewResponse(e.alliance.id, e.content, e.data.submit) for e in entries],
        cycle_id=cycle.id, questions=questions, mode=mode, actor=principal.actor, action="import")
    results = {}
    for entry, (response_id, status) in zip(entries, stored, strict=True):
        listing = entry.content.get("wants_finder_listing")
        if entry.data.submit and listing is not None and entry.alliance.listed_in_finder != listing:
            alliances.apply_update(session, alliances.get_alliance(session, entry.alliance.id),
                                   {"listed_in_finder": listing})
        results[entry.item.index] = BatchItemResult(
            index=entry.item.index, line=entry.item.line, ref=entry.data.ref,
            alliance_id=entry.alliance.id, response_id=response_id, status="created",
            response_status=status)
    return results


def apply_items(
    session: Session, cycle: AwardCycle, items: list[ItemInput], principal: Principal,
    mode: ResponseMode, *, atomic: bool, dry_run: bool = False, source: str = "batch",
) -> BatchResult:
    """Check and write the items (flushes only). With ``atomic`` any rejected item rolls the
    session back and raises 422 with every problem."""
    assert cycle.id is not None
    questions = questions_of(session, cycle.id)
    accepted, results = _check_items(session, cycle, items, principal, ScoringPlan(questions))
    existing = {r.alliance_id: r for r in session.exec(
        select(SurveyResponse).where(
            SurveyResponse.cycle_id == cycle.id,
            one_of(col(SurveyResponse.alliance_id), [e.alliance.id for e in accepted],
                   session.connection().dialect))
    ).all()}
    if not (atomic and results):
        fresh = [e for e in accepted if e.alliance.id not in existing]
        results.update(_create_all(session, cycle, fresh, principal, mode, questions))
        for entry in accepted:
            assert entry.alliance.id is not None
            if entry.alliance.id in existing:
                results[entry.item.index] = _write_item(
                    session, cycle, entry, existing[entry.alliance.id], principal, mode, questions)
    ordered = [results[i.index] for i in items if i.index in results]
    ordered += [
        BatchItemResult(index=e.item.index, line=e.item.line, ref=e.data.ref,
                        alliance_id=e.alliance.id, response_id=None, status="rejected",
                        response_status=None,
                        problem=ItemProblem(code="not_applied", detail="Not applied: another "
                                            "item was rejected and the batch is atomic."))
        for e in accepted if e.item.index not in results
    ]
    ordered.sort(key=lambda r: r.index)
    rejected = [r for r in ordered if r.problem is not None and r.problem.code != "not_applied"]
    if atomic and rejected:
        session.rollback()
        what = "the file; nothing was imported" if source == "file" else \
            "the batch; nothing was written"
        raise RuleViolation(
            f"{len(rejected)} item(s) rejected in {what}.",
            code="import_rejected" if source == "file" else "batch_rejected",
            errors=[e.model_dump() for r in rejected if r.problem for e in r.problem.errors],
            items=[r.model_dump(mode="json") for r in ordered],
        )
    if dry_run:
        for result in ordered:
            if result.status == "created":
                result.response_id = None
    return BatchResult(
        atomic=atomic, dry_run=dry_run,
        created=sum(r.status == "created" for r in ordered),
        updated=sum(r.status == "updated" for r in ordered),
        unchanged=sum(r.status == "unchanged" for r in ordered),
        rejected=sum(r.status == "rejected" for r in ordered),
        items=ordered,
    )


# --- the partner batch ----------------------------------------------------------------------

def push_batch(session: Session, cycle_ref: str, batch: ResponseBatch, principal: Principal,
               idempotency_key: str | None) -> tuple[BatchResult, bool]:
    """Partner systems (mode partner_import) and admins (admin_entry). Returns the result and
    whether it is a replay of an earlier request with the same Idempotency-Key."""
    if not (principal.is_client or principal.is_admin):
        raise Forbidden("Alliance users save their response with PUT; the batch is for partner "
                        "systems and the Servicebüro.")
    mode = ResponseMode.partner_import if principal.is_client else ResponseMode.admin_entry
    body = batch.model_dump(mode="json")

    def attempt() -> tuple[BatchResult, bool]:
        cycle = get_cycle(session, cycle_ref)
        request = None
        if idempotency_key is not None:
            request = IdempotentRequest(principal.actor, idempotency_key,
                                        f"POST /cycles/{cycle.id}/responses:batch", fingerprint(body))
            stored = stored_reply(session, request)
            if stored is not None:
                return BatchResult.model_validate(stored), True
        ensure_writable(cycle, principal)
        items = [ItemInput(index=i, payload=payload, loc=("body", "items", i),
                           answers_loc=("body", "items", i, "answers"))
                 for i, payload in enumerate(batch.items)]
        result = apply_items(session, cycle, items, principal, mode, atomic=batch.atomic)
        if request is not None:
            remember(session, request, 200, result.model_dump(mode="json"))
        session.commit()
        return result, False

    return retrying(session, attempt)


# --- the file upload ------------------------------------------------------------------------

def rows_to_items(table: Table, questions: list[Question]) -> list[ItemInput]:
    by_key = {q.key.lower(): q for q in questions}
    problems = tabular.header_errors(
        table, required=("alliance",), known={*BASE_COLUMNS, *by_key},
        unknown_msg="neither a known column nor a question of this cycle")
    tabular.require_header_and_rows(
        table, problems, code="import_rejected",
        detail="The header row does not fit this cycle's questionnaire; nothing was imported.")
    items = []
    for index, row in enumerate(table.rows):
        line = row.line
        item = ItemInput(index=index, payload={"answers": {}}, loc=("file", line),
                         answers_loc=("file", line), line=line, errors=list(row.errors))
        for name, raw in row.values.items():
            try:
                if name in by_key:
                    item.payload["answers"][by_key[name].key] = cell_answer(by_key[name], raw)
                elif name in BOOLEAN_COLUMNS:
                    value = tabular.cell_boolean(raw)
                    item.payload[name] = bool(value) if name == "submit" else value
                elif raw.strip():
                    item.payload[name] = raw.strip().lower() if name == "reported_status" else raw.strip()
            except ValueError as exc:
                item.errors.append(field_error(["file", line, name], str(exc), "value_error"))
        items.append(item)
    return items


async def parse_file(content: bytes, filename: str) -> Table:
    """The upload as a table, parsed outside the database slot (``tabular.parse_upload``)."""
    return await tabular.parse_upload(content, filename, max_rows=MAX_FILE_ROWS)


def import_file(session: Session, cycle_ref: str, table: Table,
                mode: ResponseMode, dry_run: bool, principal: Principal) -> BatchResult:
    """Admins: responses from a parsed CSV/XLSX file (``parse_file``), all or nothing;
    ``dry_run`` writes nothing."""

    def attempt() -> BatchResult:
        cycle = get_cycle(session, cycle_ref)
        assert cycle.id is not None
        ensure_writable(cycle, principal)
        items = rows_to_items(table, questions_of(session, cycle.id))
        result = apply_items(session, cycle, items, principal, mode, atomic=True,
                             dry_run=dry_run, source="file")
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return result

    return retrying(session, attempt)
