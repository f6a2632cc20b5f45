"""Helpers of the surveys tests (fixtures stay in conftest.py)."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, func, select

from app.alliances.models import Alliance
from app.cycles.models import AwardCycle
from app.surveys.models import ResponseRevision, SurveyResponse
from tests import factories


def responses_url(cycle: AwardCycle) -> str:
    return f"/api/v1/cycles/{cycle.slug}/responses"


def response_url(cycle: AwardCycle, alliance: Alliance) -> str:
    return f"{responses_url(cycle)}/{alliance.id}"


def stored(session: Session, cycle: AwardCycle, alliance: Alliance) -> SurveyResponse | None:
    """The response as the database has it now (not a cached object)."""
    session.expire_all()
    return session.exec(
        select(SurveyResponse).where(
            SurveyResponse.cycle_id == cycle.id, SurveyResponse.alliance_id == alliance.id
        )
    ).first()


def revision_count(session: Session, response_id: int | None = None) -> int:
    query = select(func.count()).select_from(ResponseRevision)
    if response_id is not None:
        query = query.where(ResponseRevision.response_id == response_id)
    return session.exec(query).one()


def response_count(session: Session, cycle: AwardCycle) -> int:
    return session.exec(
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.cycle_id == cycle.id)
    ).one()


def draft_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "answers": dict(factories.GOOD_ANSWERS),
        "wants_future_project": True,
        "wants_seal": True,
    }
    body.update(overrides)
    return body


@dataclass
class Committed:
    alliance: Alliance
    headers: dict[str, str]
    partner_headers: dict[str, str]
    cycle: AwardCycle
    draft: SurveyResponse


def batch_url(cycle: Any) -> str:
    return f"{responses_url(cycle)}:batch"


def item(alliance: Any, **overrides: Any) -> dict[str, Any]:
    """One item of a partner batch: complete answers, seal and Projekt Zukunft wanted."""
    body: dict[str, Any] = {"alliance": alliance, "answers": dict(factories.GOOD_ANSWERS),
                            "wants_future_project": True, "wants_seal": True}
    body.update(overrides)
    return body
