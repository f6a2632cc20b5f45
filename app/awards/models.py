from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, fk, now_column, optional_timestamp


class AwardStatus(StrEnum):
    confirmed = "confirmed"
    withdrawn = "withdrawn"


class Award(SQLModel, table=True):
    """The seal „Ausgezeichnetes Bündnis“ for one alliance in one cycle."""

    __tablename__ = "award"
    # The index serves partner systems' incremental pulls of a cycle (?updated_since=).
    __table_args__ = (UniqueConstraint("cycle_id", "alliance_id"),
                      Index("ix_award_cycle_id_updated_at", "cycle_id", "updated_at"),
                      # The public registry reads an alliance's confirmed awards in name order.
                      Index("ix_award_alliance_id_status", "alliance_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("award_cycle.id")
    alliance_id: int = fk("alliance.id")
    title: str = Field(max_length=200)
    awarded_on: date
    status: AwardStatus = enum_column(AwardStatus.confirmed, length=20, index=True)
    verification_code: str = Field(max_length=40, unique=True)
    reason: str | None = Field(default=None, max_length=1000)
    confirmed_by: str = Field(max_length=40)
    withdrawn_at: datetime | None = optional_timestamp()
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()
