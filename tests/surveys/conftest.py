"""Fixtures and helpers for the survey response tests."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import ApiClient, Role, User
from app.core.idempotency_models import IdempotencyRecord
from app.cycles.models import AwardCycle
from app.questionnaire.models import Question
from app.surveys.models import ResponseRevision, SurveyResponse
from tests import factories
from tests.surveys.helpers import (
    Committed,
)


@pytest.fixture
def cycle(session: Session) -> AwardCycle:
    """An open cycle (window around now) with the standard questionnaire."""
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    return cycle


@pytest.fixture
def cycle_in(session: Session) -> Callable[..., AwardCycle]:
    def make(**overrides: Any) -> AwardCycle:
        cycle = factories.make_cycle(session, **overrides)
        factories.make_questions(session, cycle)
        return cycle

    return make


@pytest.fixture
def coordinator(alliance: Alliance, alliance_user: Callable[[Alliance], dict[str, str]]) -> dict[str, str]:
    """Headers of a coordinator of ``alliance``."""
    return alliance_user(alliance)


@pytest.fixture
def survey_reader(session: Session) -> Callable[..., dict[str, str]]:
    """Headers of a partner system with read and write scopes (optionally restricted)."""
    def make(alliances: list[Alliance] | None = None) -> dict[str, str]:
        client = factories.make_client(session, scopes=("surveys:read", "surveys:write"),
                                       alliances=alliances)
        return factories.client_headers(client)

    return make


# --- committed data for tests that race requests on separate connections ---------------------



@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    """A draft, its alliance's coordinator and a partner system, committed for real so that
    other connections see them (the usual per-test transaction would hide them); everything
    is removed afterwards (partners, contacts, questions and client allowances cascade)."""
    with Session(engine, expire_on_commit=False) as setup:
        alliance = factories.make_alliance(setup)
        user = factories.make_user(setup, Role.alliance_user, alliance)
        partner = factories.make_client(setup, alliances=[alliance])
        cycle = factories.make_cycle(setup)
        factories.make_questions(setup, cycle)
        draft = factories.make_response(setup, cycle, alliance, submitted=False)
    yield Committed(alliance, factories.user_headers(user), factories.client_headers(partner),
                    cycle, draft)
    with engine.begin() as connection:
        response_ids = select(SurveyResponse.id).where(SurveyResponse.cycle_id == cycle.id)
        connection.execute(delete(ResponseRevision).where(
            col(ResponseRevision.response_id).in_(response_ids)))
        connection.execute(delete(SurveyResponse).where(col(SurveyResponse.cycle_id) == cycle.id))
        connection.execute(delete(AwardCycle).where(col(AwardCycle.id) == cycle.id))
        connection.execute(delete(IdempotencyRecord).where(
            col(IdempotencyRecord.actor) == f"client:{partner.id}"))
        connection.execute(delete(ApiClient).where(col(ApiClient.id) == partner.id))
        connection.execute(delete(User).where(col(User.id) == user.id))
        connection.execute(delete(Alliance).where(col(Alliance.id) == alliance.id))
    with Session(engine) as check:
        assert check.get(Alliance, alliance.id) is None
        assert check.exec(select(Question).where(Question.cycle_id == cycle.id)).first() is None
