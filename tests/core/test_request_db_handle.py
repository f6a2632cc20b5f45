"""The request's database handle (``get_db``) has nothing to clean up when the request ends,
because every unit of work ends its own transaction: after any request, whatever its outcome,
no connection is left checked out of the pool, and a unit whose commit fails still gives its
connection back. These tests use the real handle and engine, not the test transaction."""

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from app.core import db as core_db
from app.core import security
from app.core.db import Db, new_session
from app.core.thread_connection import held_connections
from tests import factories
from tests.utils.own_database import app_on_own_database


def _token_of_nobody() -> str:
    """A well-signed token of an account that does not exist: checked in a read unit."""
    return security.create_access_token("user", 2**31 - 1, session_id=1,
                                        lifetime=timedelta(minutes=5))[0]


@pytest.fixture
def real_app(database_url: str) -> Iterator[FastAPI]:
    from app.main import app

    assert not app.dependency_overrides
    core_db.get_engine.cache_clear()
    yield app
    core_db.get_engine.cache_clear()


def _checked_out() -> int:
    """Connections out of the request pool and the read pools (``Db.read``), but for those the
    threads keep for their reads (app/core/thread_connection.py)."""
    return sum(_queue_pool(engine).checkedout() - held_connections(engine)
               for engine in core_db.pools().values())


def _read_connections_pooled() -> int:
    """Connections back in the read pools (``read``; on a SQLite file also ``read_loop``)."""
    return sum(_queue_pool(engine).checkedin() for name, engine in core_db.pools().items()
               if name != "request")


def _queue_pool(engine: Engine) -> QueuePool:
    """File databases and PostgreSQL pool with a QueuePool, the pool that counts its use."""
    assert isinstance(engine.pool, QueuePool), type(engine.pool)
    return engine.pool


@pytest.mark.parametrize(("url", "headers", "status"), [
    ("/api/v1/public/seals?limit=5", {}, 200),
    ("/api/v1/public/seals?limit=5&include_total=true", {}, 200),
    ("/api/v1/public/seals/verify/NO-SUCH-CODE", {"accept": "application/json"}, 404),
    ("/api/v1/public/seals?cycle=1999-00", {}, 422),
    ("/api/v1/alliances/1", {"authorization": "Bearer not-a-token"}, 401),
    ("/api/v1/alliances/1", {"authorization": "Bearer bpat_unknown"}, 401),
    ("/api/v1/alliances/1", {"authorization": "Bearer NOBODY"}, 401),
])
def test_no_connection_is_held_after_a_request(real_app, url, headers, status):
    if headers.get("authorization") == "Bearer NOBODY":
        headers = {"authorization": f"Bearer {_token_of_nobody()}"}
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


def test_a_read_unit_reads_cannot_write_and_gives_its_connection_back(database_url: str):
    core_db.get_engine.cache_clear()
    engine = core_db.get_engine()
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE read_unit_probe (x INTEGER)"))
    try:
        db = Db(new_session())
        assert asyncio.run(db.read(lambda c, n: int(c.execute(text(f"SELECT {n}")).scalar_one()),
                                   7)) == 7
        assert asyncio.run(db.read(
            lambda c: int(c.execute(text("SELECT count(*) FROM read_unit_probe")).scalar_one()))) == 0
        assert _checked_out() == 0
        # The database itself refuses: SQLite's query_only, PostgreSQL's read-only transactions.
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
            asyncio.run(db.read(
                lambda c: c.execute(text("INSERT INTO read_unit_probe (x) VALUES (1)"))))
        assert _checked_out() == 0

        def failing(connection: Connection) -> None:
            connection.execute(text("SELECT 1"))
            raise LookupError("after a read")

        with pytest.raises(LookupError):
            asyncio.run(db.read(failing))
        assert _checked_out() == 0
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM read_unit_probe")).scalar_one() == 0
        # The request engine still writes.
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO read_unit_probe (x) VALUES (2)"))
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE read_unit_probe"))
        core_db.get_engine.cache_clear()


# SQLAlchemy warns that it will change the pool class it picks for a shared in-memory URI.
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SADeprecationWarning")
@pytest.mark.parametrize(("url", "separate"), [
    ("sqlite://", False), ("sqlite:///:memory:", False),
    ("sqlite:///file:shared?mode=memory&cache=shared&uri=true", False),
    ("sqlite:///file::memory:?uri=true", False),
    ("sqlite:////tmp/buendnis-read-engine.db", True),
])
def test_an_in_memory_sqlite_database_reads_through_the_request_engine(monkeypatch, url, separate):
    from tests.utils.settings import reload_settings

    monkeypatch.setenv("BUENDNIS_DATABASE_URL", url)
    reload_settings()
    core_db.get_engine.cache_clear()
    try:
        assert (core_db.get_read_engine() is not core_db.get_engine()) is separate
        # A SQLite file's reads run in the event loop on ``read_loop``, the rest on ``read``.
        assert set(core_db.pools()) == ({"request", "read", "read_loop"} if separate
                                        else {"request"})
        monkeypatch.setenv("BUENDNIS_DB_SQLITE_READS_IN_LOOP", "false")
        reload_settings()
        assert set(core_db.pools()) == ({"request", "read"} if separate else {"request"})
    finally:
        for engine in core_db.pools().values():
            engine.dispose()
        monkeypatch.undo()
        reload_settings()
        core_db.get_engine.cache_clear()


