from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from app.cycles.models import AwardCycle, CycleStatus
from tests import factories
from tests.awards.helpers import WEAK_ANSWERS, cycle_url


@pytest.fixture
def cycle(session: Session) -> AwardCycle:
    """A closed survey with the standard questionnaire and criteria, ceremony 22 Nov 2024."""
    cycle = factories.make_cycle(session, status=CycleStatus.survey_closed,
                                 seal_title="Ausgezeichnetes Bündnis 2024/25",
                                 ceremony_on=date(2024, 11, 22), ceremony_place="Berlin")
    factories.make_questions(session, cycle)
    factories.make_criteria(session, cycle)
    return cycle


@pytest.fixture
def shortlist(client, admin, session, cycle, alliance, other_alliance) -> dict[str, Any]:
    """Evaluated: ``alliance`` and ``third`` meet the criteria, ``other_alliance`` does not."""
    third = factories.make_alliance(session, state="DE-SN", municipality="Leipzig")
    factories.make_scored_response(session, cycle, alliance)
    factories.make_scored_response(session, cycle, other_alliance, answers=WEAK_ANSWERS)
    factories.make_scored_response(session, cycle, third)
    r = client.post(cycle_url(cycle, "evaluation"), headers=admin,
                    json={"reason": "Auswertung nach Ende der Umfrage"})
    assert r.status_code == 201, r.text
    # The run does not move the cycle; marking it evaluated is the documented next step.
    r = client.post(cycle_url(cycle, "mark-evaluated"), headers=admin)
    assert r.status_code == 200, r.text
    return {"meets": [alliance, third], "fails": other_alliance, "third": third}




