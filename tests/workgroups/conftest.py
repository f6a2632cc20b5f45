from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.evaluation.models import Evaluation, EvaluationRun
from app.mail.models import OutboxMessage
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


def all_mail(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))
                             .execution_options(populate_existing=True)).all())


def audit(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


@pytest.fixture
def cycles(session):
    previous = factories.make_cycle(session, key="2023/24", slug="2023-24", status="awarded")
    current = factories.make_cycle(session, key="2024/25", slug="2024-25", status="evaluated")
    return {"previous": previous, "current": current}


@pytest.fixture
def people(session, cycles):
    """a: invited to Projekt Zukunft; b: evaluated, not invited; c: previous seal;
    d: nothing; e: previous seal but dissolved."""
    ps = {name: factories.make_alliance(session) for name in "abcde"}
    make_run(session, cycles["current"], [(ps["a"], True), (ps["b"], False)])
    factories.make_award(session, cycles["previous"], ps["c"])
    factories.make_award(session, cycles["previous"], ps["e"])
    ps["e"].status = "dissolved"
    session.add(ps["e"])
    session.commit()
    return ps


@pytest.fixture
def workgroup(session, cycles):
    return factories.make_workgroup(session, cycles["current"], title="Arbeitsrunde Pflege")


@pytest.fixture
def users(session, people):
    return {name: factories.user_headers(factories.make_user(session, factories.Role.alliance_user,
                                                            alliance))
            for name, alliance in people.items()}
