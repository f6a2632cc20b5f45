"""Anfragen an das Servicebüro: tickets such as "we got no survey notice", with a thread of
messages between the requester and the Servicebüro."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, fk, now_column, optional_timestamp


class InquiryCategory(StrEnum):
    missing_notice = "missing_notice"
    survey = "survey"
    seal = "seal"
    events = "events"
    account = "account"
    other = "other"


class InquiryStatus(StrEnum):
    open = "open"  # waiting for the Servicebüro
    answered = "answered"  # waiting for the requester
    closed = "closed"


class Inquiry(SQLModel, table=True):
    """One ticket. The requester's name, e-mail and phone are personal data (GDPR); erasure
    and retention anonymise them and the message bodies, and keep the row."""

    __tablename__ = "inquiry"

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int | None = fk("alliance.id", nullable=True)
    cycle_id: int | None = fk("award_cycle.id", nullable=True)
    category: InquiryCategory = enum_column(length=20, index=True)
    status: InquiryStatus = enum_column(InquiryStatus.open, length=20, index=True)
    subject: str = Field(sa_column=Column(String(200), nullable=False, info={"personal": True}))
    requester_name: str = Field(max_length=200)
    # Stored lower-cased; None once erased.
    requester_email: str | None = Field(default=None, max_length=320)
    requester_phone: str | None = Field(default=None, max_length=50)
    # Set when an alliance user filed it; anonymous requests name their alliance in free text.
    requester_user_id: int | None = fk("user_account.id", nullable=True)
    stated_alliance_name: str | None = Field(default=None, max_length=200)
    version: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()
    closed_at: datetime | None = optional_timestamp()
    erased_at: datetime | None = optional_timestamp()


class MessageAuthor(StrEnum):
    requester = "requester"
    servicebuero = "servicebuero"


class InquiryMessage(SQLModel, table=True):
    __tablename__ = "inquiry_message"

    id: int | None = Field(default=None, primary_key=True)
    inquiry_id: int = fk("inquiry.id", ondelete="CASCADE")
    author: MessageAuthor = enum_column(length=20)
    author_user_id: int | None = fk("user_account.id", nullable=True)
    body: str = Field(max_length=5000)
    created_at: datetime = now_column()
