"""Does a criteria set fit the questionnaire? Table-driven, no database."""

from dataclasses import dataclass
from typing import Any

import pytest

from app.evaluation.checks import check_criteria, check_rule
from app.evaluation.rules import parse_rule
from app.questionnaire.models import Question
from tests.factories import STANDARD_CRITERIA, STANDARD_QUESTIONS

QUESTIONS = [Question(cycle_id=1, position=i, **spec) for i, spec in enumerate(STANDARD_QUESTIONS)]


@dataclass(frozen=True)
class Draft:
    key: str
    rule: Any


def _answer(question: str, op: str, value: Any) -> dict[str, Any]:
    return {"kind": "answer", "question": question, "op": op, "value": value}


FITTING = [
    {"kind": "group_score_at_least", "group": "offers", "min": 4},
    _answer("press_coverage", "ne", False),
    _answer("partner_meetings", "in", [4, 6]),
    _answer("offer_frequency", "in", ["quarterly", "monthly"]),
    _answer("future_topics", "contains", "childcare"),
    _answer("future_topics", "gte", 2),
    _answer("future_topics", "eq", ["childcare", "low_income"]),
    _answer("remarks", "contains", "Kita"),
    _answer("last_event_on", "gte", "2024-01-01"),
    {"kind": "any_of", "rules": [{"kind": "wants_seal"}, {"kind": "partners_at_least", "min": 3}]},
]


@pytest.mark.parametrize("rule", FITTING)
def test_rules_that_fit_the_questionnaire(rule):
    assert check_rule(parse_rule(rule), QUESTIONS) == []


# (rule, loc of the fault, error type)
MISFITS = [
    ({"kind": "group_score_at_least", "group": "sports", "min": 1}, ["rule", "group"], "unknown_group"),
    (_answer("shoe_size", "eq", 42), ["rule", "question"], "unknown_question"),
    (_answer("press_coverage", "gte", 1), ["rule", "op"], "op_not_supported"),
    (_answer("press_coverage", "eq", "ja"), ["rule", "value"], "value_mismatch"),
    (_answer("partner_meetings", "eq", "oft"), ["rule", "value"], "value_mismatch"),
    (_answer("partner_meetings", "in", [4, "x"]), ["rule", "value", 1], "value_mismatch"),
    (_answer("offer_frequency", "eq", "weekly"), ["rule", "value"], "value_mismatch"),
    (_answer("offer_frequency", "contains", "monthly"), ["rule", "op"], "op_not_supported"),
    (_answer("offer_frequency", "eq", ["monthly"]), ["rule", "value"], "value_mismatch"),
    (_answer("future_topics", "contains", "sports"), ["rule", "value"], "value_mismatch"),
    (_answer("future_topics", "eq", "childcare"), ["rule", "value"], "value_mismatch"),
    (_answer("future_topics", "gte", 1.5), ["rule", "value"], "value_mismatch"),
    (_answer("last_event_on", "gte", 2024), ["rule", "value"], "value_mismatch"),
    (_answer("remarks", "gte", 3), ["rule", "op"], "op_not_supported"),
    ({"kind": "all_of", "rules": [{"kind": "wants_seal"}, {"kind": "any_of", "rules": [
        _answer("nope", "eq", True)]}]}, ["rule", "rules", 1, "rules", 0, "question"], "unknown_question"),
]


@pytest.mark.parametrize(("rule", "loc", "error_type"), MISFITS)
def test_misfits_name_their_path(rule, loc, error_type):
    errors = check_rule(parse_rule(rule), QUESTIONS)
    assert [(e["loc"], e["type"]) for e in errors] == [(loc, error_type)], errors


def test_a_set_reports_duplicates_and_every_misfit_with_its_index():
    drafts = [
        Draft("networking", parse_rule({"kind": "wants_seal"})),
        Draft("visibility", parse_rule(_answer("shoe_size", "eq", 1))),
        Draft("networking", parse_rule({"kind": "group_score_at_least", "group": "x", "min": 1})),
    ]
    errors = check_criteria(drafts, QUESTIONS)
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "criteria", 1, "rule", "question"], "unknown_question"),
        (["body", "criteria", 2, "key"], "duplicate"),
        (["body", "criteria", 2, "rule", "group"], "unknown_group"),
    ]


def test_the_standard_criteria_fit_the_standard_questions():
    drafts = [Draft(spec["key"], parse_rule(spec["rule"])) for spec in STANDARD_CRITERIA]
    assert check_criteria(drafts, QUESTIONS) == []


def test_without_questions_only_alliance_and_score_rules_fit():
    assert check_rule(parse_rule({"kind": "total_score_at_least", "min": 1}), []) == []
    errors = check_rule(parse_rule({"kind": "group_score_at_least", "group": "networking", "min": 1}), [])
    assert errors[0]["msg"].endswith("known groups: []")
