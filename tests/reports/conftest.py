from datetime import date

import pytest
from sqlmodel import Session

from app.cycles.models import AwardCycle, CycleStatus
from tests import factories

# Scores networking 2, visibility 0, offers 4, future 0 (total 6): fails every score criterion.




@pytest.fixture
def cycle(session: Session) -> AwardCycle:
    """A closed survey with the standard questionnaire and seal criteria."""
    cycle = factories.make_cycle(session, status=CycleStatus.survey_closed,
                                 ceremony_on=date(2024, 11, 22), ceremony_place="Berlin")
    factories.make_questions(session, cycle)
    factories.make_criteria(session, cycle)
    return cycle




