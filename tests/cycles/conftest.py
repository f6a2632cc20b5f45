from collections.abc import Callable

import pytest
from sqlmodel import Session

from app.cycles.models import AwardCycle, CycleStatus
from tests import factories


@pytest.fixture
def draft_cycle(session: Session) -> AwardCycle:
    """A draft with a window and the standard questionnaire: ready to open."""
    cycle = factories.make_cycle(session, status=CycleStatus.draft)
    factories.make_questions(session, cycle)
    return cycle


@pytest.fixture
def cycle_in(session: Session) -> Callable[..., AwardCycle]:
    def make(status: CycleStatus, **overrides: object) -> AwardCycle:
        cycle = factories.make_cycle(session, status=status, **overrides)
        factories.make_questions(session, cycle)
        return cycle

    return make


@pytest.fixture
def survey_reader(session: Session) -> dict[str, str]:
    """A partner system that may only read surveys."""
    return factories.client_headers(factories.make_client(session, scopes=("surveys:read",)))


@pytest.fixture
def scopeless_client(session: Session) -> dict[str, str]:
    """A partner system without any survey scope."""
    return factories.client_headers(factories.make_client(session, scopes=("alliances:read",)))
