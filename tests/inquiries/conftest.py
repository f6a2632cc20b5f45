from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import Role, User
from app.core.db import utcnow
from app.cycles.models import AwardCycle
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import SurveyNotice
from tests import factories

URL = "/api/v1/inquiries"


def url(inquiry_id: int | None = None, suffix: str = "") -> str:
    return URL if inquiry_id is None else f"{URL}/{inquiry_id}{suffix}"


def mail_to(session: Session, recipient: str) -> list[OutboxMessage]:
    return list(session.exec(
        select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        .order_by(col(OutboxMessage.id)).execution_options(populate_existing=True)
    ).all())


def filing(**overrides: Any) -> dict[str, Any]:
    """A valid anonymous filing."""
    body: dict[str, Any] = {
        "category": "missing_notice", "subject": "Keine Einladung zur Umfrage",
        "message": "Unser Bündnis hat keine Einladung zur Bündnisumfrage bekommen.",
        "requester_name": "Erika Muster", "requester_email": "Erika.Muster@Example.ORG",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def member_filing(**overrides: Any) -> dict[str, Any]:
    """A valid filing by an alliance user (no requester name or e-mail)."""
    return filing(**{"requester_name": None, "requester_email": None, **overrides})


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
