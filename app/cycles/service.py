"""Award cycles: create, read, change, delete, and the status steps with their preconditions.

``get_cycle`` is how every domain resolves a ``{cycle}`` path segment; ``accepting_answers``
tells the survey domain whether a cycle takes answers right now.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, bindparam, exists
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.awards import models as award_models
from app.core.db import Reader, columns_of, read_rows, table_of, utcnow
from app.core.errors import RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.ids import is_row_id
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles import rules as cycle_rules
from app.cycles.exceptions import (
    CycleKeyTaken,
    CycleLocked,
    CycleNotFound,
    CycleNotReady,
    InvalidTransition,
)
from app.cycles.models import AwardCycle, CycleStatus
from app.cycles.schemas import (
    CycleCreate,
    CycleRead,
    CycleSort,
    CycleUpdate,
    default_seal_title,
    slug_for,
)
from app.evaluation import models as evaluation_models
from app.questionnaire.models import Question

__all__ = [
    "CYCLE_MATCH", "CycleNotFound", "accepting_answers", "create_cycle", "cycle_id", "cycle_lookup",
    "cycle_not_found", "delete_cycle", "get_cycle", "list_cycles", "read_cycle", "run_action",
    "update_cycle",
]
ETAG_RESOURCE = "cycle"

# Which statuses still allow a change of each field (archived cycles are read-only).
_EDITABLE_IN: dict[str, frozenset[CycleStatus]] = {
    "key": frozenset({CycleStatus.draft}),
    "opens_at": frozenset({CycleStatus.draft}),
    "closes_at": frozenset({CycleStatus.draft, CycleStatus.survey_open, CycleStatus.survey_closed}),
    "seal_title": frozenset({CycleStatus.draft, CycleStatus.survey_open, CycleStatus.survey_closed,
                             CycleStatus.evaluated}),
    "ceremony_on": frozenset(CycleStatus) - {CycleStatus.archived},
    "ceremony_place": frozenset(CycleStatus) - {CycleStatus.archived},
}
_LOCK_REASONS = {
    "key": "the key names the cycle in URLs and documents once the survey has opened",
    "opens_at": "the survey has opened; only its end can still move",
    "closes_at": "the survey has been evaluated",
    "seal_title": "the seal has been awarded under this title",
    "ceremony_on": "the cycle is archived",
    "ceremony_place": "the cycle is archived",
}
_NOT_NULL = ("key", "seal_title")


# Built once: every cycle-scoped request resolves its cycle, and building the statement per
# request cost more than running it.
_BY_SLUG_OR_KEY = select(AwardCycle).where(
    (col(AwardCycle.slug) == bindparam("ref")) | (col(AwardCycle.key) == bindparam("ref")))


_CYCLE = table_of(AwardCycle)
# A cycle as ``cycle_lookup`` names it, for Core statements: by ``:id``, or by ``:ref``, its
# slug or key.
CYCLE_MATCH: dict[str, ColumnElement[bool]] = {
    "id": _CYCLE.c.id == bindparam("id"),
    "ref": (_CYCLE.c.slug == bindparam("ref")) | (_CYCLE.c.key == bindparam("ref")),
}
_ID_BY = {kind: sa_select(_CYCLE.c.id).where(match) for kind, match in CYCLE_MATCH.items()}


def cycle_not_found(ref: str | int) -> CycleNotFound:
    return CycleNotFound(f"No award cycle {str(ref)!r}.")


def cycle_lookup(ref: str | int) -> tuple[Literal["id", "ref"], int | str]:
    """How a ``{cycle}`` segment names a cycle, for every lookup of one (``get_cycle``,
    ``cycle_id``, Core reads that join the cycle): ``("id", 3)`` for ASCII digits, else
    ``("ref", text)``, a slug or key ("²" is a digit to ``str.isdigit``, not to ``int()``).
    An id beyond the 32-bit serial names no cycle (and would overflow the driver): it raises
    ``CycleNotFound`` here, as a missing cycle does after the lookup."""
    text = str(ref)
    if text.isascii() and text.isdigit():
        if not is_row_id(int(text)):
            raise cycle_not_found(text)
        return "id", int(text)
    return "ref", text


def cycle_id(reader: Reader, ref: str | int) -> int:
    """``get_cycle``'s lookup as a column read, for reads that need only the id (and may run
    on a plain connection, ``Db.read``)."""
    kind, value = cycle_lookup(ref)
    found = read_rows(reader, _ID_BY[kind], {kind: value}).scalar()
    if found is None:
        raise cycle_not_found(ref)
    return int(found)


def get_cycle(session: Session, ref: str | int) -> AwardCycle:
    """Resolve a cycle by id ("3"), slug ("2024-25") or key ("2024/25")."""
    kind, value = cycle_lookup(ref)
    cycle: AwardCycle | None
    if kind == "id":
        cycle = session.get(AwardCycle, value)
    else:
        cycle = session.exec(_BY_SLUG_OR_KEY, params={"ref": value}).first()
    if cycle is None:
        raise cycle_not_found(ref)
    return cycle


def accepting_answers(cycle: AwardCycle, now: datetime | None = None) -> bool:
    """The survey is open and ``now`` lies within its window."""
    return cycle_rules.accepts_answers(cycle.status, cycle.opens_at, cycle.closes_at,
                                       now or utcnow())


def _question_counts(session: Session, cycle_ids: Iterable[int]) -> dict[int, int]:
    ids = list(cycle_ids)
    if not ids:
        return {}
    question = Question
    rows = session.exec(
        select(question.cycle_id, func.count())
        .where(col(question.cycle_id).in_(ids))
        .group_by(col(question.cycle_id))
    ).all()
    return {cycle_id: count for cycle_id, count in rows}


def to_read(cycle: AwardCycle, question_count: int, now: datetime | None = None) -> CycleRead:
    return CycleRead(
        **columns_of(cycle),
        allowed_actions=cycle_rules.allowed_actions(cycle.status),
        accepting_answers=accepting_answers(cycle, now),
        questionnaire_frozen=cycle_rules.questionnaire_frozen(cycle.status),
        question_count=question_count,
    )


def _read(session: Session, cycle: AwardCycle) -> CycleRead:
    assert cycle.id is not None
    return to_read(cycle, _question_counts(session, [cycle.id]).get(cycle.id, 0))


def read_cycle(session: Session, ref: str) -> CycleRead:
    return _read(session, get_cycle(session, ref))


def list_cycles(
    session: Session, params: PageParams, *, statuses: list[CycleStatus] | None = None,
    sort: CycleSort = "-key",
) -> tuple[list[CycleRead], str | None, int | None]:
    query = select(AwardCycle)
    if statuses:
        query = query.where(col(AwardCycle.status).in_([s.value for s in statuses]))
    sort_key = SortKey(col(AwardCycle.key), col(AwardCycle.id), descending=sort.startswith("-"))
    rows, cursor, total = paginate(
        session, query, sort_key, params, value_of=lambda c: c.key, id_of=lambda c: c.id,
    )
    counts = _question_counts(session, (c.id for c in rows if c.id is not None))
    now = utcnow()
    return [to_read(c, counts.get(c.id or 0, 0), now) for c in rows], cursor, total


def _ensure_key_free(session: Session, key: str, *, exclude_id: int | None = None) -> None:
    query = select(AwardCycle.id).where(
        (AwardCycle.key == key) | (AwardCycle.slug == slug_for(key))
    )
    if exclude_id is not None:
        query = query.where(AwardCycle.id != exclude_id)
    if session.exec(query).first() is not None:
        raise CycleKeyTaken(f"A cycle {key!r} exists already.",
                            errors=[field_error(["body", "key"], "already taken", "taken")])


def _check_window(opens_at: datetime | None, closes_at: datetime | None, field: str) -> None:
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise RuleViolation(
            "The survey window must close after it opens.",
            errors=[field_error(["body", field], "closes_at must be after opens_at", "window")],
        )


def create_cycle(session: Session, data: CycleCreate) -> CycleRead:
    _ensure_key_free(session, data.key)
    _check_window(data.opens_at, data.closes_at, "closes_at")
    cycle = AwardCycle(
        key=data.key, slug=slug_for(data.key),
        seal_title=data.seal_title or default_seal_title(data.key),
        opens_at=data.opens_at, closes_at=data.closes_at,
        ceremony_on=data.ceremony_on, ceremony_place=data.ceremony_place,
        status=CycleStatus(data.status),
    )
    session.add(cycle)
    session.commit()
    return to_read(cycle, 0)


def _touch(cycle: AwardCycle) -> None:
    cycle.version += 1
    cycle.updated_at = utcnow()


def update_cycle(session: Session, ref: str, data: CycleUpdate, if_match: str | None) -> CycleRead:
    cycle = get_cycle(session, ref)
    assert cycle.id is not None
    check_if_match(if_match, ETAG_RESOURCE, cycle.id, cycle.version)
    sent = data.model_dump(exclude_unset=True)
    for name in _NOT_NULL:
        if name in sent and sent[name] is None:
            raise RuleViolation(f"{name} cannot be null.",
                                errors=[field_error(["body", name], "cannot be null", "not_null")])
    changes = {name: value for name, value in sent.items() if getattr(cycle, name) != value}
    locked = [name for name in changes if cycle.status not in _EDITABLE_IN[name]]
    if locked:
        raise CycleLocked(
            f"In status {CycleStatus(cycle.status).value} these fields can no longer change: {', '.join(locked)}.",
            errors=[field_error(["body", name], _LOCK_REASONS[name], "locked") for name in locked],
        )
    opens_at = changes.get("opens_at", cycle.opens_at)
    closes_at = changes.get("closes_at", cycle.closes_at)
    _check_window(opens_at, closes_at, "closes_at" if "closes_at" in changes else "opens_at")
    open_survey_ends = "closes_at" in changes and cycle.status == CycleStatus.survey_open
    if open_survey_ends and (closes_at is None or closes_at <= utcnow()):
        raise RuleViolation(
            "The open survey needs an end in the future; use close-survey to end it now.",
            errors=[field_error(["body", "closes_at"], "must be in the future while the "
                                "survey is open", "window")],
        )
    if "key" in changes:
        _ensure_key_free(session, changes["key"], exclude_id=cycle.id)
        cycle.slug = slug_for(changes["key"])
    for name, value in changes.items():
        setattr(cycle, name, value)
    if changes:
        _touch(cycle)
    session.commit()
    return _read(session, cycle)


def _history_tables() -> list[tuple[str, Any]]:
    """Columns of other tables that point at a cycle and keep it alive (RESTRICT)."""
    found = []
    for table in AwardCycle.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table.name == "award_cycle" and foreign_key.ondelete != "CASCADE":
                found.append((table.name, foreign_key.parent))
    return found


def delete_cycle(session: Session, ref: str, if_match: str | None) -> None:
    """Only a cycle without history can go (no responses, notices, evaluations or awards); its
    questionnaire and criteria go with it. An open survey is never deleted."""
    cycle = get_cycle(session, ref)
    assert cycle.id is not None
    check_if_match(if_match, ETAG_RESOURCE, cycle.id, cycle.version)
    if cycle.status == CycleStatus.survey_open:
        raise CycleLocked("The survey is open; close it before deleting the cycle.")
    used_by = [
        name for name, column in _history_tables()
        if session.exec(select(exists().where(column == cycle.id))).one()
    ]
    if used_by:
        raise CycleLocked(
            f"The cycle has history ({', '.join(sorted(set(used_by)))}) and cannot be deleted; "
            "archive it instead.", code="cycle_in_use",
        )
    session.delete(cycle)
    session.commit()


def _open_survey_problems(session: Session, cycle: AwardCycle, now: datetime) -> list[dict[str, Any]]:
    problems = []
    count = session.exec(
        select(func.count()).where(Question.cycle_id == cycle.id)
    ).one()
    if count == 0:
        problems.append(field_error(["cycle", "questions"], "the questionnaire has no questions",
                                    "questionnaire_empty"))
    if cycle.opens_at is None:
        problems.append(field_error(["cycle", "opens_at"], "set the survey window's start",
                                    "missing"))
    if cycle.closes_at is None:
        problems.append(field_error(["cycle", "closes_at"], "set the survey window's end",
                                    "missing"))
    elif cycle.closes_at <= now:
        problems.append(field_error(["cycle", "closes_at"], "the survey window has already ended; "
                                    "move closes_at into the future", "window_ended"))
    return problems


def _evaluated_problems(session: Session, cycle: AwardCycle) -> list[dict[str, Any]]:
    run = evaluation_models.EvaluationRun
    if session.exec(select(exists().where(col(run.cycle_id) == cycle.id))).one():
        return []
    return [field_error(["cycle", "evaluation"], "no evaluation run yet; evaluate the responses "
                        "first", "evaluation_missing")]


def _awarded_problems(session: Session, cycle: AwardCycle) -> list[dict[str, Any]]:
    award = award_models.Award
    confirmed = select(exists().where(col(award.cycle_id) == cycle.id,
                                      col(award.status) == award_models.AwardStatus.confirmed))
    if session.exec(confirmed).one():
        return []
    return [field_error(["cycle", "awards"], "no confirmed award yet; confirm the seal "
                        "alliances first", "awards_missing")]


def run_action(session: Session, ref: str, action: str, if_match: str | None) -> CycleRead:
    """Move the cycle one step (see ``rules``), checking the step's preconditions."""
    cycle = get_cycle(session, ref)
    assert cycle.id is not None
    check_if_match(if_match, ETAG_RESOURCE, cycle.id, cycle.version)
    target = cycle_rules.target_of(action, cycle.status)
    if target is None:
        allowed = cycle_rules.allowed_actions(cycle.status)
        raise InvalidTransition(
            f"{action} is not possible while the cycle is {CycleStatus(cycle.status).value}; "
            f"possible now: {', '.join(allowed) or 'nothing (final status)'}.",
            allowed=allowed, current_status=CycleStatus(cycle.status).value,
        )
    now = utcnow()
    problems: list[dict[str, Any]] = []
    if target == CycleStatus.survey_open:
        problems = _open_survey_problems(session, cycle, now)
    elif target == CycleStatus.evaluated:
        problems = _evaluated_problems(session, cycle)
    elif target == CycleStatus.awarded:
        problems = _awarded_problems(session, cycle)
    if problems:
        raise CycleNotReady(f"The cycle is not ready for {action}.", errors=problems)
    if target == CycleStatus.survey_closed and cycle.closes_at is not None and cycle.closes_at > now:
        cycle.closes_at = now  # closed early: the window records when answers really stopped
    cycle.status = target
    _touch(cycle)
    session.commit()
    return _read(session, cycle)
