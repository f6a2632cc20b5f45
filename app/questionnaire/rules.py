"""The Aktivitätsgrad (activity score), answer checks and questionnaire checks: pure functions,
no database.

Score of one question = raw points × weight, where raw points depend on ``scoring.kind``:

* ``none``: 0 (free text, dates, anything informational)
* ``if_yes`` (boolean): ``scoring.points`` when the answer is yes, else 0
* ``per_unit`` (integer): answer × ``scoring.points_per_unit``, at most ``scoring.cap`` if set
* ``per_option`` (single/multi choice): the ``points`` of the chosen option(s), summed; an
  option listed twice counts once

Only a valid answer scores: one of the wrong type (text for a number, a list for a single
choice, a negative count, an unknown option) counts like no answer, so the score never depends
on input that ``check_answers`` would refuse. Raw points and weights below zero count as zero.

Each question's weighted score is rounded half up to two decimals; the activity score is the
sum of these rounded rows, so the breakdown adds up exactly to the total. An unanswered
question scores 0. The rows add up per ``criterion_group`` so the seal criteria can test a
group's score. ``max_points`` is the best a question can score; it is ``None`` (unbounded) for a
``per_unit`` question without a cap, and then the questionnaire's maximum is unbounded too.

Worked example (the questions of ``tests.factories.STANDARD_QUESTIONS``)::

    partner_meetings  per_unit 1/unit, cap 6, weight 1   answer 8          -> 6 × 1 = 6
    press_coverage    if_yes 3, weight 1                  answer true       -> 3 × 1 = 3
    offer_frequency   per_option, weight 2                answer "monthly"  -> 4 × 2 = 8
    future_topics     per_option (1 each), weight 1       answer 2 options  -> 2 × 1 = 2
    remarks, last_event_on  kind none                                       -> 0
                                                          activity score     = 19
"""

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Protocol

from app.core.text import forbidden_characters

MAX_TEXT_LENGTH = 5000
MAX_INTEGER = 1_000_000

SCORING_KINDS = ("none", "per_option", "per_unit", "if_yes")
CHOICE_TYPES = frozenset({"single_choice", "multi_choice"})
# Which question types each scoring kind applies to; ``none`` fits every type.
KIND_TYPES: dict[str, frozenset[str]] = {
    "per_option": CHOICE_TYPES,
    "per_unit": frozenset({"integer"}),
    "if_yes": frozenset({"boolean"}),
}
# The scoring fields each kind uses; any other field set is a mistake worth naming.
KIND_FIELDS: dict[str, frozenset[str]] = {
    "none": frozenset(),
    "per_option": frozenset(),
    "per_unit": frozenset({"points_per_unit", "cap"}),
    "if_yes": frozenset({"points"}),
}
SCORING_FIELDS = ("points_per_unit", "cap", "points")
MIN_CHOICE_OPTIONS = 2
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class QuestionLike(Protocol):
    """What scoring reads of a question (read-only, so table rows whose ``type`` is the
    QuestionType enum fit as well as plain objects)."""

    @property
    def key(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def options(self) -> list[dict[str, Any]]: ...
    @property
    def scoring(self) -> dict[str, Any]: ...
    @property
    def weight(self) -> float: ...
    @property
    def criterion_group(self) -> str | None: ...


@lru_cache(maxsize=8192)
def round2(value: float) -> float:
    """Round half up to two decimals (2.675 -> 2.68; float ``round`` would give 2.67).
    Only reachable with definitions the checks refuse: overflow counts as 0, and beyond 10^15
    cents carry no meaning, so such values stay as they are."""
    if not math.isfinite(value):
        return 0.0
    if abs(value) >= 1e15:
        return float(value)
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ScoreResult:
    total: float
    breakdown: list[dict[str, Any]]
    max_total: float | None = None

    def group_scores(self) -> dict[str, float]:
        groups: dict[str, float] = {}
        for row in self.breakdown:
            if row["group"]:
                groups[row["group"]] = round2(groups.get(row["group"], 0.0) + row["weighted"])
        return groups


def _number(value: Any, default: float) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value) if math.isfinite(value) else default


def _weight(question: QuestionLike) -> float:
    return max(0.0, _number(question.weight, 0.0))


