from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import fk, json_column, now_column


class SealCriterion(SQLModel, table=True):
    """A seal criterion of a cycle; ``rule`` is data (see app/evaluation/rules.py)."""

    __tablename__ = "seal_criterion"
    __table_args__ = (UniqueConstraint("cycle_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("award_cycle.id", ondelete="CASCADE")
    key: str = Field(max_length=60)
    label: str = Field(max_length=300)
    explanation: str | None = Field(default=None, max_length=2000)
    rule: dict[str, Any] = json_column(dict)
    position: int = 0


class EvaluationRun(SQLModel, table=True):
    """One explicit evaluation of a cycle, with the criteria it used."""

    __tablename__ = "evaluation_run"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = fk("award_cycle.id")
    started_by: str = Field(max_length=40)
    reason: str | None = Field(default=None, max_length=1000)
    criteria_snapshot: list[dict[str, Any]] = json_column(list)
    evaluated_count: int = 0
    passed_count: int = 0
    created_at: datetime = now_column()


class Evaluation(SQLModel, table=True):
    """The result for one alliance in one run: score, each criterion, overall, invitation."""

    __tablename__ = "evaluation"
    # The shortlist pages a run best score first: without the index every page sorted the
    # whole run (65,000 rows in the x100 benchmark).
    __table_args__ = (UniqueConstraint("run_id", "alliance_id"),
                      Index("ix_evaluation_run_id_activity_score_id", "run_id", "activity_score", "id"))

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = fk("evaluation_run.id", ondelete="CASCADE")
    cycle_id: int = fk("award_cycle.id")
    alliance_id: int = fk("alliance.id")
    response_id: int = fk("survey_response.id")
    activity_score: float
    criteria_results: list[dict[str, Any]] = json_column(list)
    meets_criteria: bool
    wants_future_project: bool
    invited_to_future_project: bool
    created_at: datetime = now_column()
