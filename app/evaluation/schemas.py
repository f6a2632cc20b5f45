from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field

from app.core.schemas import ReadModel, StrictInput
from app.evaluation.rules import MAX_DEPTH, AnswerOp, PartnerSource, Rule, Scalar

MAX_CRITERIA = 30
CriterionKey = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$",
                                    examples=["networking"])]


class _Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class CriterionIn(_Strict):
    key: CriterionKey
    label: str = Field(min_length=2, max_length=300, description="German, shown to alliances",
                       examples=["Gute Vernetzung mit der Bundesinitiative und regionalen Akteuren"])
    explanation: str | None = Field(default=None, max_length=2000,
                                    description="German: what the criterion asks for and why")
    rule: Rule = Field(description=f"The rule as data; combinations nest at most {MAX_DEPTH} levels")


_EXAMPLE_SET: dict[str, Any] = {
    "criteria": [
        {"key": "networking", "label": "Gute Vernetzung mit der Bundesinitiative und regionalen Akteuren",
         "explanation": "Regelmäßige Treffen und mindestens fünf Partnerorganisationen.",
         "rule": {"kind": "all_of", "rules": [
             {"kind": "group_score_at_least", "group": "networking", "min": 4},
             {"kind": "partners_at_least", "min": 5}]}},
        {"key": "visibility", "label": "Gute Sichtbarkeit",
         "rule": {"kind": "answer", "question": "own_channels", "op": "eq", "value": True}},
        {"key": "activity", "label": "Aktive, zukunftsgerichtete Bündnisarbeit",
         "rule": {"kind": "total_score_at_least", "min": 12}},
        {"key": "interest", "label": "Interesse am Siegel", "rule": {"kind": "wants_seal"}},
    ]
}


class CriteriaSetIn(_Strict):
    """The whole set of a cycle's seal criteria (PUT replaces it; preview tries it)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_SET]})

    criteria: list[CriterionIn] = Field(max_length=MAX_CRITERIA)


# The rule as the server sends it back: the request's shapes with every field present (a
# defaulted field is filled in), so generated clients get the same union as for the request.

class RuleGroupScoreAtLeastRead(ReadModel):
    kind: Literal["group_score_at_least"]
    group: str
    min: float


class RuleTotalScoreAtLeastRead(ReadModel):
    kind: Literal["total_score_at_least"]
    min: float


class RuleAnswerRead(ReadModel):
    kind: Literal["answer"]
    question: str
    op: AnswerOp
    value: Scalar | list[Scalar]


class RulePartnersAtLeastRead(ReadModel):
    kind: Literal["partners_at_least"]
    min: int
    source: PartnerSource = "registry"
    question: str | None = None


class RuleWantsSealRead(ReadModel):
    kind: Literal["wants_seal"]


class RuleAllOfRead(ReadModel):
    kind: Literal["all_of"]
    rules: list["RuleRead"]


class RuleAnyOfRead(ReadModel):
    kind: Literal["any_of"]
    rules: list["RuleRead"]


RuleRead = Annotated[
    Union[RuleGroupScoreAtLeastRead, RuleTotalScoreAtLeastRead, RuleAnswerRead,  # noqa: UP007
          RulePartnersAtLeastRead, RuleWantsSealRead, RuleAllOfRead, RuleAnyOfRead],
    Field(discriminator="kind"),
]
RuleAllOfRead.model_rebuild()
RuleAnyOfRead.model_rebuild()


class CriterionRead(ReadModel):
    key: str
    label: str
    explanation: str | None
    rule: RuleRead = Field(description="The rule as sent, with every field filled in")
    position: int


class CriteriaSetRead(ReadModel):
    cycle_id: int
    cycle_key: str
    criteria: list[CriterionRead]


class RuleResult(ReadModel):
    """One part of a combination (all_of / any_of) and how it came out; parts nest."""

    kind: str = Field(description="The part's rule kind")
    passed: bool
    actual: Any = Field(description="The alliance's value, e.g. its score or its answer")
    op: str = Field(description="gte, lte, eq, ne, in or contains")
    threshold: Any = Field(description="What the part asks for")
    explanation: str = Field(description="German, for the alliance")
    source: str | None = Field(default=None, description="For partners_at_least: `answer` or "
                               "`registry`")
    parts: list["RuleResult"] | None = Field(
        default=None, description="For all_of/any_of: each part's result, same shape")


class CriterionResult(ReadModel):
    """One criterion for one alliance: the facts behind the decision."""

    key: str
    label: str
    passed: bool
    actual: Any = Field(description="The alliance's value, e.g. its score or its answer")
    op: str = Field(description="gte, lte, eq, ne, in or contains")
    threshold: Any = Field(description="What the criterion asks for")
    explanation: str = Field(description="German, for the alliance")
    source: str | None = Field(
        default=None, description="For partners_at_least: where the count came from, "
        "`answer` (the survey response) or `registry` (the alliance record)",
    )
    parts: list[RuleResult] | None = Field(
        default=None, description="For all_of/any_of: each part's result (nested the same way)"
    )


class PreviewCriterionCount(ReadModel):
    key: str
    label: str
    passed: int
    failed: int


class PreviewAlliance(ReadModel):
    alliance_id: int
    alliance_name: str
    activity_score: float
    meets_criteria: bool
    failed_criteria: list[str]
    wants_future_project: bool
    invited_to_future_project: bool


class PreviewRead(ReadModel):
    """What a draft criteria set would decide now; nothing is stored."""

    evaluated: int = Field(description="Submitted responses evaluated")
    meets_criteria: int
    fails_criteria: int
    invited_to_future_project: int
    criteria: list[PreviewCriterionCount]
    alliances: list[PreviewAlliance]


class EvaluationRunCreate(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "Auswertung nach Ende der Umfrage 2024/25"}]})

    reason: str = Field(min_length=3, max_length=1000,
                        description="Why this run: recorded with the run (re-runs are explicit)")


class EvaluationRunRead(ReadModel):
    id: int
    cycle_id: int
    started_by: str
    reason: str | None
    criteria: list[dict[str, Any]] = Field(description="The criteria the run used (a snapshot)")
    evaluated_count: int
    passed_count: int
    invited_count: int
    is_latest: bool
    created_at: datetime


class AllianceRef(ReadModel):
    id: int
    name: str
    slug: str
    state: str


class EvaluationRead(ReadModel):
    """One alliance's result in one run."""

    id: int
    run_id: int
    cycle_id: int
    alliance: AllianceRef
    response_id: int
    activity_score: float
    meets_criteria: bool
    wants_future_project: bool
    invited_to_future_project: bool
    criteria: list[CriterionResult]
    evaluated_at: datetime
