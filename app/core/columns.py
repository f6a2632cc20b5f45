"""Column helpers shared by the domain models."""

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String
from sqlmodel import Field

from app.core.db import UTCDateTime, utcnow


def fk(target: str, *, nullable: bool = False, ondelete: str = "RESTRICT", index: bool = True) -> Any:
    """An integer foreign key column (``target`` like "alliance.id")."""
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


def enum_column(default: Any = None, *, length: int = 30, nullable: bool = False, index: bool = False) -> Any:
    """A StrEnum stored as a plain string (portable; values are checked by the schemas)."""
    return Field(default=default, sa_column=Column(String(length), nullable=nullable, index=index))


def json_column(default_factory: Any = dict, *, nullable: bool = False) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=nullable))


def now_column() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def optional_timestamp(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


__all__ = ["enum_column", "fk", "json_column", "now_column", "optional_timestamp"]
