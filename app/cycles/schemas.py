"""Award cycle input and output. The slug is derived from the key; the status changes only
through the action endpoints (open-survey, close-survey, …), never through PATCH."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from app.core.schemas import ReadModel, StrictInput
from app.core.text import SingleLine
from app.core.timestamps import Timestamp
from app.cycles.models import CycleStatus
from app.cycles.rules import CycleAction

KEY_PATTERN = r"^\d{4}/\d{2}$"


def _check_key(value: str) -> str:
    """In a key like "2024/25" the second year follows the first."""
    first, second = value.split("/")
    if (int(first) + 1) % 100 != int(second):
        raise ValueError(f"the second year must follow {first}: {first}/{(int(first) + 1) % 100:02d}")
    return value


def slug_for(key: str) -> str:
    """The URL form of a key: "2024/25" becomes "2024-25"."""
    return key.replace("/", "-")


def default_seal_title(key: str) -> str:
    return f"Ausgezeichnetes Bündnis {key}"


def _strip(value: str) -> str:
    return value.strip()


CycleKey = Annotated[
    str,
    Field(pattern=KEY_PATTERN, max_length=7, examples=["2024/25"],
          description="The cycle's name, two consecutive years: \"2024/25\""),
    AfterValidator(_check_key),
]
SealTitle = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=3, max_length=200)]
Place = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=2, max_length=200)]


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class CycleCreate(Strict):
    """A new cycle, normally a draft. Past cycles can be recorded directly as ``awarded`` or
    ``archived`` history."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "key": "2025/26", "seal_title": "Ausgezeichnetes Bündnis 2025/2026",
        "opens_at": "2025-05-01T08:00:00+02:00", "closes_at": "2025-07-31T23:59:00+02:00",
        "ceremony_on": "2025-11-21", "ceremony_place": "Berlin",
    }]})

    key: CycleKey
    seal_title: SealTitle | None = Field(
        default=None, description="Defaults to „Ausgezeichnetes Bündnis <key>“"
    )
    opens_at: Timestamp | None = Field(default=None, description="Timezone-aware")
    closes_at: Timestamp | None = Field(default=None, description="Timezone-aware, after opens_at")
    ceremony_on: date | None = None
    ceremony_place: Place | None = None
    status: Literal["draft", "awarded", "archived"] = Field(
        default="draft",
        description="draft for a new round; awarded or archived to record a past one",
    )


class CycleUpdate(Strict):
    """Every field optional; send only what changes. The key can change only while the cycle is
    a draft; the survey window's start is fixed once the survey opens and its end once the
    survey is evaluated; an archived cycle is read-only."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "closes_at": "2025-08-15T23:59:00+02:00", "ceremony_place": "Berlin",
    }]})

    key: CycleKey | None = None
    seal_title: SealTitle | None = None
    opens_at: Timestamp | None = None
    closes_at: Timestamp | None = None
    ceremony_on: date | None = None
    ceremony_place: Place | None = None


class CycleRead(ReadModel):
    id: int
    key: str = Field(examples=["2024/25"])
    slug: str = Field(examples=["2024-25"], description="Use it (or the id) in URLs")
    seal_title: str = Field(examples=["Ausgezeichnetes Bündnis 2024/25"])
    opens_at: datetime | None
    closes_at: datetime | None
    ceremony_on: date | None
    ceremony_place: str | None
    status: CycleStatus
    allowed_actions: list[CycleAction] = Field(
        description="The status actions possible now, e.g. [\"close-survey\"]"
    )
    accepting_answers: bool = Field(
        description="The survey is open and now is within the window"
    )
    questionnaire_frozen: bool = Field(description="Questions can change only in a draft cycle")
    question_count: int
    version: int
    created_at: datetime
    updated_at: datetime


CycleSort = Literal["key", "-key"]
