"""An evaluation run's plan: the criteria and the scoring compiled once, the responses read in
batches of the columns a decision needs, the results stored with executemany.

A rule's verdict depends only on the facts it reads (``fact_key``): the group score it tests,
the total, one answer, the partner count, the interest in the seal. Responses with the same
such facts get the same verdicts, so each distinct combination is decided once with
``verdicts.evaluate`` (explanations included) and shared; a cycle has far fewer distinct
combinations than responses. ``tests/evaluation/test_plan.py`` checks the plan against
``evaluate`` response by response.
"""

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from app.alliances.models import AlliancePartner
from app.core.bulk import driver_converter, insert_rows
from app.core.db import utcnow
from app.evaluation.models import Evaluation
from app.evaluation.rules import (
    SOURCE_REGISTRY,
    RuleAllOf,
    RuleAnswer,
    RuleAnyOf,
    RuleGroupScoreAtLeast,
    RulePartnersAtLeast,
    RuleTotalScoreAtLeast,
    RuleWantsSeal,
)
from app.evaluation.verdicts import Facts, evaluate
from app.questionnaire.models import Question
from app.questionnaire.rules import ScoringPlan
from app.surveys.models import ResponseStatus, SurveyResponse

BATCH = 5000  # rows per read and per executemany


@dataclass(frozen=True)
class PlannedCriterion:
    key: str
    label: str
    rule: Any


@dataclass(frozen=True)
class Outcome:
    """The verdicts for one combination of facts (shared by every response that has it)."""

    results: list[dict[str, Any]]  # criteria_results as stored; never mutate
    json: str  # the same, as the JSON text stored
    passed: tuple[bool, ...]
    meets_criteria: bool


@dataclass(frozen=True, slots=True)
class Decision:
    response_id: int
    alliance_id: int
    activity_score: float
    wants_future_project: bool
    outcome: Outcome

    @property
    def meets_criteria(self) -> bool:
        return self.outcome.meets_criteria

    @property
    def invited(self) -> bool:
        return self.outcome.meets_criteria and self.wants_future_project


def typed(value: Any) -> Any:
    """A hashable key that keeps JSON types apart (True is not 1, 1 is not 1.0); text and
    None stand for themselves (they equal no other key)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is bool or kind is int or kind is float:
        return (kind, value)
    if kind is list:
        return (list, tuple(typed(v) for v in value))
    return (object, repr(value))


KeyFn = Callable[[Mapping[str, Any], float, Mapping[str, float], int, bool], Any]


def key_function(rule: Any) -> KeyFn:
    """A function of (answers, total, group scores, partner count, wants seal) returning
    everything of those facts that ``evaluate(rule, facts)`` reads, compiled once per rule."""
    if isinstance(rule, RuleGroupScoreAtLeast):
        group = rule.group
        return lambda answers, total, groups, partners, seal: round(float(groups.get(group, 0.0)), 2)
    if isinstance(rule, RuleTotalScoreAtLeast):
        return lambda answers, total, groups, partners, seal: round(float(total), 2)
    if isinstance(rule, RulePartnersAtLeast) and rule.source == SOURCE_REGISTRY:
        return lambda answers, total, groups, partners, seal: partners
    if isinstance(rule, RulePartnersAtLeast | RuleAnswer):
        question = rule.question or ""
        return lambda answers, total, groups, partners, seal: typed(answers.get(question))
    if isinstance(rule, RuleWantsSeal):
        return lambda answers, total, groups, partners, seal: seal
    if isinstance(rule, RuleAllOf | RuleAnyOf):
        parts = [key_function(part) for part in rule.rules]
        return lambda *facts: tuple(part(*facts) for part in parts)
    raise TypeError(f"not a rule: {rule!r}")


def fact_key(rule: Any, facts: Facts) -> Any:
    """Everything of ``facts`` that ``evaluate(rule, facts)`` reads."""
    return key_function(rule)(facts.answers, facts.total_score, facts.group_scores,
                              facts.partner_count, facts.wants_seal is True)


def _uses(rule: Any, kind: type) -> bool:
    if isinstance(rule, RuleAllOf | RuleAnyOf):
        return any(_uses(part, kind) for part in rule.rules)
    if kind is RulePartnersAtLeast:
        return isinstance(rule, RulePartnersAtLeast) and rule.source == SOURCE_REGISTRY
    return isinstance(rule, kind)


def group_scores(breakdown: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    groups: dict[str, float] = {}
    for row in breakdown:
        group = row.get("group")
        if group:
            groups[group] = round(groups.get(group, 0.0) + float(row.get("weighted") or 0.0), 2)
    return groups


class CriteriaPlan:
    """The criteria of a run and the cycle's scoring, compiled once."""

    def __init__(self, criteria: Sequence[PlannedCriterion], questions: Sequence[Question]) -> None:
        self.criteria = list(criteria)
        self.scoring = ScoringPlan(questions)
        self.needs_partners = any(_uses(c.rule, RulePartnersAtLeast) for c in self.criteria)
        self._keys = [key_function(c.rule) for c in self.criteria]
        self._outcomes: dict[tuple[Any, ...], Outcome] = {}
        self._groups: dict[str, dict[str, float]] = {}

    def scored(self, answers: Mapping[str, Any], activity_score: float | None,
               breakdown: str | None) -> tuple[float, dict[str, float]]:
        """The total and group scores. The stored score is used as submitted (``breakdown``
        is its JSON text; equal texts are parsed once); one without a score (e.g. entered
        before scoring existed) is scored now with the cycle's questionnaire."""
        if activity_score is not None and breakdown:
            groups = self._groups.get(breakdown)
            if groups is None:
                groups = self._groups[breakdown] = group_scores(json.loads(breakdown))
            if groups or breakdown.strip() not in ("[]", "null"):
                return float(activity_score), groups
        result = self.scoring.score(answers)
        return float(result.total), group_scores(result.breakdown)

    def decide(self, answers: Mapping[str, Any], total: float, groups: Mapping[str, float],
               partner_count: int, wants_seal: bool) -> Outcome:
        key = tuple(fn(answers, total, groups, partner_count, wants_seal) for fn in self._keys)
        outcome = self._outcomes.get(key)
        if outcome is None:
            facts = Facts(total_score=total, group_scores=groups, answers=answers,
                          partner_count=partner_count, wants_seal=wants_seal)
            verdicts = [evaluate(c.rule, facts) for c in self.criteria]
            results = [{"key": c.key, "label": c.label, **v.as_dict()}
                       for c, v in zip(self.criteria, verdicts, strict=True)]
            outcome = Outcome(results=results, json=json.dumps(results),
                              passed=tuple(v.passed for v in verdicts),
                              meets_criteria=all(v.passed for v in verdicts))
            self._outcomes[key] = outcome
        return outcome


