from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, fk, json_column, now_column, optional_timestamp


class ResponseStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


class ResponseMode(StrEnum):
    online = "online"
    phone_interview = "phone_interview"
    partner_import = "partner_import"
    admin_entry = "admin_entry"


class SurveyResponse(SQLModel, table=True):
    """An alliance's answers for one cycle: at most one per alliance and cycle."""

    __tablename__ = "survey_response"
    # The index serves partner systems' incremental pulls of a cycle (?updated_since=).
    __table_args__ = (UniqueConstraint("cycle_id", "alliance_id"),
                      Index("ix_survey_response_cycle_id_updated_at", "cycle_id", "updated_at"))

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("award_cycle.id")
    alliance_id: int = fk("alliance.id")
    status: ResponseStatus = enum_column(ResponseStatus.draft, length=20, index=True)
    answers: dict[str, Any] = json_column(dict)
    wants_future_project: bool | None = None
    wants_seal: bool | None = None
    reported_status: str | None = Field(default=None, max_length=20)
    wants_finder_listing: bool | None = None
    mode: ResponseMode = enum_column(ResponseMode.online, length=20, index=True)
    entered_by: str = Field(max_length=40, description="actor, e.g. user:3 or client:2")
    activity_score: float | None = None
    score_breakdown: list[dict[str, Any]] = json_column(list)
    submitted_at: datetime | None = optional_timestamp()
    submitted_by: str | None = Field(default=None, max_length=40)
    reopened_reason: str | None = Field(default=None, max_length=1000)
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class ResponseRevision(SQLModel, table=True):
    """Answer history: one row per save, submit, reopen or import of a response."""

    __tablename__ = "response_revision"

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = fk("survey_response.id", ondelete="CASCADE")
    revision: int
    action: str = Field(max_length=20)
    answers: dict[str, Any] = json_column(dict)
    mode: ResponseMode = enum_column(length=20)
    actor: str = Field(max_length=40)
    reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = now_column()
