"""Helpers of the events tests (fixtures stay in conftest.py)."""

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.core.db import utcnow

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
