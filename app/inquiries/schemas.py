"""Inquiry input and output.

Input never carries the status or, for alliance users and anonymous callers, an alliance: the
alliance comes from the caller's account, and only the Servicebüro links an inquiry to one
(PATCH). Which requester fields a caller must or may send is checked by the service, so the
error names the field at fault.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from app.core.ids import RowId
from app.core.schemas import ReadModel, StrictInput
from app.core.text import Email as CoreEmail
from app.core.text import MultiLine, SingleLine
from app.inquiries.models import InquiryCategory, InquiryStatus, MessageAuthor
from app.mail.models import OutboxStatus


def _lower(value: str) -> str:
    return value.strip().lower()


def _strip(value: str) -> str:
    return value.strip()


Email = Annotated[CoreEmail, Field(max_length=320), AfterValidator(_lower)]
Name = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=2, max_length=200)]
Phone = Annotated[str, Field(max_length=50, pattern=r"^[0-9+()/ .-]{3,50}$")]
Subject = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=3, max_length=200)]
MessageBody = Annotated[str, MultiLine, AfterValidator(_strip), Field(min_length=1, max_length=5000)]
CycleRef = Annotated[str, Field(min_length=1, max_length=20, examples=["2024-25"],
                                description="The cycle's id, slug (2024-25) or key (2024/25)")]
InquirySort = Literal["created_at", "-created_at", "updated_at", "-updated_at"]


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class InquiryCreate(Strict):
    """A new inquiry. Anonymous callers (and the Servicebüro filing for someone) give the
    requester's name and e-mail; alliance users do not: they come from the account, and the
    inquiry belongs to the user's alliance."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"category": "missing_notice", "subject": "Keine Einladung zur Bündnisumfrage",
         "message": "Unser Bündnis hat bisher keine Nachricht zur Umfrage 2024/25 erhalten.",
         "cycle": "2024-25"},
        {"category": "missing_notice", "subject": "Keine Einladung zur Bündnisumfrage",
         "message": "Wir haben keine Einladung zur Umfrage bekommen.", "cycle": "2024-25",
         "requester_name": "Erika Muster", "requester_email": "erika.muster@example.org",
         "stated_alliance_name": "Familienbündnis Potsdam"},
    ]})

    category: InquiryCategory
    subject: Subject
    message: MessageBody
    cycle: CycleRef | None = Field(default=None, description="The award cycle it concerns")
    requester_name: Name | None = Field(
        default=None, description="Required for anonymous callers; alliance users: leave out")
    requester_email: Email | None = Field(
        default=None, description="Required for anonymous callers; alliance users: leave out")
    requester_phone: Phone | None = None
    stated_alliance_name: Name | None = Field(
        default=None, description="Anonymous callers: the alliance they write for (free text)")


# Optional fields a PATCH may set to null (unlink); the others may only be left out.
NULLABLE_UPDATE_FIELDS = frozenset({"cycle", "alliance_id"})


class InquiryUpdate(Strict):
    """The Servicebüro files an inquiry: its category, the cycle and the alliance it concerns
    (null unlinks)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"alliance_id": 12, "cycle": "2024-25"}, {"category": "survey"}]})

    category: InquiryCategory | None = None
    cycle: CycleRef | None = None
    alliance_id: RowId | None = None

    @field_validator("category", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value


class MessageCreate(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"body": "Wir haben die Einladung heute erneut an Ihre Kontaktadresse geschickt."}]})

    body: MessageBody


class InquiryReceipt(ReadModel):
    """What an anonymous caller gets back: the ticket number (id), nothing they sent."""

    id: int = Field(description="The ticket number")
    status: InquiryStatus
    created_at: datetime


class InquiryMessageRead(ReadModel):
    id: int
    author: MessageAuthor
    author_user_id: int | None
    body: str
    created_at: datetime


class InquiryNoticeRead(ReadModel):
    """A survey notice recorded for the inquiry's alliance in its cycle (no recipient)."""

    id: int
    channel: str
    status: OutboxStatus
    attempts: int
    sent_at: datetime | None
    created_at: datetime


class InquiryRead(ReadModel):
    id: int = Field(description="The ticket number")
    category: InquiryCategory
    status: InquiryStatus
    subject: str
    alliance_id: int | None
    alliance_name: str | None
    cycle_id: int | None
    cycle_key: str | None
    requester_name: str
    requester_email: str | None
    requester_phone: str | None
    requester_user_id: int | None = Field(description="Set when an alliance user filed it")
    stated_alliance_name: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    erased_at: datetime | None = Field(description="Set once the personal data was erased")


class InquiryDetail(InquiryRead):
    messages: list[InquiryMessageRead] = Field(description="The thread, oldest first")
    survey_notices: list[InquiryNoticeRead] | None = Field(
        description="Admins, on a missing_notice inquiry linked to an alliance and a cycle: the "
        "survey notices recorded for that alliance in that cycle (empty: none went out); "
        "otherwise null")