def test_a_signed_in_read_runs_on_the_read_only_pool(database_url, monkeypatch):
    """The caller's check and GET one alliance on the real engines, in a database of this
    test's own (its rows are committed, unlike the other tests' transactions)."""
    from app.main import app

    with app_on_own_database(monkeypatch):
        with new_session() as session:
            alliance = factories.make_alliance(session)
            user = factories.make_user(session, alliance=alliance)
            headers = factories.user_headers(user)
            ids = {"alliance": alliance.id, "user": user.id}
        with TestClient(app) as client:
            assert client.get("/api/v1/me", headers=headers).json()["id"] == ids["user"]
            own = client.get(f"/api/v1/alliances/{ids['alliance']}", headers=headers)
            assert own.status_code == 200 and own.json()["contacts"] is not None
        assert core_db.get_read_engine() is not core_db.get_engine()
        assert _read_connections_pooled() >= 1
        assert _checked_out() == 0


def test_every_route_that_reads_on_the_read_only_pool_answers_there(database_url, monkeypatch):
    """The comparison tests of the Core reads (tests/*/test_*_reads.py) run on the test's joined
    connection; here each such route answers on the real read-only pool, in autocommit on
    PostgreSQL, in a database of this test's own, and leaves no connection checked out."""
    from app.auth.models import Role
    from app.main import app

    with app_on_own_database(monkeypatch):
        with new_session() as session:
            alliance = factories.make_alliance(session)
            member = factories.user_headers(factories.make_user(session, alliance=alliance))
            admin = factories.user_headers(factories.make_user(session, Role.admin))
            cycle = factories.make_cycle(session)
            factories.make_response(session, cycle, alliance)
            factories.make_evaluation_run(session, cycle, [(alliance, True)])
            event_id = factories.make_event(session, invited=[alliance], is_public=True).id
            base = f"/api/v1/cycles/{cycle.slug}"
            reads = [
                (member, f"/api/v1/alliances/{alliance.id}", alliance.name),
                (admin, "/api/v1/alliances?limit=5&include_total=true", alliance.name),
                ({}, "/api/v1/public/alliances?limit=5", '"items":'),
                (admin, f"{base}/responses/{alliance.id}", alliance.name),
                (member, f"{base}/responses/mine", alliance.name),
                (admin, f"{base}/evaluations", alliance.name),
                (member, f"{base}/evaluations/mine", alliance.name),
                (member, f"{base}/evaluations/{alliance.id}", alliance.name),
                (member, "/api/v1/events", f'"id":{event_id}'),
                (member, f"/api/v1/events/{event_id}", f'"id":{event_id}'),
                ({}, "/api/v1/public/events", f'"id":{event_id}'),
                ({}, "/api/v1/public/seals", '"items":'),
            ]
        with TestClient(app) as client:
            for headers, path, expected in reads:
                reply = client.get(path, headers=headers)
                assert reply.status_code == 200, (path, reply.text)
                assert expected in reply.text, (path, reply.text)
        assert _read_connections_pooled() >= 1
        assert _checked_out() == 0


def test_reads_on_the_read_only_pool_run_without_a_transaction(database_url, monkeypatch):
    """Each read statement runs on its own, as PostgreSQL's READ COMMITTED would run it inside
    a transaction anyway: no BEGIN before a read unit and no ROLLBACK after it (two statements
    fewer per request on SQLite), so no read holds a snapshot past its statement."""
    from sqlalchemy import event

    from app.main import app
    from tests import dbsetup

    with app_on_own_database(monkeypatch):
        with new_session() as session:
            alliance = factories.make_alliance(session)
            headers = factories.user_headers(factories.make_user(session, alliance=alliance))
        # ``read`` and, on a SQLite file, the event loop's ``read_loop``.
        engines = [engine for name, engine in core_db.pools().items() if name != "request"]
        traced: list[str] = []
        autocommit: list[bool] = []

        def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            if dbsetup.lane() == "sqlite":
                dbapi_connection.set_trace_callback(traced.append)
            else:
                autocommit.append(dbapi_connection.autocommit)

        for engine in engines:
            event.listen(engine, "checkout", on_checkout)
        try:
            with TestClient(app) as client:
                for path in (f"/api/v1/alliances/{alliance.id}", "/api/v1/me",
                             "/api/v1/public/alliances?limit=5&include_total=true"):
                    assert client.get(path, headers=headers).status_code == 200, path
        finally:
            for engine in engines:  # the pools go with the database
                event.remove(engine, "checkout", on_checkout)
    if dbsetup.lane() == "sqlite":
        verbs = {statement.split()[0].upper() for statement in traced}
        assert "SELECT" in verbs, traced
        assert verbs == {"SELECT"}, traced
    else:
        assert autocommit and all(autocommit), autocommit


def test_a_request_that_only_reads_makes_no_orm_session(database_url, monkeypatch):
    """``Db`` makes the request's ORM session on first use: a GET served by ``Db.read`` alone
    never needs one; a write still gets its session, and acts."""
    from app.main import app

    made: list[Session] = []
    make_session = core_db.new_session

    def counted_session() -> Session:
        made.append(make_session())
        return made[-1]

    with app_on_own_database(monkeypatch):
        with new_session() as session:
            alliance = factories.make_alliance(session)
            headers = factories.user_headers(factories.make_user(session, alliance=alliance))
        monkeypatch.setattr(core_db, "new_session", counted_session)
        with TestClient(app) as client:
            for path in ("/api/v1/me", f"/api/v1/alliances/{alliance.id}"):
                assert client.get(path, headers=headers).status_code == 200, path
            assert made == []
            assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
            assert len(made) == 1
            assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert _checked_out() == 0
