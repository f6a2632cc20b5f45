"""Helpers of the reports tests (fixtures stay in conftest.py)."""

from sqlmodel import Session

from app.cycles.models import AwardCycle
from app.notices.models import SurveyNotice

WEAK_ANSWERS = {"partner_meetings": 2, "press_coverage": False, "offer_frequency": "quarterly"}


def cycle_url(cycle: AwardCycle | str, tail: str) -> str:
    ref = cycle if isinstance(cycle, str) else cycle.slug
    return f"/api/v1/cycles/{ref}/{tail}"


def make_notice(
    session: Session, cycle: AwardCycle, alliance_id: int | None, status: str = "sent"
) -> SurveyNotice:
    assert alliance_id is not None and cycle.id is not None
    notice = SurveyNotice(
        cycle_id=cycle.id,
        alliance_id=alliance_id,
        recipient="x@example.org",
        status=status,
        requested_by="user:0",
    )
    session.add(notice)
    session.commit()
    return notice


def evaluate(client, admin, cycle: AwardCycle) -> dict:
    r = client.post(cycle_url(cycle, "evaluation"), headers=admin, json={"reason": "Auswertung"})
    assert r.status_code == 201, r.text
    return r.json()
