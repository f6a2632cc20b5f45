"""Fixtures for the alliance tests: callers of every kind and a small, varied set of alliances."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.alliances.models import Alliance
from app.auth.models import Role
from tests import factories


@pytest.fixture
def own_user(session: Session, alliance: Alliance) -> dict[str, str]:
    """Headers of an alliance user acting for ``alliance``."""
    return factories.user_headers(factories.make_user(session, Role.alliance_user, alliance))


@pytest.fixture
def unbound_user(session: Session) -> dict[str, str]:
    """An alliance user whose alliance link is missing (e.g. not yet assigned)."""
    return factories.user_headers(factories.make_user(session, Role.alliance_user, None))


@pytest.fixture
def client_without_scope(session: Session) -> dict[str, str]:
    return factories.client_headers(factories.make_client(session, scopes=("surveys:write",)))


@pytest.fixture
def restricted_client(session: Session, alliance: Alliance) -> dict[str, str]:
    """A partner system that may reach only ``alliance``."""
    return factories.client_headers(
        factories.make_client(session, scopes=("alliances:read",), alliances=[alliance]))


@pytest.fixture
def make(session: Session) -> Callable[..., Alliance]:
    def build(**overrides: object) -> Alliance:
        return factories.make_alliance(session, **overrides)

    return build


@pytest.fixture
def varied(make: Callable[..., Alliance]) -> dict[str, Alliance]:
    """Seven alliances across states, levels, statuses, finder listing and NULL municipality."""
    base = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    specs: dict[str, dict[str, Any]] = {
        "fuerth": dict(name="Bündnis für Familie Fürth", municipality="Fürth", state="DE-BY",
                       ags="09563000", level="city"),
        "hamm": dict(name="Hammer Bündnis für Familie", municipality="Hamm", state="DE-NW",
                     ags="05915000", level="city"),
        "landkreis": dict(name="Familienbündnis Landkreis Vorpommern-Greifswald",
                          municipality=None, district="Vorpommern-Greifswald", state="DE-MV",
                          level="district"),
        "magdeburg": dict(name="Lokales Bündnis Magdeburg", municipality="Magdeburg",
                          state="DE-ST", level="city", status="dormant"),
        "berlin": dict(name="Berliner Bündnis Tempelhof", municipality="Berlin", state="DE-BE",
                       level="district", status="dissolved", listed_in_finder=False),
        "dorf": dict(name="Bündnis Kleinstadt", municipality="Oberfürthach", state="DE-BY",
                     level="municipality"),
        "hidden": dict(name="Verstecktes Bündnis", municipality="Irgendwo", state="DE-HE",
                       level="city", listed_in_finder=False),
    }
    return {key: make(created_at=base + timedelta(minutes=i), **spec)
            for i, (key, spec) in enumerate(specs.items())}
