"""FAQ input and output. Inputs forbid unknown fields and never carry the published state
(it changes only through publish and unpublish)."""

import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from app.core.schemas import ReadModel, StrictInput
from app.core.text import SingleLine
from app.faq.models import FaqCategory

# Bidirectional overrides and isolates can make a text read differently from what it is.
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ANSWER_WHITESPACE = frozenset("\n\r\t")
MAX_POSITION = 9_999

CATEGORY_TITLES: dict[FaqCategory, str] = {
    FaqCategory.future_project: "Projekt Zukunft",
    FaqCategory.survey: "Bündnisumfrage",
    FaqCategory.seal_criteria: "Siegelkriterien",
    FaqCategory.events: "Veranstaltungen",
    FaqCategory.general: "Allgemeines",
}


def _bad_characters(value: str, allowed: frozenset[str]) -> bool:
    return any((unicodedata.category(ch) == "Cc" and ch not in allowed) or ch in _BIDI
               for ch in value)


def _plain_line(value: str) -> str:
    value = value.strip()
    if _bad_characters(value, frozenset()):
        raise ValueError("may not contain control or bidirectional formatting characters")
    return value


def _markdown(value: str) -> str:
    value = value.strip()
    if _bad_characters(value, _ANSWER_WHITESPACE):
        raise ValueError("may not contain control characters (other than line breaks and tabs) "
                         "or bidirectional formatting characters")
    return value


Question = Annotated[str, Field(min_length=5, max_length=300), AfterValidator(_plain_line)]
Answer = Annotated[str, Field(min_length=1, max_length=20_000,
                              description="German Markdown"), AfterValidator(_markdown)]
Position = Annotated[int, Field(ge=0, le=MAX_POSITION,
                                description="Place within the category, smallest first")]
SearchQuery = Annotated[str, Field(
    min_length=1, max_length=100, examples=["Wer nimmt an der Umfrage teil?"],
    description="German full-text search in question and answer. Finds the entries that match "
    "any of the words, most relevant first (more of the words matched, matches in the question "
    "over matches in the answer; then category and position). Case and umlaut spelling do not "
    "matter („Bündnis“, „Buendnis“, „bundnis“), word forms meet through German stemming "
    "(„Kriterium“ finds „Kriterien“), a word also finds the compounds it is part of "
    "(„Umfrage“ finds „Bündnisumfrage“), and stop words („wer“, „was“, „die“ …) are ignored: "
    "a search of stop words or punctuation only finds nothing. At most 8 words count. No "
    "control or bidirectional formatting characters."), SingleLine]
FaqSort = Literal["category", "-updated_at", "relevance"]


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class FaqEntryCreate(Strict):
    """A new FAQ entry, created as a draft; publish it to show it to everyone."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "category": "survey", "position": 10,
        "question": "Wer kann an der Bündnisumfrage teilnehmen?",
        "answer": "Alle Lokalen Bündnisse, die **bisher noch kein Siegel** erhalten haben.",
    }]})

    category: FaqCategory
    position: Position = 0
    question: Question
    answer: Answer


class FaqEntryUpdate(Strict):
    """Every field optional; send only what changes (none of them may be null)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"position": 20}]})

    category: FaqCategory | None = None
    position: Position | None = None
    question: Question | None = None
    answer: Answer | None = None


class PublicFaqEntryRead(ReadModel):
    id: int
    category: FaqCategory
    category_title: str = Field(examples=["Bündnisumfrage"])
    position: int
    question: str
    answer: str = Field(description="German Markdown")
    updated_at: datetime


class FaqEntryRead(PublicFaqEntryRead):
    is_published: bool
    published_at: datetime | None
    version: int
    created_by: str
    created_at: datetime
