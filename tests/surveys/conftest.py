"""Fixtures and helpers for the survey response tests."""

from collections.abc import Callable
from typing import Any

import pytest
from httpx import Response
from sqlmodel import Session, func, select

from app.alliances.models import Alliance
from app.cycles.models import AwardCycle
from app.surveys.models import ResponseRevision, SurveyResponse
from tests import factories

PROBLEM = "application/problem+json"


def assert_problem(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem document with the given status (and code); returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "instance"} <= body.keys()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def error_locs(body: dict[str, Any]) -> list[list[str | int]]:
    return [error["loc"] for error in body.get("errors") or []]


def responses_url(cycle: AwardCycle) -> str:
    return f"/api/v1/cycles/{cycle.slug}/responses"


def response_url(cycle: AwardCycle, alliance: Alliance) -> str:
    return f"{responses_url(cycle)}/{alliance.id}"


def stored(session: Session, cycle: AwardCycle, alliance: Alliance) -> SurveyResponse | None:
    """The response as the database has it now (not a cached object)."""
    session.expire_all()
    return session.exec(select(SurveyResponse).where(SurveyResponse.cycle_id == cycle.id,
                                                     SurveyResponse.alliance_id == alliance.id)).first()


def revision_count(session: Session, response_id: int | None = None) -> int:
    query = select(func.count()).select_from(ResponseRevision)
    if response_id is not None:
        query = query.where(ResponseRevision.response_id == response_id)
    return session.exec(query).one()


def response_count(session: Session, cycle: AwardCycle) -> int:
    return session.exec(select(func.count()).select_from(SurveyResponse)
                        .where(SurveyResponse.cycle_id == cycle.id)).one()


def draft_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"answers": dict(factories.GOOD_ANSWERS), "wants_future_project": True,
                            "wants_seal": True}
    body.update(overrides)
    return body


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
