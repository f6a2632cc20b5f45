"""A cycle's questionnaire: its questions, with options, scoring and weight."""

from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, fk, json_column


class QuestionType(StrEnum):
    boolean = "boolean"
    integer = "integer"
    single_choice = "single_choice"
    multi_choice = "multi_choice"
    text = "text"
    date = "date"


class Question(SQLModel, table=True):
    """One question of a cycle's questionnaire. ``options``: [{value, label, points}];
    ``scoring``: {kind: none|per_option|per_unit|if_yes, points_per_unit, cap, points}."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("cycle_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("award_cycle.id", ondelete="CASCADE")
    key: str = Field(max_length=60)
    text: str = Field(max_length=1000)
    help_text: str | None = Field(default=None, max_length=2000)
    type: QuestionType = enum_column(length=20)
    required: bool = False
    options: list[dict[str, Any]] = json_column(list)
    scoring: dict[str, Any] = json_column(dict)
    weight: float = 1.0
    criterion_group: str | None = Field(default=None, max_length=60)
    position: int = 0
