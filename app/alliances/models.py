from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, true
from sqlalchemy.orm import lazyload
from sqlmodel import Field, Relationship, SQLModel

from app.core.db import UTCDateTime, utcnow


class AllianceLevel(StrEnum):
    municipality = "municipality"
    city = "city"
    district = "district"


class LegalForm(StrEnum):
    informal = "informal"
    working_group = "working_group"
    registered_association = "registered_association"
    other = "other"


class AllianceStatus(StrEnum):
    active = "active"
    dormant = "dormant"
    dissolved = "dissolved"


class PartnerSector(StrEnum):
    business = "business"
    municipality = "municipality"
    civil_society = "civil_society"
    church = "church"
    welfare = "welfare"
    education = "education"
    other = "other"


class Alliance(SQLModel, table=True):
    __tablename__ = "alliance"
    # Partner systems pull what changed since their last sync (?updated_since=); lists by Land
    # walk that Land's alliances in name order (the seal registry, the alliance list).
    __table_args__ = (Index("ix_alliance_updated_at", "updated_at"),
                      Index("ix_alliance_state_name", "state", "name"))

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    slug: str = Field(max_length=120, unique=True)
    ags: str | None = Field(default=None, max_length=8, index=True)
    municipality: str | None = Field(default=None, max_length=200)
    district: str | None = Field(default=None, max_length=200)
    state: str = Field(max_length=5)
    region: str | None = Field(default=None, max_length=200)
    level: AllianceLevel = Field(sa_column=Column(String(20), nullable=False))
    legal_form: LegalForm | None = Field(default=None, sa_column=Column(String(30)))
    founded_on: date | None = None
    website: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=5000)
    status: AllianceStatus = Field(
        default=AllianceStatus.active, sa_column=Column(String(20), nullable=False, index=True)
    )
    listed_in_finder: bool = False
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    partners: list["AlliancePartner"] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan", "order_by": "AlliancePartner.id", "lazy": "selectin",
        }
    )
    contacts: list["AllianceContact"] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan", "order_by": "AllianceContact.id", "lazy": "selectin",
        }
    )




class AlliancePartner(SQLModel, table=True):
    __tablename__ = "alliance_partner"

    id: int | None = Field(default=None, primary_key=True)
    # Optional only in Python: set through Alliance.partners/contacts on flush; NOT NULL in the table.
    alliance_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("alliance.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    )
    name: str = Field(max_length=200)
    sector: PartnerSector = Field(sa_column=Column(String(20), nullable=False))


class AllianceContact(SQLModel, table=True):
    """A contact person: personal data (GDPR); erasure anonymises, never deletes."""

    __tablename__ = "alliance_contact"

    id: int | None = Field(default=None, primary_key=True)
    # Optional only in Python: set through Alliance.partners/contacts on flush; NOT NULL in the table.
    alliance_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("alliance.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    )
    name: str = Field(max_length=200)
    function: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    # False: the Servicebüro sends this person no e-mail (notices, reminders, invitations).
    accepts_mail: bool = Field(default=True, sa_column=Column(Boolean, nullable=False,
                                                              server_default=true()))
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Loader options for readers that need an alliance's own columns only: partners and contacts are
# then loaded if and when touched, not with the alliance. Their default is an eager ``selectin``
# load, which fetched every partner and contact row with each alliance read for a name or a slug.
WITHOUT_CHILDREN: tuple[Any, ...] = (
    lazyload(Alliance.partners), lazyload(Alliance.contacts),  # type: ignore[arg-type]
)
