from datetime import date

import pytest
from sqlmodel import Session

from app.cycles.models import AwardCycle, CycleStatus
from tests import factories


@pytest.fixture
def cycle(session: Session) -> AwardCycle:
    """A cycle whose survey has closed, with the standard questionnaire."""
    cycle = factories.make_cycle(session, status=CycleStatus.survey_closed,
                                 ceremony_on=date(2024, 11, 22), ceremony_place="Berlin")
    factories.make_questions(session, cycle)
    return cycle




# Answers that score networking 2, visibility 0, offers 4, future 0: total 6.
