"""The event loop's thread keeps one connection for its reads of a SQLite file
(app/core/loop_connection.py) instead of taking one from the pool for each read: it is reused
across requests, given back when a read on it fails, when its thread ends and when the app shuts
down. On PostgreSQL every read still takes a pooled connection in a worker thread. These tests
use the app's real engines on a database of their own."""

import asyncio
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.pool import QueuePool

from app.core import db as core_db
from app.core.loop_connection import held_connections
from tests import dbsetup, factories
from tests.utils.own_database import app_on_own_database


@pytest.fixture(autouse=True)
def _loop_reads_not_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core_db, "_loop_reads_resume_at", 0.0)


def _read_engine() -> Engine:
    """The pool the app's reads use on this lane: the loop's on a SQLite file."""
    return core_db.pools()["read_loop" if dbsetup.lane() == "sqlite" else "read"]


@contextmanager
def pool_use(engine: Engine) -> Iterator[dict[str, Any]]:
    """Counts the pool's checkouts and the DBAPI connections its statements ran on."""
    seen: dict[str, Any] = {"checkouts": 0, "connections": set(), "statements": 0}

    def checkout(*_args: Any) -> None:
        seen["checkouts"] += 1

    def statement(conn: Connection, *_args: Any) -> None:
        seen["statements"] += 1
        seen["connections"].add(id(conn.connection.dbapi_connection))

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "before_cursor_execute", statement)


def _checked_out(engine: Engine) -> int:
    assert isinstance(engine.pool, QueuePool)
    return engine.pool.checkedout()


@pytest.fixture
def signed_in(database_url: str,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, str], int]]:
    """An admin's headers and an alliance, committed to a database of the test's own."""
    with app_on_own_database(monkeypatch):
        with core_db.new_session() as session:
            alliance = factories.make_alliance(session)
            headers = factories.user_headers(factories.make_user(session, factories.Role.admin))
            made = headers, alliance.id
        yield made


def test_the_loop_reads_every_request_on_one_connection(signed_in):
    from app.main import app

    headers, alliance_id = signed_in
    with TestClient(app) as client:
        engine = _read_engine()
        with pool_use(engine) as use:
            for _ in range(5):
                reply = client.get(f"/api/v1/alliances/{alliance_id}", headers=headers)
                assert reply.status_code == 200, reply.text
        if dbsetup.lane() == "sqlite":
            # Taken once, for the first read, and kept: the pool counts it as checked out.
            assert use["checkouts"] == 1 and len(use["connections"]) == 1, use
            assert held_connections(engine) == 1 and _checked_out(engine) == 1
        else:
            # The caller's check and the alliance, each on a pooled connection, given back.
            assert use["checkouts"] == 10, use
            assert held_connections(engine) == 0 and _checked_out(engine) == 0
        assert use["statements"] >= 10
    # The app's shutdown gives it back.
    assert held_connections(engine) == 0 and _checked_out(engine) == 0


def test_a_read_that_fails_gives_the_connection_back(signed_in):
    """A unit that raised may have left a statement open: its connection goes back to the
    pool, and the next read takes another."""
    from app.main import app

    headers, alliance_id = signed_in
    with TestClient(app) as client:
        engine = _read_engine()
        with pool_use(engine) as use:
            assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
            # The caller's check passes; reading the alliance raises (404) inside the unit.
            missing = client.get("/api/v1/alliances/999999", headers=headers)
            assert missing.status_code == 404, missing.text
            if dbsetup.lane() == "sqlite":
                assert held_connections(engine) == 0 and _checked_out(engine) == 0
            assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
        assert use["checkouts"] == (2 if dbsetup.lane() == "sqlite" else 6), use


def test_a_thread_that_ends_gives_its_connection_back(signed_in):
    """A loop on another thread (a test client's, a second server thread) reads on a connection
    of its own, which goes back to the pool when the thread ends."""
    engine_before = _read_engine()
    results: list[int] = []

    def one_read(connection: Connection) -> int:
        return int(connection.execute(text("SELECT 1")).scalar_one())

    def serve() -> None:
        async def read() -> None:
            results.append(await core_db.Db().read(one_read))
            results.append(held_connections(_read_engine()))
        asyncio.run(read())

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join()
    gc.collect()
    assert results == [1, 1 if dbsetup.lane() == "sqlite" else 0]
    assert _read_engine() is engine_before
    assert held_connections(engine_before) == 0 and _checked_out(engine_before) == 0


def test_a_disposed_pool_is_not_read_from_again(signed_in):
    """``engine.dispose()`` (a test's outage, an operator's reset) renews the pool; the loop's
    connection of the old pool is not used again."""
    from app.main import app

    headers, alliance_id = signed_in
    with TestClient(app) as client:
        engine = _read_engine()
        assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
        engine.dispose()
        with pool_use(engine) as use:
            assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
        assert use["checkouts"] == (1 if dbsetup.lane() == "sqlite" else 2), use
        assert held_connections(engine) == (1 if dbsetup.lane() == "sqlite" else 0)
