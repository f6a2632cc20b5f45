"""Demo seal criteria (seed step ``seed_criteria``): the four published criteria of "2024/25".

The published criteria are qualitative; the thresholds below are the demo's assumption of
what the Servicebüro might set for the demo questionnaire (groups networking, visibility,
offers, future). Idempotent: a cycle that has criteria already is left alone, and a
questionnaire the criteria do not fit (a cycle entered by hand) is skipped, never broken.
"""

from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session, col, select

from app.cycles.models import AwardCycle
from app.evaluation import checks
from app.evaluation.models import SealCriterion
from app.evaluation.rules import parse_rule, rule_to_json
from app.questionnaire.models import Question

DEMO_CYCLE_KEY = "2024/25"


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


DEMO_CRITERIA: list[dict[str, Any]] = [
    {"key": "networking",
     "label": "Gute Vernetzung mit der Bundesinitiative und regionalen Akteuren",
     "explanation": "Das Bündnis trifft sich regelmäßig, nutzt Angebote der Bundesinitiative und "
                    "hat nach eigener Angabe in der Umfrage mindestens drei Partnerorganisationen aus "
                    "Kommune, Wirtschaft und Zivilgesellschaft.",
     # The survey measures the partners (question partner_count); the registry may be behind.
     "rule": {"kind": "all_of", "rules": [
         {"kind": "group_score_at_least", "group": "networking", "min": 8},
         {"kind": "partners_at_least", "min": 3, "source": "answer",
          "question": "partner_count"}]}},
    {"key": "visibility", "label": "Gute Sichtbarkeit",
     "explanation": "Presseberichte, eigene Kanäle und öffentliche Veranstaltungen machen das "
                    "Bündnis vor Ort bekannt.",
     "rule": {"kind": "group_score_at_least", "group": "visibility", "min": 5}},
    {"key": "offers", "label": "Kontinuierliche, greifbare Angebote für Familien",
     "explanation": "Das Bündnis macht mehrmals im Jahr oder laufend Angebote für Familien.",
     "rule": {"kind": "all_of", "rules": [
         {"kind": "group_score_at_least", "group": "offers", "min": 8},
         {"kind": "answer", "question": "offer_frequency", "op": "in",
          "value": ["several", "monthly", "ongoing"]}]}},
    {"key": "future", "label": "Aktive, zukunftsorientierte Bündnisarbeit",
     "explanation": "Das Bündnis arbeitet an Zukunftsthemen oder plant seine Arbeit schriftlich "
                    "und bewirbt sich um das Siegel.",
     "rule": {"kind": "all_of", "rules": [
         {"kind": "any_of", "rules": [
             {"kind": "group_score_at_least", "group": "future", "min": 4},
             {"kind": "answer", "question": "annual_plan", "op": "eq", "value": True}]},
         {"kind": "wants_seal"}]}},
]


@dataclass(frozen=True)
class _Draft:
    key: str
    rule: Any


def seed_criteria(session: Session, report: Report) -> None:
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == DEMO_CYCLE_KEY)).first()
    if cycle is None or cycle.id is None:
        return
    if session.exec(select(SealCriterion.id).where(SealCriterion.cycle_id == cycle.id)).first():
        return
    questions = list(session.exec(
        select(Question).where(Question.cycle_id == cycle.id).order_by(col(Question.position))
    ).all())
    drafts = [_Draft(spec["key"], parse_rule(spec["rule"])) for spec in DEMO_CRITERIA]
    if checks.check_criteria(drafts, questions, loc=("demo",)):
        return
    for position, (spec, draft) in enumerate(zip(DEMO_CRITERIA, drafts, strict=True)):
        session.add(SealCriterion(
            cycle_id=cycle.id, key=spec["key"], label=spec["label"],
            explanation=spec["explanation"], rule=rule_to_json(draft.rule), position=position,
        ))
    session.flush()
    report.count("seal criteria", len(DEMO_CRITERIA))
