from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session

from app.alliances.models import Alliance
from app.awards.models import Award, AwardStatus
from app.cycles.models import AwardCycle
from tests import factories
from tests.mail.smtp import SmtpServer, running_smtp_server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def cycle(session: Session) -> AwardCycle:
    return factories.make_cycle(session)


@pytest.fixture
def seal(session: Session) -> Callable[..., Award]:
    """seal(alliance, status=confirmed): the alliance holds the seal of an earlier cycle."""

    def give(alliance: Alliance, status: AwardStatus = AwardStatus.confirmed) -> Award:
        return factories.give_seal(session, alliance, status)

    return give
