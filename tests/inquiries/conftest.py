from collections.abc import Callable

import pytest
from sqlmodel import Session

from app.alliances.models import Alliance
from app.auth.models import Role, User
from app.core.db import utcnow
from app.cycles.models import AwardCycle
from app.mail.models import OutboxStatus
from app.notices.models import SurveyNotice
from tests import factories


@pytest.fixture
def cycle(session: Session) -> AwardCycle:
    return factories.make_cycle(session)


@pytest.fixture
def member(session: Session, alliance: Alliance) -> User:
    """A person acting for ``alliance``."""
    return factories.make_user(session, Role.alliance_user, alliance, full_name="Karla Koordination",
                               email="karla@familie-teststadt.example.org")


@pytest.fixture
def member_headers(member: User) -> dict[str, str]:
    return factories.user_headers(member)


@pytest.fixture
def notice(session: Session) -> Callable[..., SurveyNotice]:
    """notice(cycle, alliance, status=sent): a survey notice recorded for the alliance."""

    def record(cycle: AwardCycle, alliance: Alliance, status: OutboxStatus = OutboxStatus.sent,
               recipient: str = "kontakt@alliance.example.org") -> SurveyNotice:
        now = utcnow()
        row = SurveyNotice(cycle_id=cycle.id, alliance_id=alliance.id, recipient=recipient,
                           status=status, attempts=1, requested_by="user:1",
                           sent_at=now if status == OutboxStatus.sent else None)
        session.add(row)
        session.commit()
        return row

    return record