def _submitted(cycle_id: int) -> Any:
    return (col(SurveyResponse.cycle_id) == cycle_id,
            col(SurveyResponse.status) == ResponseStatus.submitted)


def _partner_counts(session: Session, cycle_id: int) -> dict[int, int]:
    responding = select(col(SurveyResponse.alliance_id)).where(*_submitted(cycle_id))
    rows = session.execute(
        select(col(AlliancePartner.alliance_id), func.count(col(AlliancePartner.id)))
        .where(col(AlliancePartner.alliance_id).in_(responding))
        .group_by(col(AlliancePartner.alliance_id))
    ).all()
    return {alliance_id: count for alliance_id, count in rows}


_ROWS_SQL = (
    "SELECT id, alliance_id, answers, activity_score, CAST(score_breakdown AS TEXT), wants_seal, "
    "wants_future_project FROM survey_response WHERE cycle_id = ? AND status = ? "
    "ORDER BY alliance_id"
)


def _rows(session: Session, cycle_id: int) -> Iterator[tuple[Any, ...]]:
    """(id, alliance_id, answers, activity_score, breakdown JSON text, wants_seal,
    wants_future_project) of each submitted response, BATCH rows at a time, straight from the
    driver: SQLite hands JSON over as text and booleans as 0/1, psycopg parses JSON."""
    connection = session.connection()
    sql = _ROWS_SQL if connection.dialect.name == "sqlite" else _ROWS_SQL.replace("?", "%s")
    result = connection.exec_driver_sql(sql, (cycle_id, ResponseStatus.submitted.value))
    while batch := result.fetchmany(BATCH):
        for row in batch:
            answers = row[2]
            if isinstance(answers, str | bytes):
                answers = json.loads(answers)
            yield (row[0], row[1], answers or {}, row[3], row[4], row[5] is not None and
                   bool(row[5]), row[6] is not None and bool(row[6]))


def decide_all(session: Session, cycle_id: int, plan: CriteriaPlan) -> list[Decision]:
    """Every submitted response of the cycle, decided, in alliance order."""
    partners = _partner_counts(session, cycle_id) if plan.needs_partners else {}
    decisions = []
    for response_id, alliance_id, answers, score, breakdown, wants_seal, wants_future in _rows(
            session, cycle_id):
        total, groups = plan.scored(answers, score, breakdown)
        outcome = plan.decide(answers, total, groups, partners.get(alliance_id, 0), wants_seal)
        decisions.append(Decision(response_id, alliance_id, total, wants_future, outcome))
    return decisions


_STORED = ("run_id", "cycle_id", "alliance_id", "response_id", "activity_score", "criteria_results",
           "meets_criteria", "wants_future_project", "invited_to_future_project", "created_at")


def store(session: Session, run_id: int, cycle_id: int, decisions: Sequence[Decision]) -> None:
    """One Evaluation row per decision, BATCH rows per executemany (evaluations are
    bookkeeping of the audited run and not audited row by row, see app/audit/recorder.py).

    The rows go to the driver as they are: the constant columns and the timestamp are
    converted once by their column types, criteria_results is each outcome's JSON text
    (serialised once per outcome), so nothing is converted 60,000 times."""
    table = SQLModel.metadata.tables[Evaluation.__tablename__]
    connection = session.connection()
    now = driver_converter(table.c.created_at, connection.dialect)(utcnow())
    for start in range(0, len(decisions), BATCH):
        insert_rows(connection, table, _STORED, [
            (run_id, cycle_id, d.alliance_id, d.response_id, d.activity_score, d.outcome.json,
             d.meets_criteria, d.wants_future_project, d.invited, now)
            for d in decisions[start:start + BATCH]
        ])
