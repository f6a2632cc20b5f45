from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, now_column
from app.core.db import UTCDateTime


class CycleStatus(StrEnum):
    draft = "draft"
    survey_open = "survey_open"
    survey_closed = "survey_closed"
    evaluated = "evaluated"
    awarded = "awarded"
    archived = "archived"


class AwardCycle(SQLModel, table=True):
    """One yearly round: survey, evaluation and seal (e.g. key "2024/25", slug "2024-25")."""

    __tablename__ = "award_cycle"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=20, unique=True)
    slug: str = Field(max_length=20, unique=True)
    seal_title: str = Field(max_length=200)
    opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ceremony_on: date | None = None
    ceremony_place: str | None = Field(default=None, max_length=200)
    status: CycleStatus = enum_column(CycleStatus.draft, length=20, index=True)
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()
