from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, now_column, optional_timestamp


class OutboxStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    failed = "failed"


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting to be sent, sent, or given up after retries."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=20000)
    status: OutboxStatus = enum_column(OutboxStatus.queued, length=10, index=True)
    attempts: int = 0
    next_attempt_at: datetime = now_column()
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = optional_timestamp()
    created_at: datetime = now_column()
