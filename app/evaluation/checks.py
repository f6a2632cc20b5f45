"""Does a criteria set fit the cycle's questionnaire? Pure: questions in, field errors out.

The rule shapes are checked by pydantic (app/evaluation/rules.py); here we check what only the
cycle knows: question keys and groups exist, each ``answer`` comparison suits the question's
type, and choice values are options of the question. Every error names the path of the fault,
e.g. ["body", "criteria", 1, "rule", "rules", 0, "question"].
"""

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from app.evaluation.rules import (
    RuleAllOf,
    RuleAnswer,
    RuleAnyOf,
    RuleGroupScoreAtLeast,
    RulePartnersAtLeast,
    is_iso_date,
    is_number,
)

Loc = tuple[str | int, ...]


class QuestionShape(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def options(self) -> list[dict[str, Any]]: ...
    @property
    def criterion_group(self) -> str | None: ...


class CriterionShape(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def rule(self) -> Any: ...


# Which comparisons suit which question type, and what ``value`` must then be.
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "boolean": ("eq", "ne"),
    "integer": ("eq", "ne", "gte", "lte", "in"),
    "single_choice": ("eq", "ne", "in"),
    "multi_choice": ("eq", "ne", "in", "contains", "gte", "lte"),
    "text": ("eq", "ne", "contains"),
    "date": ("eq", "ne", "gte", "lte"),
}


def _error(loc: Loc, msg: str, type_: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


def _options(question: QuestionShape) -> list[str]:
    return [str(option.get("value")) for option in question.options]


def _value_problem(question: QuestionShape, op: str, value: Any) -> str | None:
    """Why ``value`` cannot be compared with answers to ``question`` by ``op`` (None = fine)."""
    kind = question.type
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false for a yes/no question"
    if kind == "integer":
        return None if is_number(value) else "must be a number for a number question"
    if kind == "date":
        return None if is_iso_date(value) else "must be a date (YYYY-MM-DD) for a date question"
    if kind == "text":
        return None if isinstance(value, str) else "must be text for a text question"
    if kind == "multi_choice" and op in ("gte", "lte"):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return "must be a whole number (how many options are chosen)"
    if kind in ("single_choice", "multi_choice"):
        allowed = _options(question)
        if isinstance(value, str) and value in allowed:
            return None
        return f"must be one of the question's options {allowed}"
    return f"questions of type {kind} cannot be compared"


def _check_answer(rule: RuleAnswer, questions: dict[str, QuestionShape], loc: Loc) -> list[dict[str, Any]]:
    question = questions.get(rule.question)
    if question is None:
        return [_error((*loc, "question"),
                       f"no question {rule.question!r} in this cycle's questionnaire; known: "
                       f"{sorted(questions)}", "unknown_question")]
    allowed_ops = OPS_BY_TYPE.get(question.type, ())
    if rule.op not in allowed_ops:
        return [_error((*loc, "op"),
                       f"{rule.op!r} does not suit a {question.type} question; use one of "
                       f"{list(allowed_ops)}", "op_not_supported")]
    errors = []
    if isinstance(rule.value, list):
        if rule.op in ("eq", "ne") and question.type != "multi_choice":
            return [_error((*loc, "value"), "a list can only be compared with a multiple-choice "
                           "answer; use 'in' to allow several values", "value_mismatch")]
        for index, item in enumerate(rule.value):
            problem = _value_problem(question, rule.op, item)
            if problem:
                errors.append(_error((*loc, "value", index), problem, "value_mismatch"))
    else:
        if rule.op in ("eq", "ne") and question.type == "multi_choice":
            return [_error((*loc, "value"), "a multiple-choice answer is a list: compare it with a "
                           "list of options, or use 'contains'", "value_mismatch")]
        problem = _value_problem(question, rule.op, rule.value)
        if problem:
            errors.append(_error((*loc, "value"), problem, "value_mismatch"))
    return errors


# Question types whose answer is a number a count can be read from.
NUMERIC_TYPES = ("integer",)


def _check_partners(rule: RulePartnersAtLeast, questions: dict[str, QuestionShape],
                    loc: Loc) -> list[dict[str, Any]]:
    if rule.question is None:
        return []
    question = questions.get(rule.question)
    if question is None:
        return [_error((*loc, "question"),
                       f"no question {rule.question!r} in this cycle's questionnaire; known: "
                       f"{sorted(questions)}", "unknown_question")]
    if question.type not in NUMERIC_TYPES:
        numeric = sorted(k for k, q in questions.items() if q.type in NUMERIC_TYPES)
        return [_error((*loc, "question"),
                       f"question {rule.question!r} is a {question.type} question; a partner count "
                       f"is read only from a number question: {numeric}", "not_numeric")]
    return []


def check_rule(rule: Any, questions: Sequence[QuestionShape], loc: Loc = ("rule",)) -> list[dict[str, Any]]:
    by_key = {q.key: q for q in questions}
    groups = sorted({q.criterion_group for q in questions if q.criterion_group})
    return _check(rule, by_key, groups, loc)


def _check(rule: Any, questions: dict[str, QuestionShape], groups: list[str], loc: Loc) -> list[dict[str, Any]]:
    if isinstance(rule, RuleAnswer):
        return _check_answer(rule, questions, loc)
    if isinstance(rule, RulePartnersAtLeast):
        return _check_partners(rule, questions, loc)
    if isinstance(rule, RuleGroupScoreAtLeast) and rule.group not in groups:
        return [_error((*loc, "group"),
                       f"no question of this cycle belongs to group {rule.group!r}; known groups: "
                       f"{groups}", "unknown_group")]
    if isinstance(rule, RuleAllOf | RuleAnyOf):
        errors: list[dict[str, Any]] = []
        for index, part in enumerate(rule.rules):
            errors.extend(_check(part, questions, groups, (*loc, "rules", index)))
        return errors
    return []


def check_criteria(
    criteria: Iterable[CriterionShape], questions: Sequence[QuestionShape],
    loc: Loc = ("body", "criteria"),
) -> list[dict[str, Any]]:
    """Field errors for a whole set: duplicate keys, and rules that do not fit the questionnaire."""
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, criterion in enumerate(criteria):
        if criterion.key in seen:
            errors.append(_error((*loc, index, "key"),
                                 f"the key {criterion.key!r} is used by criterion {seen[criterion.key]} "
                                 "already", "duplicate"))
        seen.setdefault(criterion.key, index)
        errors.extend(check_rule(criterion.rule, questions, (*loc, index, "rule")))
    return errors
