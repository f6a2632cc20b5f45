from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_column


class AuditEvent(SQLModel, table=True):
    """Append-only record of a write. PostgreSQL rejects UPDATE and DELETE on this table."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = now_column()
    actor: str = Field(max_length=40, index=True, description="user:3, client:2, pat:5, anonymous, system")
    actor_type: str = Field(max_length=20)
    action: str = Field(max_length=60, index=True)
    resource_type: str = Field(max_length=60, index=True)
    resource_id: str | None = Field(default=None, max_length=60, index=True)
    changed_fields: list[str] = json_column(list)
    changes: dict[str, Any] = json_column(dict)
    request_id: str | None = Field(default=None, max_length=128)
