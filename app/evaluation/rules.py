"""Seal criteria as data: the rule language, a discriminated union the Servicebüro writes as
JSON. What a rule says of one response (``evaluate``) is in ``verdicts.py``.

A criterion's ``rule`` is JSON the Servicebüro writes, never code::

    {"kind": "group_score_at_least", "group": "networking", "min": 4}
    {"kind": "total_score_at_least", "min": 12}
    {"kind": "answer", "question": "press_coverage", "op": "eq", "value": true}
    {"kind": "partners_at_least", "min": 5}                       (the alliance registry)
    {"kind": "partners_at_least", "min": 5, "source": "answer", "question": "partner_count"}
    {"kind": "wants_seal"}
    {"kind": "all_of", "rules": [...]}      {"kind": "any_of", "rules": [...]}

``verdicts.evaluate(rule, facts)`` is a pure function returning passed, actual, threshold and a
German explanation, so every decision can be explained to the alliance. Semantics worth knowing:

* ``all_of([])`` passes and ``any_of([])`` fails (the neutral elements of "and" and "or");
  ``all_of`` reports ``actual`` = parts passed, ``threshold`` = number of parts; ``any_of``
  reports ``threshold`` = 1, so for both ``passed == (actual >= threshold)``.
* A group's score is the sum of its questions' weighted points (0 when nothing was scored).
* ``answer`` rules never pass for an unanswered question (no answer is no evidence), not even
  with ``ne``. For a multiple-choice answer ``contains`` tests one option, ``in`` passes when
  any chosen option is listed, ``gte``/``lte`` compare the number of chosen options, and
  ``eq``/``ne`` compare the chosen set. Text ``contains`` ignores case; dates compare as
  ISO dates (YYYY-MM-DD). Booleans never equal numbers.
* ``partners_at_least`` reads the partner count from the alliance registry (``source``
  "registry", the default) or, with ``source`` "answer", the number the alliance reported in
  this cycle's response to ``question`` (an integer question). The explanation names the
  source; an unanswered question fails, because no answer is no evidence.
* Nesting is limited to ``MAX_DEPTH`` levels: the criterion's rule is level 1, the parts of
  a combination one level deeper, so ``depth(rule) <= MAX_DEPTH``.
"""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from app.core.schemas import StrictInput

MAX_DEPTH = 5
MAX_PARTS = 50
MAX_LIST_VALUES = 100
MAX_SCORE = 1_000_000
KINDS = (
    "group_score_at_least", "total_score_at_least", "answer", "partners_at_least", "wants_seal",
    "all_of", "any_of",
)
COMBINATORS = ("all_of", "any_of")

Scalar = StrictBool | StrictInt | StrictFloat | Annotated[str, Field(max_length=500)]
AnswerOp = Literal["eq", "ne", "gte", "lte", "in", "contains"]
PartnerSource = Literal["registry", "answer"]
SOURCE_REGISTRY, SOURCE_ANSWER = "registry", "answer"


def _depth_fault(raw: Any, path: tuple[str | int, ...] = (), level: int = 1) -> tuple[str | int, ...] | None:
    """Path (relative to ``raw``) of the first rule nested deeper than ``MAX_DEPTH`` (the rule
    itself is level 1). Runs on the raw input, so a hostile, deeply nested body is refused
    before validation recurses into it."""
    if not isinstance(raw, dict) or raw.get("kind") not in COMBINATORS:
        return None
    parts = raw.get("rules")
    if not isinstance(parts, list):
        return None
    for index, part in enumerate(parts):
        if level + 1 > MAX_DEPTH:
            return (*path, "rules", index)
        fault = _depth_fault(part, (*path, "rules", index), level + 1)
        if fault is not None:
            return fault
    return None


