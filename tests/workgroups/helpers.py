"""Helpers of the workgroups tests (fixtures stay in conftest.py)."""
from typing import Any

from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.evaluation.models import Evaluation, EvaluationRun
from app.surveys.models import SurveyResponse
from tests import factories

URL = "/api/v1/workgroups"

def url(workgroup_id: int | None = None, suffix: str = "") -> str:
    return URL if workgroup_id is None else f"{URL}/{workgroup_id}{suffix}"

def make_run(session: Session, cycle: Any, results: list[tuple[Any, bool]]) -> EvaluationRun:
    """An evaluation run of ``cycle``; ``results``: (alliance, invited_to_future_project)."""
    run = EvaluationRun(cycle_id=cycle.id, started_by="user:0")
    session.add(run)
    session.flush()
    for alliance, invited in results:
        response = session.exec(select(SurveyResponse).where(
            SurveyResponse.cycle_id == cycle.id, SurveyResponse.alliance_id == alliance.id,
        )).first() or factories.make_response(session, cycle, alliance)
        session.add(Evaluation(run_id=run.id, cycle_id=cycle.id, alliance_id=alliance.id,
                               response_id=response.id, activity_score=10.0,
                               meets_criteria=invited, wants_future_project=True,
                               invited_to_future_project=invited))
    session.commit()
    return run

def audit(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())
