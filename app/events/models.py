"""Projekt Zukunft: the four Zukunftsthemen, events (exchanges, workshops, dialogue,
ceremony), who is invited to them, and the delegates alliances register."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, fk, now_column, optional_timestamp


class FutureTopic(SQLModel, table=True):
    """One of the four fixed Zukunftsthemen, seeded by the migration that creates the table."""

    __tablename__ = "future_topic"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    slug: str = Field(max_length=60, unique=True)
    title: str = Field(max_length=200)


class EventKind(StrEnum):
    exchange = "exchange"  # Erfahrungsaustausch (virtuell)
    workshop = "workshop"  # Zukunftswerkstatt (regional)
    dialogue = "dialogue"  # Bündnisdialog
    ceremony = "ceremony"  # Siegelverleihung


class EventStatus(StrEnum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class Event(SQLModel, table=True):
    __tablename__ = "event"
    # The event lists' order (starts_at, id): a page walks it instead of sorting every event.
    __table_args__ = (Index("ix_event_starts_at_id", "starts_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int | None = fk("award_cycle.id", nullable=True)
    kind: EventKind = enum_column(length=20, index=True)
    status: EventStatus = enum_column(EventStatus.draft, length=20, index=True)
    title: str = Field(max_length=300)
    summary: str | None = Field(default=None, max_length=5000)
    starts_at: datetime = optional_timestamp(nullable=False)
    ends_at: datetime = optional_timestamp(nullable=False)
    # A town for regional workshops ("Hamm"), "online" for virtual exchanges.
    venue: str | None = Field(default=None, max_length=300)
    state: str | None = Field(default=None, max_length=5)
    online_url: str | None = Field(default=None, max_length=500)
    capacity: int | None = None
    registration_closes_at: datetime | None = optional_timestamp()
    # Open to every alliance, or only to the alliances on the invitation list.
    invitation_only: bool = True
    # Listed in the public calendar (the ceremony, a Bündnisdialog).
    is_public: bool = False
    # Held for an Arbeitsrunde: invitations by the rule invite exactly its active members.
    workgroup_id: int | None = fk("workgroup.id", nullable=True)
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class EventTopic(SQLModel, table=True):
    """A workshop covers one or more Zukunftsthemen."""

    __tablename__ = "event_topic"

    event_id: int = Field(foreign_key="event.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="future_topic.id", primary_key=True, ondelete="RESTRICT")


class InvitationBasis(StrEnum):
    future_project = "future_project"  # met the criteria and wants Projekt Zukunft
    previous_seal = "previous_seal"  # seal alliance of the previous cycle
    seal = "seal"  # seal alliance of the event's cycle (ceremony)
    manual = "manual"  # added by the Servicebüro
    workgroup = "workgroup"  # active member of the event's workgroup


class EventInvitation(SQLModel, table=True):
    __tablename__ = "event_invitation"
    __table_args__ = (UniqueConstraint("event_id", "alliance_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = fk("event.id", ondelete="CASCADE")
    alliance_id: int = fk("alliance.id")
    basis: InvitationBasis = enum_column(length=20)
    invited_by: str = Field(max_length=40)
    created_at: datetime = now_column()
    # When the invitation e-mail was queued (once per invitation; see app/events/invitation_mail.py).
    mailed_at: datetime | None = optional_timestamp()


class DelegateStatus(StrEnum):
    registered = "registered"
    withdrawn = "withdrawn"
    waitlisted = "waitlisted"  # the event was full: in line by order of arrival


class Attendance(StrEnum):
    attended = "attended"
    no_show = "no_show"


class EventDelegate(SQLModel, table=True):
    """A person an alliance sends to an event: personal data (GDPR). Erasure and retention
    anonymise the row and keep it, so attendance counts stay right."""

    __tablename__ = "event_delegate"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = fk("event.id")
    alliance_id: int = fk("alliance.id")
    name: str = Field(max_length=200)
    function: str | None = Field(default=None, max_length=200)
    # Stored lower-cased; None once erased.
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    dietary_needs: str | None = Field(
        default=None, sa_column=Column(String(500), info={"personal": True}))
    status: DelegateStatus = enum_column(DelegateStatus.registered, length=20, index=True)
    registered_by: str = Field(max_length=40)
    created_at: datetime = now_column()
    updated_at: datetime = now_column()
    erased_at: datetime | None = optional_timestamp()
    # Recorded by the Servicebüro from the event's start on (registered delegates only).
    attendance: Attendance | None = enum_column(length=20, nullable=True)
    attendance_recorded_at: datetime | None = optional_timestamp()
    attendance_recorded_by: str | None = Field(default=None, max_length=40)
