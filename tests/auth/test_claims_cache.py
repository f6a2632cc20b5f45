"""The cache of verified access-token claims (app/core/security.py) saves only the signature
check: logout, revocation, deactivation, expiry and a new secret still end a token on its next
request, and the cache stays bounded."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.auth.models import AuthSession, Role
from app.core import security
from app.core.db import utcnow
from tests import factories
from tests.auth.helpers import (
    ME_URL,
    assert_unauthorized,
    bearer,
    claims_for,
    forge,
    login,
    new_auth_session,
)
from tests.utils.settings import reload_settings


@pytest.fixture(autouse=True)
def _empty_cache():
    security.clear_claims_cache()
    yield
    security.clear_claims_cache()


def _cached(token: str) -> bool:
    return token in security._claims_cache


def test_a_cached_token_is_refused_once_its_session_is_revoked(client, session, person):
    token = login(client, person.email)["access_token"]
    assert client.get(ME_URL, headers=bearer(token)).status_code == 200
    assert _cached(token)

    session.exec(update(AuthSession).where(AuthSession.user_id == person.id)  # type: ignore[arg-type]
                 .values(revoked_at=utcnow(), revoked_reason="admin"))
    session.flush()

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_a_cached_token_is_refused_once_the_account_is_deactivated(client, session, person):
    token = login(client, person.email)["access_token"]
    assert client.get(ME_URL, headers=bearer(token)).status_code == 200
    assert _cached(token)

    person.is_active = False
    session.add(person)
    session.flush()

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_a_session_of_another_user_does_not_carry_a_token(client, session, person, alliance):
    other = factories.make_user(session, Role.alliance_user, alliance)
    other_session = AuthSession(user_id=other.id)
    session.add(other_session)
    session.flush()
    assert person.id is not None and other_session.id is not None
    token, _ = security.create_access_token("user", person.id, session_id=other_session.id)

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))
    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))  # and again, from the cache


def test_a_cached_token_expires_with_its_exp(client, session, person):
    assert person.id is not None
    token, _ = security.create_access_token(
        "user", person.id, session_id=new_auth_session(session, person), lifetime=timedelta(seconds=1)
    )
    assert client.get(ME_URL, headers=bearer(token)).status_code == 200
    assert _cached(token)

    time.sleep(2.1)  # exp has whole seconds

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))
    assert not _cached(token)


def test_a_new_secret_ends_cached_tokens(client, session, person, monkeypatch):
    assert person.id is not None
    token, _ = security.create_access_token("user", person.id, session_id=new_auth_session(session, person))
    assert client.get(ME_URL, headers=bearer(token)).status_code == 200

    monkeypatch.setenv("BUENDNIS_JWT_SECRET", "another-secret-" + "x" * 40)
    reload_settings()
    try:
        assert_unauthorized(client.get(ME_URL, headers=bearer(token)))
    finally:
        monkeypatch.undo()
        reload_settings()
    assert client.get(ME_URL, headers=bearer(token)).status_code == 200


def test_a_forged_twin_of_a_cached_token_is_refused(client, session, person):
    claims = claims_for(f"user:{person.id}", sid=new_auth_session(session, person))
    genuine = forge(claims)
    assert client.get(ME_URL, headers=bearer(genuine)).status_code == 200

    forged = forge(claims, key="not-the-secret-" + "y" * 40)

    assert_unauthorized(client.get(ME_URL, headers=bearer(forged)))
    assert not _cached(forged)


def test_the_cache_is_bounded_and_drops_the_least_recently_used(client, session, monkeypatch):
    monkeypatch.setattr(security, "CLAIMS_CACHE_SIZE", 3)
    user = factories.make_user(session, Role.admin)
    assert user.id is not None
    sid = new_auth_session(session, user)
    tokens = [security.create_access_token("user", user.id, session_id=sid)[0] for _ in range(5)]
    for token in tokens:
        assert client.get(ME_URL, headers=bearer(token)).status_code == 200

    assert len(security._claims_cache) == 3
    assert [t for t in tokens if _cached(t)] == tokens[2:]
    # every token still works: a dropped one is verified again
    assert client.get(ME_URL, headers=bearer(tokens[0])).status_code == 200


def test_an_unknown_account_is_refused(client, session):
    user = factories.make_user(session, Role.admin)
    assert user.id is not None
    token, _ = security.create_access_token("user", user.id + 10_000, session_id=new_auth_session(session, user))

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))


def test_me_shows_the_account_as_it_is_now_not_as_cached(client, session, person):
    """/me answers from the principal, which is read from the database on every request."""
    token = login(client, person.email)["access_token"]
    assert client.get(ME_URL, headers=bearer(token)).json()["name"] == person.full_name

    person.full_name = "Umbenannte Person"
    person.email = "umbenannt@example.org"
    session.add(person)
    session.flush()

    me = client.get(ME_URL, headers=bearer(token)).json()
    assert (me["name"], me["email"], me["role"]) == (
        "Umbenannte Person", "umbenannt@example.org", "alliance_user")


def test_a_user_token_without_a_session_is_refused(client, session, person):
    """The server names the session in every user token it issues; a token without one could
    outlive logout and a password change, so it is refused even with a valid signature."""
    assert person.id is not None
    token, _ = security.create_access_token("user", person.id)

    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))
    assert_unauthorized(client.get(ME_URL, headers=bearer(token)))  # and again, from the cache
