"""Seal criteria per cycle, the preview of a draft set, and evaluation runs.

Criteria are data (see rules.py). A run evaluates every submitted response of the cycle with
the criteria as they are now, stores a snapshot of them with the run and one Evaluation per
alliance, and is never changed afterwards: re-running is a new, recorded run, and readers use
the latest. A run does not change the cycle's status (``POST …/mark-evaluated`` does, as
its own documented step). The facts a rule sees come from the response (activity score, per-group scores
from its score breakdown, answers, interest in the seal) and the alliance (partner count).
"""

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import NotFound, RuleViolation, field_error
from app.core.etags import check_if_match
from app.cycles.models import AwardCycle, CycleStatus
from app.cycles.service import get_cycle
from app.evaluation import checks, plan, queries
from app.evaluation.exceptions import (
    CriteriaLocked,
    CriteriaMissing,
    CriteriaNotEmpty,
    CriteriaOutdated,
    EvaluationNotAllowed,
    InvalidCriteria,
)
from app.evaluation.models import EvaluationRun, SealCriterion
from app.evaluation.plan import Decision, PlannedCriterion
from app.evaluation.rules import parse_rule, rule_to_json
from app.evaluation.schemas import (
    CriteriaSetIn,
    CriteriaSetRead,
    CriterionRead,
    EvaluationRunCreate,
    EvaluationRunRead,
    PreviewAlliance,
    PreviewCriterionCount,
    PreviewRead,
)
from app.questionnaire.models import Question
from app.surveys.models import ResponseStatus, SurveyResponse
from app.webhooks import service as webhooks
from app.webhooks.events import EvaluationRunEventData, EventType

EVALUATION_STATUSES = (CycleStatus.survey_closed, CycleStatus.evaluated)
LOCKED_STATUSES = (CycleStatus.awarded, CycleStatus.archived)


# --- criteria -----------------------------------------------------------------------------------

def _criteria_rows(session: Session, cycle_id: int) -> list[SealCriterion]:
    return list(session.exec(
        select(SealCriterion).where(SealCriterion.cycle_id == cycle_id)
        .order_by(col(SealCriterion.position), col(SealCriterion.id))
    ).all())


def _questions(session: Session, cycle_id: int) -> list[Question]:
    return list(session.exec(
        select(Question).where(Question.cycle_id == cycle_id).order_by(col(Question.position))
    ).all())


def criteria_version(criteria: Sequence[CriterionRead]) -> int:
    """A stable number for the set's content: the ETag of the criteria resource."""
    raw = json.dumps([c.model_dump(mode="json") for c in criteria], sort_keys=True)
    return zlib.crc32(raw.encode())


def _to_set(cycle: AwardCycle, rows: Sequence[SealCriterion]) -> CriteriaSetRead:
    assert cycle.id is not None
    return CriteriaSetRead(
        cycle_id=cycle.id, cycle_key=cycle.key,
        criteria=[CriterionRead(key=r.key, label=r.label, explanation=r.explanation, rule=r.rule,
                                position=r.position) for r in rows],
    )


def read_criteria(session: Session, cycle_ref: str) -> CriteriaSetRead:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    return _to_set(cycle, _criteria_rows(session, cycle.id))


def replace_criteria(
    session: Session, cycle_ref: str, data: CriteriaSetIn, if_match: str | None,
) -> CriteriaSetRead:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    _lock_cycle(session, cycle.id)
    if cycle.status in LOCKED_STATUSES:
        raise CriteriaLocked(
            f"The cycle is {cycle.status}: its awards rest on the criteria, which stay as they are.",
            current_status=cycle.status,
        )
    current = _criteria_rows(session, cycle.id)
    check_if_match(if_match, "criteria", cycle.id, criteria_version(_to_set(cycle, current).criteria))
    errors = checks.check_criteria(data.criteria, _questions(session, cycle.id))
    if errors:
        raise InvalidCriteria(f"{len(errors)} problem(s) in the criteria; nothing was changed.",
                              errors=errors)
    for row in current:
        session.delete(row)
    session.flush()  # the keys are unique per cycle: remove the old set before adding the new
    rows = [
        SealCriterion(cycle_id=cycle.id, key=c.key, label=c.label, explanation=c.explanation,
                      rule=rule_to_json(c.rule), position=position)
        for position, c in enumerate(data.criteria)
    ]
    session.add_all(rows)
    session.commit()
    return _to_set(cycle, rows)


