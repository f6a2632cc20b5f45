"""Request and reply shapes for survey responses, the partner batch and the file import."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from app.core.config import get_settings
from app.core.errors import FieldError
from app.core.ids import RowId
from app.core.schemas import ReadModel, StrictInput
from app.core.text import MultiLine
from app.questionnaire.schemas import ScoreBreakdownRow
from app.surveys.models import ResponseMode, ResponseStatus

ReportedStatus = Literal["active", "dormant", "dissolved"]
EntryMode = Literal["online", "phone_interview", "admin_entry"]
ImportMode = Literal["admin_entry", "phone_interview"]
ItemStatus = Literal["created", "updated", "unchanged", "rejected"]

MAX_ANSWERS = 300

_EXAMPLE_ANSWERS: dict[str, Any] = {
    "partner_meetings": 8, "press_coverage": True, "offer_frequency": "monthly",
    "future_topics": ["childcare", "care_work"], "remarks": "Neues Familienzentrum eröffnet",
}


def _strip(value: str) -> str:
    return value.strip()


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


Answers = Annotated[
    dict[str, Any],
    Field(
        max_length=MAX_ANSWERS,
        description="Answers by question key. Types follow the question: boolean, integer, "
        "option value (single_choice), list of option values (multi_choice), text, date "
        "(YYYY-MM-DD). A missing key or null means not answered.",
        examples=[_EXAMPLE_ANSWERS],
    ),
]


class ResponseContent(Strict):
    """What an alliance answers. The whole content is replaced on every save (PUT)."""

    answers: Answers = Field(default_factory=dict)
    wants_future_project: bool | None = Field(
        default=None, description="Interest in Projekt Zukunft; required to submit"
    )
    wants_seal: bool | None = Field(
        default=None, description="Interest in the seal „Ausgezeichnetes Bündnis“; required to submit"
    )
    reported_status: ReportedStatus | None = Field(
        default=None, description="The alliance reports itself active, dormant or dissolved. "
        "The Servicebüro reviews it; the alliance record is not changed automatically. An "
        "alliance reporting itself dissolved need not answer the required questions.",
    )
    wants_finder_listing: bool | None = Field(
        default=None, description="Consent to be listed in the public Bündnisfinder; applied to "
        "the alliance record when the response is submitted",
    )


class ResponseDraft(ResponseContent):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{
            "answers": _EXAMPLE_ANSWERS, "wants_future_project": True, "wants_seal": True,
            "wants_finder_listing": True,
        }]}
    )

    mode: EntryMode | None = Field(
        default=None, description="How the answers were taken. Alliance users: online (the "
        "default). Admins entering on an alliance's behalf: phone_interview (the default) or "
        "admin_entry.",
    )


class ResponseReopen(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Bündnis meldet Zahlendreher bei Treffen"}]}
    )

    reason: Annotated[str, MultiLine, AfterValidator(_strip), Field(min_length=3, max_length=1000)]


class ResponseRead(ReadModel):
    id: int
    cycle_id: int
    cycle_key: str
    alliance_id: int
    alliance_name: str
    alliance_slug: str
    status: ResponseStatus
    answers: dict[str, Any]
    wants_future_project: bool | None
    wants_seal: bool | None
    reported_status: ReportedStatus | None
    wants_finder_listing: bool | None
    mode: ResponseMode = Field(description="How the latest answers were entered")
    entered_by: str = Field(description="Who saved last (actor, e.g. user:3 or client:2)")
    activity_score: float | None = Field(description="Aktivitätsgrad; set on submit")
    score_breakdown: list[ScoreBreakdownRow] = Field(
        description="Per question: its share of the activity score (empty until submitted)"
    )
    submitted_at: datetime | None
    submitted_by: str | None
    reopened_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ResponseRevisionRead(ReadModel):
    revision: int
    action: Literal["save", "submit", "reopen", "import"]
    answers: dict[str, Any]
    mode: ResponseMode
    actor: str
    reason: str | None
    created_at: datetime


# --- the partner batch --------------------------------------------------------------------

class BatchItem(ResponseContent):
    """One alliance's response in a batch: the complete current state (like PUT)."""

    alliance: RowId | Annotated[str, Field(min_length=1, max_length=120)] = Field(
        description="The alliance: its id, its slug, or its AGS (8 digits, when unambiguous)",
        examples=["buendnis-fuer-familie-fuerth"],
    )
    submit: bool = Field(default=False, description="Submit (freeze) the response, not just save")
    ref: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="Your own reference for the item, echoed in the result"
    )


def _item_list_schema() -> dict[str, Any]:
    # Items are validated one by one in the service; the spec names their shape BatchItem (a
    # component added with the other named shapes, see app.api.NAMED_SHAPES).
    return {"type": "array", "minItems": 1, "maxItems": get_settings().limits.max_batch_items,
            "items": {"$ref": "#/components/schemas/BatchItem"}}


class ResponseBatch(Strict):
    """Items are checked one by one, so one malformed item is rejected on its own (unless
    ``atomic``) instead of failing the whole request."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{
            "atomic": False,
            "items": [
                {"alliance": "buendnis-fuer-familie-fuerth", "ref": "row-17", "submit": True,
                 "answers": _EXAMPLE_ANSWERS, "wants_future_project": True, "wants_seal": False},
                {"alliance": "05915000", "answers": {"partner_meetings": 4}},
            ],
        }]}
    )

    atomic: bool = Field(
        default=False, description="All or nothing: any rejected item writes nothing (422)"
    )
    items: Annotated[list[dict[str, Any]], WithJsonSchema(_item_list_schema())] = Field(
        description="The responses (BatchItem), at most the configured limit (default 500)",
    )

    @field_validator("items", mode="before")
    @classmethod
    def _within_limit(cls, value: Any) -> Any:
        limit = get_settings().limits.max_batch_items
        if isinstance(value, list):
            if not value:
                raise ValueError("send at least one item")
            if len(value) > limit:
                raise ValueError(f"at most {limit} items per batch (got {len(value)}); split it")
        return value


class ItemProblem(ReadModel):
    code: str = Field(examples=["alliance_not_allowed"])
    detail: str
    errors: list[FieldError] = Field(
        default_factory=list, description="Field errors, as in a problem's errors[]"
    )


class BatchItemResult(ReadModel):
    index: int = Field(description="Position in the request's items (0-based)")
    line: int | None = Field(default=None, description="File line (imports only)")
    ref: str | None = None
    alliance_id: int | None
    response_id: int | None = Field(description="Null when rejected or in a dry run that "
                                    "would create it")
    status: ItemStatus
    response_status: ResponseStatus | None = Field(description="draft or submitted after the "
                                                   "item was applied")
    problem: ItemProblem | None = None


class BatchResult(ReadModel):
    atomic: bool
    dry_run: bool = False
    created: int
    updated: int
    unchanged: int
    rejected: int
    items: list[BatchItemResult]
