"""Fixtures for the auth tests: people who can sign in, and ways to reach the database rows."""

from collections.abc import Callable

import pytest
from sqlmodel import Session

from app.alliances.models import Alliance
from app.auth.models import Role, User
from tests import factories


@pytest.fixture
def person(session: Session, alliance: Alliance) -> User:
    """An alliance user with the factory password, able to sign in with the password grant."""
    return factories.make_user(session, Role.alliance_user, alliance)


@pytest.fixture
def make_person(session: Session, alliance: Alliance) -> Callable[..., User]:
    def build(**overrides: object) -> User:
        return factories.make_user(session, Role.alliance_user, alliance, **overrides)

    return build

