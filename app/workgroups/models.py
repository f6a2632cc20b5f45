"""Arbeitsrunden: groups of alliances working on one Zukunftsthema in one award cycle, their
memberships (asked, invited, admitted, declined, left) and the results they publish."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, fk, json_column, now_column, optional_timestamp


class WorkgroupStatus(StrEnum):
    planned = "planned"
    active = "active"
    closed = "closed"  # refuses new joins; results stay readable


class Workgroup(SQLModel, table=True):
    __tablename__ = "workgroup"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("award_cycle.id")
    topic_id: int = fk("future_topic.id")
    title: str = Field(max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    # e.g. "Metropolregion Nürnberg"; None for a nationwide workgroup.
    region: str | None = Field(default=None, max_length=200)
    status: WorkgroupStatus = enum_column(WorkgroupStatus.planned, length=20, index=True)
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class MemberStatus(StrEnum):
    requested = "requested"  # the alliance asked; the Servicebüro decides
    invited = "invited"  # invited by the rule; the alliance accepts by asking to join
    active = "active"
    declined = "declined"  # the Servicebüro said no (the alliance may ask again)
    left = "left"  # the alliance left or withdrew, or the Servicebüro removed it


class MemberBasis(StrEnum):
    future_project = "future_project"  # invited to Projekt Zukunft by the latest run
    previous_seal = "previous_seal"  # seal alliance of the previous cycle, still active
    manual = "manual"  # admitted by the Servicebüro with a reason


class WorkgroupMember(SQLModel, table=True):
    __tablename__ = "workgroup_member"
    __table_args__ = (UniqueConstraint("workgroup_id", "alliance_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workgroup_id: int = fk("workgroup.id")
    alliance_id: int = fk("alliance.id")
    status: MemberStatus = enum_column(length=20, index=True)
    basis: MemberBasis = enum_column(length=20)
    # Why the Servicebüro admitted an alliance outside the rule.
    reason: str | None = Field(default=None, max_length=1000)
    # The alliance's message with its request, and the Servicebüro's note on its decision.
    request_note: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=1000)
    # The one contact person the alliance shows to the other members (None: nobody).
    shared_contact_id: int | None = fk("alliance_contact.id", nullable=True, ondelete="SET NULL")
    requested_at: datetime | None = optional_timestamp()
    invited_at: datetime | None = optional_timestamp()
    decided_at: datetime | None = optional_timestamp()
    decided_by: str | None = Field(default=None, max_length=40)
    joined_at: datetime | None = optional_timestamp()
    left_at: datetime | None = optional_timestamp()
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class ResultStatus(StrEnum):
    draft = "draft"
    published = "published"


class WorkgroupResult(SQLModel, table=True):
    __tablename__ = "workgroup_result"

    id: int | None = Field(default=None, primary_key=True)
    workgroup_id: int = fk("workgroup.id")
    title: str = Field(max_length=300)
    summary: str = Field(max_length=2000)
    body: str = Field(default="", max_length=50_000)  # Markdown
    links: list[dict[str, str]] = json_column(list)
    status: ResultStatus = enum_column(ResultStatus.draft, length=20, index=True)
    published_at: datetime | None = optional_timestamp()
    created_by: str = Field(max_length=40)
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class WorkgroupResultAuthor(SQLModel, table=True):
    """An alliance credited with a result (a member of the workgroup when it was named)."""

    __tablename__ = "workgroup_result_author"

    result_id: int = Field(foreign_key="workgroup_result.id", primary_key=True, ondelete="CASCADE")
    alliance_id: int = Field(foreign_key="alliance.id", primary_key=True, ondelete="RESTRICT")
