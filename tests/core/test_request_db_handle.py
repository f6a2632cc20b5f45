"""The request's database handle (``get_db``) has nothing to clean up when the request ends,
because every unit of work ends its own transaction: after any request, whatever its outcome,
no connection is left checked out of the pool, and a unit whose commit fails still gives its
connection back. These tests use the real handle and engine, not the test transaction."""

import asyncio
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core import db as core_db
from app.core.db import Db, new_session


@pytest.fixture
def real_app(database_url: str) -> Iterator[FastAPI]:
    from app.main import app

    assert not app.dependency_overrides
    core_db.get_engine.cache_clear()
    yield app
    core_db.get_engine.cache_clear()


def _checked_out() -> int:
    pool = core_db.get_engine().pool
    return pool.checkedout()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize(("url", "headers", "status"), [
    ("/api/v1/public/seals?limit=5", {}, 200),
    ("/api/v1/public/seals?limit=5&include_total=true", {}, 200),
    ("/api/v1/public/seals/verify/NO-SUCH-CODE", {"accept": "application/json"}, 404),
    ("/api/v1/public/seals?cycle=1999-00", {}, 422),
    ("/api/v1/alliances/1", {"authorization": "Bearer not-a-token"}, 401),
    ("/api/v1/alliances/1", {"authorization": "Bearer bpat_unknown"}, 401),
])
def test_no_connection_is_held_after_a_request(real_app, url, headers, status):
    with TestClient(real_app) as client:
        for _ in range(3):
            response = client.get(url, headers=headers)
            assert response.status_code == status, response.text
            assert _checked_out() == 0


def test_a_unit_whose_commit_fails_gives_its_connection_back(database_url: str,
                                                             monkeypatch: pytest.MonkeyPatch):
    core_db.get_engine.cache_clear()
    session = new_session()

    def read_then_fail_on_commit(unit_session: Session) -> int:
        value = unit_session.connection().execute(text("SELECT 1")).scalar_one()
        monkeypatch.setattr(unit_session, "commit", _failing_commit)
        return int(value)

    with pytest.raises(OperationalError):
        asyncio.run(Db(session).run(read_then_fail_on_commit))
    assert not session.in_transaction()
    assert _checked_out() == 0
    monkeypatch.undo()
    # The handle is still usable for the next unit.
    assert asyncio.run(Db(session).run(
        lambda s: int(s.connection().execute(text("SELECT 2")).scalar_one()))) == 2
    assert _checked_out() == 0
    core_db.get_engine.cache_clear()


def _failing_commit() -> None:
    raise OperationalError("COMMIT", {}, Exception("database is locked"))
