"""The personal calendar feed of an alliance: a secret URL that calendar apps subscribe to
(they cannot send bearer tokens). Only the SHA-256 of the secret is stored; rotating or
revoking sets ``revoked_at``, and the old URL answers 404 from then on."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.columns import fk, now_column, optional_timestamp


class CalendarFeed(SQLModel, table=True):
    __tablename__ = "calendar_feed"

    id: int | None = Field(default=None, primary_key=True)
    alliance_id: int = fk("alliance.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_by: str = Field(max_length=40)
    created_at: datetime = now_column()
    revoked_at: datetime | None = optional_timestamp()