COPY_REFUSED_STATUSES = (CycleStatus.evaluated, *LOCKED_STATUSES)


def _lock_cycle(session: Session, cycle_id: int) -> None:
    """Writers of a cycle's criteria take turns (two copies at once would both find the set
    empty and collide on the unique key)."""
    session.exec(select(AwardCycle.id).where(AwardCycle.id == cycle_id).with_for_update()).one()


@dataclass(frozen=True)
class _Copied:
    key: str
    rule: Any


def copy_criteria(
    session: Session, cycle_ref: str, source_ref: str, replace: bool, if_match: str | None,
) -> CriteriaSetRead:
    """Copy another cycle's seal criteria into this cycle, as the questionnaire copy does:
    refused once the cycle is evaluated (or later), onto itself, from an unknown or empty
    source, over existing criteria without ``replace``, or when a copied rule does not fit
    this cycle's questionnaire (422 naming each fault)."""
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    _lock_cycle(session, cycle.id)
    if cycle.status in COPY_REFUSED_STATUSES:
        raise CriteriaLocked(
            f"The cycle is {cycle.status}: its criteria have been evaluated; change them one by "
            "one with PUT …/criteria if you must, never by a wholesale copy.",
            current_status=cycle.status,
        )
    current = _criteria_rows(session, cycle.id)
    check_if_match(if_match, "criteria", cycle.id, criteria_version(_to_set(cycle, current).criteria))
    try:
        source = get_cycle(session, source_ref)
    except NotFound as exc:
        raise RuleViolation(f"No award cycle {source_ref!r} to copy from.", errors=[
            field_error(["query", "from"], "no such cycle", "not_found")]) from exc
    assert source.id is not None
    if source.id == cycle.id:
        raise RuleViolation("Criteria cannot be copied onto their own cycle.", errors=[
            field_error(["query", "from"], "is the target cycle itself", "same_cycle")])
    source_rows = _criteria_rows(session, source.id)
    if not source_rows:
        raise RuleViolation(f"Cycle {source.key} has no seal criteria to copy.", errors=[
            field_error(["query", "from"], "has no criteria", "criteria_empty")])
    if current and not replace:
        raise CriteriaNotEmpty(
            f"Cycle {cycle.key} has {len(current)} criteria; pass replace=true to overwrite them.")
    drafts = [_Copied(r.key, parse_rule(r.rule)) for r in source_rows]
    errors = checks.check_criteria(drafts, _questions(session, cycle.id), loc=("source", "criteria"))
    if errors:
        raise InvalidCriteria(
            f"{len(errors)} of the criteria of {source.key} do not fit this cycle's "
            "questionnaire; nothing was copied.", errors=errors)
    for row in current:
        session.delete(row)
    session.flush()
    rows = [
        SealCriterion(cycle_id=cycle.id, key=r.key, label=r.label, explanation=r.explanation,
                      rule=rule_to_json(d.rule), position=position)
        for position, (r, d) in enumerate(zip(source_rows, drafts, strict=True))
    ]
    session.add_all(rows)
    session.commit()
    return _to_set(cycle, rows)


# --- decisions (app/evaluation/plan.py) --------------------------------------------------------

def _decide_all(session: Session, cycle_id: int,
                criteria: Sequence[PlannedCriterion]) -> list[Decision]:
    return plan.decide_all(session, cycle_id, plan.CriteriaPlan(criteria, _questions(session, cycle_id)))


