"""Factories that build rows directly through the test's session (no shared state)."""

import itertools
from typing import Any

from sqlmodel import Session

from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.auth.models import ApiClient, ApiClientAlliance, Role, User
from app.core import security

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
# Hashing once keeps argon2 (deliberately slow) out of every test.
PASSWORD_HASH = security.hash_password(PASSWORD)


def make_alliance(session: Session, **overrides: Any) -> Alliance:
    n = next(_seq)
    contacts = overrides.pop("contacts", None)
    partners = overrides.pop("partners", None)
    fields: dict[str, Any] = {
        "name": f"Lokales Bündnis für Familie Teststadt {n}",
        "slug": f"teststadt-{n}-{security.new_opaque_token('x')[-6:].lower()}",
        "state": "DE-BY",
        "level": "city",
        "municipality": f"Teststadt {n}",
        "listed_in_finder": True,
    }
    fields.update(overrides)
    alliance = Alliance(**fields)
    alliance.partners = [AlliancePartner(**p) for p in (partners or [
        {"name": "Stadtverwaltung", "sector": "municipality"},
        {"name": "Caritas", "sector": "welfare"},
    ])]
    alliance.contacts = [AllianceContact(**c) for c in (contacts if contacts is not None else [
        {"name": f"Kontakt Person {n}", "function": "Koordination",
         "email": f"kontakt{n}@example.org", "phone": "+49 911 123456"},
    ])]
    session.add(alliance)
    session.commit()
    return alliance


def make_user(
    session: Session, role: Role = Role.alliance_user, alliance: Alliance | None = None,
    **overrides: Any,
) -> User:
    n = next(_seq)
    user = User(
        email=overrides.pop("email", f"user{n}@example.org"),
        full_name=overrides.pop("full_name", f"Test Person {n}"),
        role=role,
        alliance_id=alliance.id if alliance else None,
        password_hash=overrides.pop("password_hash", PASSWORD_HASH),
        **overrides,
    )
    session.add(user)
    session.commit()
    return user


def make_client(
    session: Session, scopes: tuple[str, ...] = ("alliances:read", "surveys:write"),
    alliances: list[Alliance] | None = None, secret: str = "client-secret-for-tests",
) -> ApiClient:
    n = next(_seq)
    client = ApiClient(
        client_id=f"bcl_test_{n}", name=f"Partnersystem {n}",
        secret_hash=security.hash_token(secret), scopes=" ".join(scopes),
        restricted_to_alliances=alliances is not None,
    )
    session.add(client)
    session.flush()
    assert client.id is not None
    for alliance in alliances or []:
        assert alliance.id is not None
        session.add(ApiClientAlliance(client_pk=client.id, alliance_id=alliance.id))
    session.commit()
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_headers(user: User) -> dict[str, str]:
    assert user.id is not None
    token, _ = security.create_access_token("user", user.id)
    return bearer(token)


def client_headers(client: ApiClient, scopes: tuple[str, ...] | None = None) -> dict[str, str]:
    assert client.id is not None
    token, _ = security.create_access_token(
        "client", client.id, scopes=scopes if scopes is not None else tuple(client.scopes.split())
    )
    return bearer(token)