def _kind(question: QuestionLike) -> str:
    kind = (question.scoring or {}).get("kind", "none")
    return kind if kind in SCORING_KINDS else "none"


def _option_points(question: QuestionLike) -> dict[str, float]:
    return {str(o["value"]): max(0.0, _number(o.get("points"), 0.0)) for o in question.options}


def _scores(kind: str, question_type: str) -> bool:
    """Whether a scoring kind gives points for answers of this type (``raw_points``)."""
    return ((kind == "if_yes" and question_type == "boolean")
            or (kind == "per_unit" and question_type == "integer")
            or (kind == "per_option" and question_type in CHOICE_TYPES))


def raw_points(question: QuestionLike, answer: Any, table: dict[str, float] | None = None,
               kind: str | None = None) -> float:
    """Points of one answer before the weight; 0 for no answer or an invalid one. ``table``
    and ``kind`` (the question's option points and scoring kind) may be passed in when
    they are known already (``ScoringPlan``)."""
    if answer is None:
        return 0.0
    kind = kind or _kind(question)
    # A question its kind scores nothing for (text, dates, "none") earns 0 whether its answer
    # is valid or not: checking the answer (a text's every character) would change nothing.
    if not _scores(kind, question.type) or _type_error(question, answer, table) is not None:
        return 0.0
    scoring = question.scoring or {}
    if kind == "if_yes" and question.type == "boolean":
        return max(0.0, _number(scoring.get("points"), 1.0)) if answer is True else 0.0
    if kind == "per_unit" and question.type == "integer":
        points = max(0.0, answer * _number(scoring.get("points_per_unit"), 1.0))
        cap = scoring.get("cap")
        return min(points, max(0.0, _number(cap, points))) if cap is not None else points
    if kind == "per_option" and question.type in CHOICE_TYPES:
        table = _option_points(question) if table is None else table
        chosen = set(answer) if isinstance(answer, list) else {answer}
        return sum(table.get(value, 0.0) for value in chosen)
    return 0.0


def max_points(question: QuestionLike) -> float | None:
    """The most raw points a valid answer can earn; ``None`` when there is no upper bound."""
    kind, scoring = _kind(question), question.scoring or {}
    if kind == "if_yes" and question.type == "boolean":
        return max(0.0, _number(scoring.get("points"), 1.0))
    if kind == "per_unit" and question.type == "integer":
        if scoring.get("cap") is None:
            return None if _number(scoring.get("points_per_unit"), 1.0) > 0 else 0.0
        return max(0.0, _number(scoring.get("cap"), 0.0))
    if kind == "per_option" and question.type in CHOICE_TYPES:
        points = list(_option_points(question).values()) or [0.0]
        return sum(points) if question.type == "multi_choice" else max(points)
    return 0.0


def max_score(questions: Iterable[QuestionLike]) -> float | None:
    """The best activity score the questionnaire allows; ``None`` when unbounded."""
    total = 0.0
    for question in questions:
        best = max_points(question)
        if best is None:
            if _weight(question) > 0:
                return None
            continue
        total += round2(best * _weight(question))
    return round2(total)


def score(questions: Iterable[QuestionLike], answers: Mapping[str, Any]) -> ScoreResult:
    breakdown = []
    total = 0.0
    bounded = True
    maximum = 0.0
    for question in questions:
        answer = answers.get(question.key)
        points = raw_points(question, answer)
        weight = _weight(question)
        weighted = round2(points * weight)
        best = max_points(question)
        best_weighted = None if best is None else round2(best * weight)
        if best_weighted is None and weight > 0:
            bounded = False
        maximum += best_weighted or 0.0
        total += weighted
        breakdown.append({
            "question": question.key, "group": question.criterion_group,
            "answered": answer is not None, "points": round2(points),
            "weight": weight, "weighted": weighted, "max": best_weighted,
        })
    return ScoreResult(total=round2(total), breakdown=breakdown,
                       max_total=round2(maximum) if bounded else None)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    key: str
    type: str
    required: bool
    options: list[dict[str, Any]]
    scoring: dict[str, Any]
    weight: float
    criterion_group: str | None


@dataclass(frozen=True)
class _PlannedQuestion:
    question: Any
    key: str
    group: str | None
    kind: str
    weight: float
    best_weighted: float | None
    table: dict[str, float] | None


