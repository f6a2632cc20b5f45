"""Helpers of the events tests (fixtures stay in conftest.py)."""

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import User
from app.core.db import utcnow
from app.events.models import Event, EventDelegate, EventInvitation, EventTopic
from app.mail.models import OutboxMessage

URL = "/api/v1/events"


def url(event_id: int | None = None, suffix: str = "") -> str:
    return URL if event_id is None else f"{URL}/{event_id}{suffix}"


def delegate_url(event_id: int, delegate_id: int | None = None, suffix: str = "") -> str:
    base = f"{URL}/{event_id}/delegates"
    return base if delegate_id is None else f"{base}/{delegate_id}{suffix}"


def new_event(**overrides: Any) -> dict[str, Any]:
    """A valid body for POST /events: a workshop a month ahead."""
    starts = utcnow().replace(microsecond=0) + timedelta(days=30)
    body: dict[str, Any] = {
        "kind": "workshop",
        "title": "Zukunftswerkstatt Hamm",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=7)).isoformat(),
        "registration_closes_at": (starts - timedelta(days=7)).isoformat(),
        "venue": "Hamm",
        "state": "DE-NW",
        "capacity": 40,
        "topics": [2, 4],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def delegate_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Erika Muster",
        "function": "Bündniskoordinatorin",
        "email": "Erika.Muster@Example.ORG",
        "phone": "+49 2381 123456",
        "dietary_needs": "vegetarisch",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def reloaded(session: Session, model: Any, row_id: int) -> Any:
    session.expire_all()
    return session.get(model, row_id)


def remove_committed_event(engine: Engine, event: Event, user: User, alliance: Alliance) -> None:
    """Delete an event that a race test committed for real, with everything its requests wrote
    (the audit trail stays: it is append-only, and the run's database is dropped at the end)."""
    with engine.begin() as connection:
        recipients = select(EventDelegate.email).where(EventDelegate.event_id == event.id)
        connection.execute(delete(OutboxMessage).where(col(OutboxMessage.recipient).in_(recipients)))
        for model in (EventDelegate, EventInvitation, EventTopic):
            connection.execute(delete(model).where(col(model.event_id) == event.id))
        connection.execute(delete(Event).where(col(Event.id) == event.id))
        connection.execute(delete(User).where(col(User.id) == user.id))
        connection.execute(delete(Alliance).where(col(Alliance.id) == alliance.id))
