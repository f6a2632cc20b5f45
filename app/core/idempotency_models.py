from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import json_column, now_column


class IdempotencyRecord(SQLModel, table=True):
    """The stored reply to a request sent with an ``Idempotency-Key``, per caller."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("actor", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=40)
    key: str = Field(max_length=200)
    scope: str = Field(max_length=200, description="method and path the key was used for")
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = json_column(dict)
    created_at: datetime = now_column()
