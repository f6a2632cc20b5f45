"""A cycle's questionnaire: questions, options, scoring and weights (input and output).

Field syntax (patterns, ranges) is checked here; which scoring fits which question type is
checked by ``scoring.check_questionnaire`` so each error can name the field at fault.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field

from app.core.schemas import ReadModel, StrictInput
from app.core.text import MultiLine, SingleLine
from app.questionnaire.models import QuestionType

QUESTION_KEY_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"
OPTION_VALUE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,59}$"
MAX_QUESTIONS = 200
MAX_OPTIONS = 50


def _strip(value: str) -> str:
    return value.strip()


QuestionKey = Annotated[str, Field(pattern=QUESTION_KEY_PATTERN, max_length=60, examples=["partner_meetings"],
                                   description="Stable key, unique per cycle; answers use it")]
CriterionGroup = Annotated[str, Field(
    pattern=QUESTION_KEY_PATTERN, max_length=60, examples=["networking"],
    description="The seal criterion the question feeds (networking, visibility, offers, future …)",
)]
Points = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
QuestionText = Annotated[str, MultiLine, AfterValidator(_strip), Field(min_length=3, max_length=1000)]
HelpText = Annotated[str, MultiLine, AfterValidator(_strip), Field(max_length=2000)]
Weight = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False,
                                description="Multiplies the question's points")]


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class OptionIn(Strict):
    value: Annotated[str, Field(pattern=OPTION_VALUE_PATTERN, max_length=60, examples=["monthly"])]
    label: Annotated[str, SingleLine, Field(min_length=1, max_length=300, examples=["monatlich"])]
    points: Points = 0


ScoringKind = Literal["none", "per_option", "per_unit", "if_yes"]


class ScoringIn(Strict):
    """``none``; ``per_option`` (choice questions: the chosen options' points); ``per_unit``
    (integer questions: answer × points_per_unit, at most cap); ``if_yes`` (boolean questions:
    points for yes)."""

    kind: ScoringKind = "none"
    points_per_unit: Points | None = Field(default=None, description="per_unit only")
    cap: Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)] | None = Field(
        default=None, description="per_unit only: the most points the answer can earn"
    )
    points: Points | None = Field(default=None, description="if_yes only")


class QuestionIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "key": "offer_frequency", "text": "Wie regelmäßig gibt es Angebote für Familien?",
        "type": "single_choice", "required": True, "criterion_group": "offers",
        "options": [{"value": "rarely", "label": "selten", "points": 0},
                    {"value": "monthly", "label": "monatlich", "points": 4}],
        "scoring": {"kind": "per_option"}, "weight": 2.0,
    }]})

    key: QuestionKey
    text: QuestionText
    help_text: HelpText | None = None
    type: QuestionType
    required: bool = False
    options: list[OptionIn] = Field(default_factory=list, max_length=MAX_OPTIONS)
    scoring: ScoringIn = Field(default_factory=ScoringIn)
    weight: Weight = 1.0
    criterion_group: CriterionGroup | None = None


class QuestionnaireIn(Strict):
    """The whole questionnaire, in order; it replaces the current one."""

    questions: list[QuestionIn] = Field(max_length=MAX_QUESTIONS)


class QuestionUpdate(Strict):
    """Every field optional. ``options`` and ``scoring`` are replaced as a whole; ``position``
    (0-based) moves the question."""

    key: QuestionKey | None = None
    text: QuestionText | None = None
    help_text: HelpText | None = None
    type: QuestionType | None = None
    required: bool | None = None
    options: list[OptionIn] | None = Field(default=None, max_length=MAX_OPTIONS)
    scoring: ScoringIn | None = None
    weight: Weight | None = None
    criterion_group: CriterionGroup | None = None
    position: Annotated[int, Field(ge=0)] | None = None


class OptionRead(ReadModel):
    value: str
    label: str
    points: float | None = Field(description="Only for admins, else null")


class ScoringRead(ReadModel):
    kind: ScoringKind
    points_per_unit: float | None = None
    cap: float | None = None
    points: float | None = None


class QuestionRead(ReadModel):
    key: str
    position: int
    text: str
    help_text: str | None
    type: QuestionType
    required: bool
    criterion_group: str | None
    options: list[OptionRead]
    scoring: ScoringRead | None = Field(
        description="Only for admins (weights are not public), else null"
    )
    weight: float | None = Field(description="Only for admins, else null")
    max_points: float | None = Field(
        description="Admins: the most weighted points the question can earn (null: unbounded)"
    )


class GroupSummary(ReadModel):
    criterion_group: str | None
    question_count: int
    max_score: float | None = Field(description="Only for admins; null when hidden or unbounded")


class QuestionnaireRead(ReadModel):
    cycle_id: int
    cycle_key: str
    cycle_slug: str
    frozen: bool = Field(description="No more changes: the survey has opened")
    scoring_visible: bool = Field(description="Whether scoring, weights and points are shown")
    question_count: int
    max_score: float | None = Field(
        description="Admins: the best possible activity score (null: unbounded or hidden)"
    )
    groups: list[GroupSummary]
    questions: list[QuestionRead]


class ScorePreviewIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "answers": {"partner_count": 8, "own_channels": True,
                    "offer_frequency": "monthly", "future_topics": ["childcare"]},
    }]})

    answers: dict[str, Any] = Field(max_length=MAX_QUESTIONS,
                                    description="Question key → answer, as in a response")


class ScoreBreakdownRow(ReadModel):
    """One question's share of the activity score (a response's breakdown, a preview's)."""

    question: str
    group: str | None = None
    answered: bool
    points: float = Field(description="Raw points before the weight")
    weight: float
    weighted: float
    # Rows stored before ``max`` was recorded read as unbounded.
    max: float | None = Field(default=None,
                              description="Most weighted points possible; null: unbounded")


class ScorePreviewRead(ReadModel):
    total: float = Field(description="The activity score (Aktivitätsgrad) these answers get")
    max_total: float | None = Field(description="The best possible score; null: unbounded")
    group_scores: dict[str, float]
    breakdown: list[ScoreBreakdownRow]
    missing_required: list[str] = Field(
        description="Required questions without an answer (a submission would be refused)"
    )