def _clean_locations(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Report faults by their path in the JSON: pydantic puts the union tag into ``loc``
    (["rules", 0, "all_of", "min"]); clients expect ["rules", 0, "min"]."""
    fault = _depth_fault(value)
    if fault is not None:
        raise ValidationError.from_exception_data("Rule", [{
            "type": "value_error", "loc": fault, "input": "...",
            "ctx": {"error": f"rules may be nested at most {MAX_DEPTH} levels deep"},
        }])
    try:
        return handler(value)
    except ValidationError as exc:
        details: list[Any] = []
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if part not in KINDS)
            if error["type"] in ("union_tag_invalid", "union_tag_not_found") and loc[-1:] != ("kind",):
                loc = (*loc, "kind")
            detail: dict[str, Any] = {"type": error["type"], "loc": loc, "input": error.get("input")}
            if "ctx" in error:
                detail["ctx"] = error["ctx"]
            details.append(detail)
        raise ValidationError.from_exception_data("Rule", details) from None


class _RuleBase(StrictInput):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=False)


class RuleGroupScoreAtLeast(_RuleBase):
    """The activity score within one question group (``criterion_group``) reaches ``min``."""


    kind: Literal["group_score_at_least"]
    group: str = Field(min_length=1, max_length=60, examples=["networking"])
    min: float = Field(ge=0, le=MAX_SCORE, examples=[4])


class RuleTotalScoreAtLeast(_RuleBase):
    """The whole activity score (Aktivitätsgrad) reaches ``min``."""


    kind: Literal["total_score_at_least"]
    min: float = Field(ge=0, le=MAX_SCORE, examples=[12])


class RuleAnswer(_RuleBase):
    """One question's answer compared with ``value`` (see the module notes for list answers)."""


    kind: Literal["answer"]
    question: str = Field(min_length=1, max_length=60, examples=["press_coverage"])
    op: AnswerOp
    value: Scalar | Annotated[list[Scalar], Field(max_length=MAX_LIST_VALUES)]

    @field_validator("value")
    @classmethod
    def _value_fits_op(cls, value: Any, info: ValidationInfo) -> Any:
        op = info.data.get("op")
        if op == "in":
            if not isinstance(value, list) or not value:
                raise ValueError("'in' needs a non-empty list of values")
        elif op in ("gte", "lte"):
            if not is_number(value) and not is_iso_date(value):
                raise ValueError(f"'{op}' needs a number or a date (YYYY-MM-DD)")
        elif op == "contains" and isinstance(value, list):
            raise ValueError("'contains' needs a single value")
        return value


class RulePartnersAtLeast(_RuleBase):
    """The alliance has at least ``min`` partner organisations: on record in the registry
    (``source`` "registry", the default), or as reported in this cycle's response to the
    integer question ``question`` (``source`` "answer")."""


    kind: Literal["partners_at_least"]
    min: int = Field(ge=0, le=10_000, examples=[5])
    source: PartnerSource = Field(
        default="registry",
        description="registry: the partners on record; answer: the number reported in the "
        "survey response to `question`",
    )
    question: str | None = Field(
        default=None, min_length=1, max_length=60, examples=["partner_count"],
        validate_default=True,
        description="With source=answer: the key of an integer question of this cycle",
    )

    @field_validator("question")
    @classmethod
    def _question_fits_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        source = info.data.get("source", "registry")
        if source == "answer" and value is None:
            raise ValueError("source 'answer' needs the key of the question to read")
        if source == "registry" and value is not None:
            raise ValueError("a question is read only with source 'answer'")
        return value


class RuleWantsSeal(_RuleBase):
    """The response declares interest in the seal."""


    kind: Literal["wants_seal"]


class RuleAllOf(_RuleBase):
    """Every part passes; an empty list passes."""


    kind: Literal["all_of"]
    rules: list["Rule"] = Field(max_length=MAX_PARTS)


class RuleAnyOf(_RuleBase):
    """At least one part passes; an empty list fails."""


    kind: Literal["any_of"]
    rules: list["Rule"] = Field(max_length=MAX_PARTS)


Rule = Annotated[
    RuleGroupScoreAtLeast | RuleTotalScoreAtLeast | RuleAnswer | RulePartnersAtLeast | RuleWantsSeal | RuleAllOf | RuleAnyOf,
    Field(discriminator="kind"),
    WrapValidator(_clean_locations),
]
RuleAllOf.model_rebuild()
RuleAnyOf.model_rebuild()

_RULE_ADAPTER: TypeAdapter[Any] = TypeAdapter(Rule)


def parse_rule(data: Any) -> Any:
    """Validate a rule from JSON data (raises pydantic's ValidationError with clean paths)."""
    return _RULE_ADAPTER.validate_python(data)


def rule_to_json(rule: Any) -> dict[str, Any]:
    """The rule as stored and shown: defaults left out, so a rule reads back as it was written
    (a ``partners_at_least`` without ``source`` stays without it)."""
    dumped: dict[str, Any] = rule.model_dump(mode="json", exclude_defaults=True)
    return dumped


def depth(rule: Any) -> int:
    if isinstance(rule, RuleAllOf | RuleAnyOf):
        return 1 + max((depth(part) for part in rule.rules), default=0)
    return 1


def references(rule: Any) -> tuple[set[str], set[str]]:
    """The question keys and the groups a rule refers to."""
    questions: set[str] = set()
    groups: set[str] = set()
    if isinstance(rule, RuleAnswer):
        questions.add(rule.question)
    elif isinstance(rule, RulePartnersAtLeast):
        questions.update(q for q in (rule.question,) if q is not None)
    elif isinstance(rule, RuleGroupScoreAtLeast):
        groups.add(rule.group)
    elif isinstance(rule, RuleAllOf | RuleAnyOf):
        for part in rule.rules:
            q, g = references(part)
            questions |= q
            groups |= g
    return questions, groups


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
