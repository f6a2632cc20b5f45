
import pytest
from sqlmodel import Session

from app.alliances.models import Alliance
from app.auth.models import Role, User
from app.cycles.models import AwardCycle
from app.events.models import Event
from tests import factories


@pytest.fixture
def member(session: Session, alliance: Alliance) -> User:
    return factories.make_user(session, Role.alliance_user, alliance)


@pytest.fixture
def member_headers(member: User) -> dict[str, str]:
    return factories.user_headers(member)


@pytest.fixture
def other_headers(session: Session, other_alliance: Alliance) -> dict[str, str]:
    return factories.user_headers(factories.make_user(session, Role.alliance_user, other_alliance))


@pytest.fixture
def event(session: Session, alliance: Alliance) -> Event:
    """A published, invitation-only workshop two months ahead; ``alliance`` is invited."""
    return factories.make_event(session, invited=[alliance], capacity=3)


@pytest.fixture
def cycles(session: Session) -> dict[str, AwardCycle]:
    """The event's cycle ("current", evaluated), the one before (awarded) and an older one."""
    previous = factories.make_cycle(session, key="2023/24", slug="2023-24", status="awarded")
    current = factories.make_cycle(session, key="2024/25", slug="2024-25", status="evaluated")
    older = factories.make_cycle(session, key="2022/23", slug="2022-23", status="archived")
    return {"previous": previous, "current": current, "older": older}