def preview(session: Session, cycle_ref: str, data: CriteriaSetIn) -> PreviewRead:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    errors = checks.check_criteria(data.criteria, _questions(session, cycle.id))
    if errors:
        raise InvalidCriteria(f"{len(errors)} problem(s) in the criteria.", errors=errors)
    criteria = [PlannedCriterion(c.key, c.label, c.rule) for c in data.criteria]
    decisions = _decide_all(session, cycle.id, criteria)
    names = dict(session.exec(
        select(Alliance.id, Alliance.name)
        .where(col(Alliance.id).in_(
            select(SurveyResponse.alliance_id).where(SurveyResponse.cycle_id == cycle.id,
                                                     SurveyResponse.status == ResponseStatus.submitted)))
    ).all())
    counts = [
        PreviewCriterionCount(
            key=c.key, label=c.label,
            passed=sum(d.outcome.passed[i] for d in decisions),
            failed=sum(not d.outcome.passed[i] for d in decisions),
        )
        for i, c in enumerate(criteria)
    ]
    meeting = sum(d.meets_criteria for d in decisions)
    return PreviewRead(
        evaluated=len(decisions), meets_criteria=meeting, fails_criteria=len(decisions) - meeting,
        invited_to_future_project=sum(d.invited for d in decisions), criteria=counts,
        alliances=[
            PreviewAlliance(
                alliance_id=d.alliance_id, alliance_name=names.get(d.alliance_id, ""),
                activity_score=d.activity_score, meets_criteria=d.meets_criteria,
                failed_criteria=[c.key for c, passed in zip(criteria, d.outcome.passed, strict=True)
                                 if not passed],
                wants_future_project=d.wants_future_project, invited_to_future_project=d.invited,
            )
            for d in decisions
        ],
    )


# --- runs ---------------------------------------------------------------------------------------

def _saved_criteria(session: Session, cycle_id: int) -> tuple[list[SealCriterion], list[PlannedCriterion]]:
    rows = _criteria_rows(session, cycle_id)
    if not rows:
        raise CriteriaMissing("Define the seal criteria (PUT …/criteria) before evaluating.")
    parsed = [PlannedCriterion(r.key, r.label, parse_rule(r.rule)) for r in rows]
    errors = checks.check_criteria(parsed, _questions(session, cycle_id), loc=("criteria",))
    if errors:
        raise CriteriaOutdated(
            "The questionnaire changed after the criteria were set; update the criteria first.",
            errors=errors,
        )
    return rows, parsed


def start_run(
    session: Session, cycle_ref: str, data: EvaluationRunCreate, principal: Principal,
) -> EvaluationRunRead:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    if cycle.status not in EVALUATION_STATUSES:
        allowed = [s.value for s in EVALUATION_STATUSES]
        raise EvaluationNotAllowed(
            f"The cycle is {cycle.status}; it can be evaluated only when it is "
            f"{' or '.join(allowed)}.",
            allowed_statuses=allowed, current_status=cycle.status,
        )
    rows, criteria = _saved_criteria(session, cycle.id)
    decisions = _decide_all(session, cycle.id, criteria)
    run = EvaluationRun(
        cycle_id=cycle.id, started_by=principal.actor, reason=data.reason,
        criteria_snapshot=[
            {"key": r.key, "label": r.label, "explanation": r.explanation, "rule": r.rule,
             "position": r.position} for r in rows
        ],
        evaluated_count=len(decisions), passed_count=sum(d.meets_criteria for d in decisions),
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    plan.store(session, run.id, cycle.id, decisions)
    webhooks.emit(session, EventType.evaluation_run_recorded, EvaluationRunEventData(
        run_id=run.id, cycle_key=cycle.key, occurred_at=utcnow()))
    # A run never moves the cycle: ``mark-evaluated`` is the Servicebüro's explicit next step,
    # so a script following the documented path finds the status it expects.
    session.commit()
    return queries.run_read(run, invited=sum(d.invited for d in decisions), is_latest=True)
