from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, fk, now_column, optional_timestamp
from app.mail.models import OutboxStatus


class NoticeKind(StrEnum):
    """``notice``: the invitation to the survey (Anschreiben); ``reminder``: a reminder to an
    alliance that was reached but has not submitted (Erinnerung)."""

    notice = "notice"
    reminder = "reminder"


class SurveyNotice(SQLModel, table=True):
    """One survey notice to one recipient of an alliance (Bündnisumfrage-Anschreiben)."""

    __tablename__ = "survey_notice"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("award_cycle.id")
    alliance_id: int = fk("alliance.id")
    recipient: str = Field(max_length=320)
    channel: str = Field(default="email", max_length=20)
    kind: NoticeKind = Field(default=NoticeKind.notice, sa_column=Column(
        String(10), nullable=False, server_default=NoticeKind.notice.value, index=True))
    status: OutboxStatus = enum_column(OutboxStatus.queued, length=10, index=True)
    attempts: int = 0
    outbox_message_id: int | None = fk("outbox_message.id", nullable=True, ondelete="SET NULL")
    requested_by: str = Field(max_length=40)
    sent_at: datetime | None = optional_timestamp()
    created_at: datetime = now_column()
    updated_at: datetime = now_column()
