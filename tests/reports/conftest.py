from datetime import date

import pytest
from sqlmodel import Session

from app.cycles.models import AwardCycle, CycleStatus
from app.notices.models import SurveyNotice
from tests import factories

# Scores networking 2, visibility 0, offers 4, future 0 (total 6): fails every score criterion.
WEAK_ANSWERS = {"partner_meetings": 2, "press_coverage": False, "offer_frequency": "quarterly"}


def cycle_url(cycle: AwardCycle | str, tail: str) -> str:
    ref = cycle if isinstance(cycle, str) else cycle.slug
    return f"/api/v1/cycles/{ref}/{tail}"


@pytest.fixture
def cycle(session: Session) -> AwardCycle:
    """A closed survey with the standard questionnaire and seal criteria."""
    cycle = factories.make_cycle(session, status=CycleStatus.survey_closed,
                                 ceremony_on=date(2024, 11, 22), ceremony_place="Berlin")
    factories.make_questions(session, cycle)
    factories.make_criteria(session, cycle)
    return cycle


def make_notice(session: Session, cycle: AwardCycle, alliance_id: int | None,
                status: str = "sent") -> SurveyNotice:
    assert alliance_id is not None and cycle.id is not None
    notice = SurveyNotice(cycle_id=cycle.id, alliance_id=alliance_id, recipient="x@example.org",
                          status=status, requested_by="user:0")
    session.add(notice)
    session.commit()
    return notice


def evaluate(client, admin, cycle: AwardCycle) -> dict:
    r = client.post(cycle_url(cycle, "evaluation"), headers=admin, json={"reason": "Auswertung"})
    assert r.status_code == 201, r.text
    return r.json()
