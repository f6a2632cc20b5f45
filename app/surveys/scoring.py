"""The Aktivitätsgrad (activity score) and answer checks: pure functions, no database.

Score of one question = raw points × weight, where raw points depend on ``scoring.kind``:

* ``none``: 0 (free text, dates, anything informational)
* ``if_yes`` (boolean): ``scoring.points`` when the answer is yes, else 0
* ``per_unit`` (integer): answer × ``scoring.points_per_unit``, at most ``scoring.cap`` if set
* ``per_option`` (single/multi choice): the ``points`` of the chosen option(s), summed

The activity score is the sum over all questions, rounded to two decimals; an unanswered
question scores 0. Each question's contribution is kept as a breakdown row, and the rows add
up per ``criterion_group`` so the seal criteria can test a group's score.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

MAX_TEXT_LENGTH = 5000
MAX_INTEGER = 1_000_000


class QuestionLike(Protocol):
    key: str
    type: str
    required: bool
    options: list[dict[str, Any]]
    scoring: dict[str, Any]
    weight: float
    criterion_group: str | None


@dataclass(frozen=True)
class ScoreResult:
    total: float
    breakdown: list[dict[str, Any]]

    def group_scores(self) -> dict[str, float]:
        groups: dict[str, float] = {}
        for row in self.breakdown:
            if row["group"]:
                groups[row["group"]] = round(groups.get(row["group"], 0.0) + row["weighted"], 2)
        return groups


def _option_points(question: QuestionLike) -> dict[str, float]:
    return {str(o["value"]): float(o.get("points", 0) or 0) for o in question.options}


def raw_points(question: QuestionLike, answer: Any) -> float:
    if answer is None:
        return 0.0
    kind = (question.scoring or {}).get("kind", "none")
    if kind == "if_yes":
        return float(question.scoring.get("points", 1)) if answer is True else 0.0
    if kind == "per_unit":
        points = float(answer) * float(question.scoring.get("points_per_unit", 1))
        cap = question.scoring.get("cap")
        return min(points, float(cap)) if cap is not None else points
    if kind == "per_option":
        table = _option_points(question)
        chosen = answer if isinstance(answer, list) else [answer]
        return sum(table.get(str(value), 0.0) for value in chosen)
    return 0.0


def score(questions: Iterable[QuestionLike], answers: Mapping[str, Any]) -> ScoreResult:
    breakdown = []
    total = 0.0
    for question in questions:
        answer = answers.get(question.key)
        points = raw_points(question, answer)
        weighted = round(points * float(question.weight), 2)
        total += weighted
        breakdown.append({
            "question": question.key, "group": question.criterion_group,
            "answered": answer is not None, "points": round(points, 2),
            "weight": float(question.weight), "weighted": weighted,
        })
    return ScoreResult(total=round(total, 2), breakdown=breakdown)


def _type_error(question: QuestionLike, value: Any) -> str | None:
    kind = question.type
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        return None if 0 <= value <= MAX_INTEGER else f"must be between 0 and {MAX_INTEGER}"
    if kind == "single_choice":
        allowed = set(_option_points(question))
        return None if isinstance(value, str) and value in allowed else f"must be one of {sorted(allowed)}"
    if kind == "multi_choice":
        allowed = set(_option_points(question))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of option values"
        if len(set(value)) != len(value):
            return "lists an option twice"
        unknown = sorted(set(value) - allowed)
        return f"unknown options {unknown}; allowed: {sorted(allowed)}" if unknown else None
    if kind == "text":
        if not isinstance(value, str):
            return "must be text"
        return None if len(value) <= MAX_TEXT_LENGTH else f"at most {MAX_TEXT_LENGTH} characters"
    if kind == "date":
        if not isinstance(value, str):
            return "must be a date (YYYY-MM-DD)"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
        return None
    return f"unsupported question type {kind}"


def check_answers(
    questions: Iterable[QuestionLike], answers: Mapping[str, Any], *, complete: bool,
    loc_prefix: tuple[str | int, ...] = ("body", "answers"),
) -> list[dict[str, Any]]:
    """Field errors for the answers: unknown keys, wrong types, and (when ``complete``) missing
    required answers. ``None`` counts as not answered."""
    by_key = {q.key: q for q in questions}
    errors: list[dict[str, Any]] = []
    for key in answers:
        if key not in by_key:
            errors.append({"loc": [*loc_prefix, key], "msg": "no such question in this cycle",
                           "type": "unknown_question"})
    for key, question in by_key.items():
        value = answers.get(key)
        if value is None:
            if complete and question.required:
                errors.append({"loc": [*loc_prefix, key], "msg": "an answer is required",
                               "type": "missing"})
            continue
        problem = _type_error(question, value)
        if problem:
            errors.append({"loc": [*loc_prefix, key], "msg": problem, "type": f"{question.type}_type"})
    return errors