class ScoringPlan:
    """``score`` for many answer sets of one questionnaire: what depends only on the
    questions (scoring kind, option points, weight, best score) is worked out once. Gives
    exactly what ``score(questions, answers)`` gives (a property test compares them)."""

    def __init__(self, questions: Iterable[QuestionLike]) -> None:
        # Plain copies: table rows answer every attribute read through the ORM's descriptors.
        self.questions: list[QuestionLike] = [_Snapshot(
            q.key, q.type, q.required, list(q.options or []), dict(q.scoring or {}), q.weight,
            q.criterion_group) for q in questions]
        planned = []
        bounded, maximum = True, 0.0
        for question in self.questions:
            weight = _weight(question)
            best = max_points(question)
            best_weighted = None if best is None else round2(best * weight)
            if best_weighted is None and weight > 0:
                bounded = False
            maximum += best_weighted or 0.0
            planned.append(_PlannedQuestion(
                question, question.key, question.criterion_group, _kind(question), weight,
                best_weighted, _option_points(question) if question.type in CHOICE_TYPES else None))
        self._planned = planned
        self.max_total = round2(maximum) if bounded else None
        self.by_key = {q.key: q for q in self.questions}
        self.tables = {q.key: q.table for q in planned}

    def __iter__(self) -> Iterator[Any]:
        """The questions, so a plan goes wherever questions do (``check_answers`` uses the
        plan's option tables)."""
        return iter(self.questions)

    def score(self, answers: Mapping[str, Any]) -> ScoreResult:
        breakdown = []
        total = 0.0
        for q in self._planned:
            answer = answers.get(q.key)
            points = raw_points(q.question, answer, q.table, q.kind) if answer is not None else 0.0
            weighted = round2(points * q.weight)
            total += weighted
            breakdown.append({
                "question": q.key, "group": q.group, "answered": answer is not None,
                "points": round2(points), "weight": q.weight, "weighted": weighted,
                "max": q.best_weighted,
            })
        return ScoreResult(total=round2(total), breakdown=breakdown, max_total=self.max_total)


def _type_error(question: QuestionLike, value: Any,
                table: dict[str, float] | None = None) -> str | None:
    kind = question.type
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        return None if 0 <= value <= MAX_INTEGER else f"must be between 0 and {MAX_INTEGER}"
    if kind == "single_choice":
        allowed = _option_points(question) if table is None else table
        return None if isinstance(value, str) and value in allowed else f"must be one of {sorted(allowed)}"
    if kind == "multi_choice":
        allowed = _option_points(question) if table is None else table
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of option values"
        if len(set(value)) != len(value):
            return "lists an option twice"
        unknown = sorted(set(value) - allowed.keys())
        return f"unknown options {unknown}; allowed: {sorted(allowed)}" if unknown else None
    if kind == "text":
        if not isinstance(value, str):
            return "must be text"
        if len(value) > MAX_TEXT_LENGTH:
            return f"at most {MAX_TEXT_LENGTH} characters"
        # Answers reach the exports and e-mails like any free text: line breaks and tabs are
        # fine (a carriage return too, as browsers send it), other control and bidi
        # formatting characters are not.
        found = forbidden_characters(value.replace("\r", ""), multiline=True)
        return None if not found else f"must not contain control or bidirectional formatting characters ({', '.join(found[:5])})"
    if kind == "date":
        # date.fromisoformat also takes "20240504" and "2024-W18-6"; the API promises YYYY-MM-DD.
        if not isinstance(value, str) or not _DATE.match(value):
            return "must be a date (YYYY-MM-DD)"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
        return None
    return f"unsupported question type {kind}"


def _blank(question: QuestionLike, value: Any) -> bool:
    """Not answered: ``None``, or only whitespace for a text question."""
    return value is None or (question.type == "text" and isinstance(value, str) and not value.strip())


