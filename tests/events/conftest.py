from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import Role, User
from app.core.db import utcnow
from app.events.models import Event
from app.mail.models import OutboxMessage
from tests import factories

URL = "/api/v1/events"


def url(event_id: int | None = None, suffix: str = "") -> str:
    return URL if event_id is None else f"{URL}/{event_id}{suffix}"


def delegate_url(event_id: int, delegate_id: int | None = None, suffix: str = "") -> str:
    base = f"{URL}/{event_id}/delegates"
    return base if delegate_id is None else f"{base}/{delegate_id}{suffix}"


def mail_to(session: Session, recipient: str) -> list[OutboxMessage]:
    return list(session.exec(
        select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        .order_by(col(OutboxMessage.id)).execution_options(populate_existing=True)
    ).all())


def all_mail(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).execution_options(populate_existing=True)).all())


def new_event(**overrides: Any) -> dict[str, Any]:
    """A valid body for POST /events: a workshop a month ahead."""
    starts = utcnow().replace(microsecond=0) + timedelta(days=30)
    body: dict[str, Any] = {
        "kind": "workshop", "title": "Zukunftswerkstatt Hamm",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=7)).isoformat(),
        "registration_closes_at": (starts - timedelta(days=7)).isoformat(),
        "venue": "Hamm", "state": "DE-NW", "capacity": 40, "topics": [2, 4],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def delegate_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Erika Muster", "function": "Bündniskoordinatorin",
                            "email": "Erika.Muster@Example.ORG", "phone": "+49 2381 123456",
                            "dietary_needs": "vegetarisch"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def reloaded(session: Session, model: Any, row_id: int) -> Any:
    session.expire_all()
    return session.get(model, row_id)


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