def check_answers(
    questions: Iterable[QuestionLike], answers: Mapping[str, Any], *, complete: bool,
    loc_prefix: tuple[str | int, ...] = ("body", "answers"),
) -> list[dict[str, Any]]:
    """Field errors for the answers: unknown keys, wrong types, and (when ``complete``) missing
    required answers. ``None`` (and blank text) counts as not answered."""
    tables: Mapping[str, dict[str, float] | None] = {}
    if isinstance(questions, ScoringPlan):
        by_key, tables = questions.by_key, questions.tables
    else:
        by_key = {q.key: q for q in questions}
    errors: list[dict[str, Any]] = []
    for key in answers:
        if key not in by_key:
            errors.append({"loc": [*loc_prefix, key], "msg": "no such question in this cycle",
                           "type": "unknown_question"})
    for key, question in by_key.items():
        value = answers.get(key)
        if _blank(question, value):
            if complete and question.required:
                errors.append({"loc": [*loc_prefix, key], "msg": "an answer is required",
                               "type": "missing"})
            if value is None:
                continue
        problem = _type_error(question, value, tables.get(key))
        if problem:
            errors.append({"loc": [*loc_prefix, key], "msg": problem, "type": f"{question.type}_type"})
    return errors


def missing_required(questions: Iterable[QuestionLike], answers: Mapping[str, Any]) -> list[str]:
    """Keys of required questions that have no answer yet (in questionnaire order)."""
    return [q.key for q in questions if q.required and _blank(q, answers.get(q.key))]


def check_question(
    question: Mapping[str, Any], loc: tuple[str | int, ...] = (),
) -> list[dict[str, Any]]:
    """Consistency of one question definition (a dict with ``type``, ``options``, ``scoring``)
    that is already well-typed: which scoring kind fits which type, which scoring fields each
    kind needs, and the options choice questions need. Each error names the field at fault."""
    errors: list[dict[str, Any]] = []
    qtype = question.get("type")
    options = question.get("options") or []
    scoring = question.get("scoring") or {}
    kind = scoring.get("kind", "none")

    def error(where: tuple[str | int, ...], msg: str, type_: str) -> None:
        errors.append({"loc": [*loc, *where], "msg": msg, "type": type_})

    if qtype in CHOICE_TYPES:
        if len(options) < MIN_CHOICE_OPTIONS:
            error(("options",), f"a {qtype} question needs at least {MIN_CHOICE_OPTIONS} options",
                  "too_few_options")
        seen: set[str] = set()
        for index, option in enumerate(options):
            value = str(option.get("value"))
            if value in seen:
                error(("options", index, "value"), f"option value {value!r} is used twice",
                      "duplicate_option")
            seen.add(value)
    elif options:
        error(("options",), f"only choice questions have options, not {qtype}", "options_not_allowed")

    if kind not in SCORING_KINDS:
        error(("scoring", "kind"), f"must be one of {list(SCORING_KINDS)}", "scoring_kind")
        return errors
    fits = KIND_TYPES.get(kind)
    if fits is not None and qtype not in fits:
        error(("scoring", "kind"), f"{kind} scoring applies to {' or '.join(sorted(fits))} "
              f"questions, not {qtype}", "scoring_kind_mismatch")
    for name in SCORING_FIELDS:
        if scoring.get(name) is not None and name not in KIND_FIELDS[kind]:
            error(("scoring", name), f"not used by {kind} scoring", "scoring_field_not_allowed")
    if kind == "per_unit" and scoring.get("points_per_unit") is None:
        error(("scoring", "points_per_unit"), "per_unit scoring needs points_per_unit", "missing")
    if kind == "if_yes" and scoring.get("points") is None:
        error(("scoring", "points"), "if_yes scoring needs points", "missing")
    if kind == "none" and qtype in CHOICE_TYPES and any(o.get("points") for o in options):
        error(("scoring", "kind"), "options carry points but only per_option scoring counts them",
              "option_points_unused")
    return errors


def check_questionnaire(
    questions: Sequence[Mapping[str, Any]], loc_prefix: tuple[str | int, ...] = ("body", "questions"),
) -> list[dict[str, Any]]:
    """Every question's consistency plus keys unique across the questionnaire."""
    errors: list[dict[str, Any]] = []
    first_at: dict[str, int] = {}
    for index, question in enumerate(questions):
        key = question.get("key")
        if isinstance(key, str):
            if key in first_at:
                errors.append({"loc": [*loc_prefix, index, "key"],
                               "msg": f"key {key!r} is used by question {first_at[key]} too",
                               "type": "duplicate_key"})
            else:
                first_at[key] = index
        errors.extend(check_question(question, (*loc_prefix, index)))
    return errors
