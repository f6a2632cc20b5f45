"""The database goes away mid-traffic: 503 problem+json, /readyz 503, then recovery without a
restart. On PostgreSQL the test really cuts the app's connections and refuses new ones; on
SQLite (a file, nothing to cut) the driver's connect fails instead."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from app.core import db as core_db
from tests import dbsetup, factories
from tests.utils.own_database import (
    app_on_own_database,
    drop_pooled_read_connections,
    read_retries,
)
from tests.utils.problems import assert_problem
from tests.utils.settings import reload_settings


@contextmanager
def database_outage(database_url: str) -> Iterator[None]:
    if dbsetup.lane() == "postgresql":
        name = make_url(database_url).database
        with psycopg.connect(dbsetup.PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            try:
                yield
            finally:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        return
    engines = set(core_db.pools().values())

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("connect", {}, Exception("database unavailable"))

    for engine in engines:
        engine.dispose()
        event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "do_connect", refuse)


@pytest.fixture
def live_client(database_url) -> Iterator[TestClient]:
    """The app with its real engine and sessions (no per-test transaction)."""
    from app.main import app

    core_db.get_engine.cache_clear()
    app.dependency_overrides.clear()
    with TestClient(app) as client:
        yield client
    for engine in core_db.pools().values():
        engine.dispose()
    core_db.get_engine.cache_clear()


def test_outage_gives_503_and_recovers_without_restart(live_client, database_url):
    assert live_client.get("/readyz").status_code == 200
    assert live_client.get("/api/v1/public/alliances").status_code == 200

    with database_outage(database_url):
        for _ in range(3):
            body = assert_problem(live_client.get("/api/v1/public/alliances"), 503, "database_unavailable")
            assert body["request_id"]
            # … and through the read-only pool (``Db.read``), which retries a dead connection once.
            assert_problem(live_client.get("/api/v1/public/seals"), 503, "database_unavailable")
        assert_problem(live_client.get("/readyz"), 503, "database_unavailable")
        assert live_client.get("/healthz").status_code == 200, "the process itself is alive"

    assert live_client.get("/readyz").status_code == 200
    assert live_client.get("/api/v1/public/alliances").status_code == 200
    assert live_client.get("/api/v1/public/seals").status_code == 200


def test_a_read_on_a_connection_that_died_in_the_pool_runs_again(database_url, monkeypatch,
                                                                caplog):
    """The read-only pool hands out connections without pinging them first (a round trip per
    read saved); a read whose pooled connection turns out dead runs once more on a fresh one, so
    the caller sees no error. A signed-in GET makes two such reads: the caller, the alliance.
    Each retry is counted and logged."""
    from app.main import app

    # One database worker thread: the read connection it keeps is the one that dies.
    monkeypatch.setenv("BUENDNIS_DB_CONCURRENCY", "1")
    with committed_database(monkeypatch) as (headers, alliance_id):
        pooled: list[Any] = []
        for name, engine in core_db.pools().items():  # ``read``, and on SQLite ``read_loop``
            if name != "request":
                event.listen(engine, "connect",
                             lambda dbapi_connection, _record: pooled.append(dbapi_connection))
        retries_before = read_retries()
        with TestClient(app) as client:
            first = client.get(f"/api/v1/alliances/{alliance_id}", headers=headers)
            assert first.status_code == 200
            assert read_retries() == retries_before
            drop_pooled_read_connections(core_db.get_settings().database_url, pooled)
            again = client.get(f"/api/v1/alliances/{alliance_id}", headers=headers)
            assert again.status_code == 200, again.text
            assert again.json() == first.json()
            assert read_retries() == retries_before + 1  # the pool was renewed at the first
            assert "a pooled read connection was dead" in caplog.text
            assert client.get("/api/v1/public/seals").status_code == 200


def test_a_read_that_fails_for_another_reason_is_not_retried(database_url, monkeypatch):
    """Only a dead connection is worth a second try: an error in the statement itself is
    raised at once, and the unit runs once."""
    with committed_database(monkeypatch):
        db = core_db.Db(core_db.new_session())
        calls: list[int] = []

        def broken(connection: Connection) -> None:
            calls.append(1)
            connection.execute(text("SELECT no_such_column FROM alliance"))

        with pytest.raises(DBAPIError) as raised:
            anyio.run(db.read, broken)
        assert not raised.value.connection_invalidated
        assert calls == [1]


@contextmanager
def committed_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, str], int]]:
    """The app's real engines on a database of the test's own, with an alliance and its user
    committed: the caller's headers and the alliance's id."""
    with app_on_own_database(monkeypatch):
        with core_db.new_session() as session:
            alliance = factories.make_alliance(session)
            user = factories.make_user(session, alliance=alliance)
            assert alliance.id is not None
            headers = factories.user_headers(user)
        yield headers, alliance.id


def test_many_concurrent_requests_do_not_exhaust_the_pool(database_url, monkeypatch):
    """More requests in flight than pool connections: each request may hold a connection only
    while its database work runs, or the pool runs dry and requests wait for ever."""
    import anyio
    import httpx

    from app.core.db import make_engine
    from app.main import app

    engine = make_engine(database_url, pool_size=2)
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    app.dependency_overrides.clear()

    async def burst() -> list[int]:
        statuses: list[int] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def one() -> None:
                statuses.append((await client.get("/api/v1/public/alliances")).status_code)

            with anyio.fail_after(60):
                async with anyio.create_task_group() as group:
                    for _ in range(40):
                        group.start_soon(one)
        return statuses

    try:
        statuses = anyio.run(burst)
    finally:
        engine.dispose()
    assert statuses == [200] * 40


@contextmanager
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung database server)."""
    import socket
    import threading

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def test_a_database_that_never_answers_gives_503_within_the_settings_timeouts(monkeypatch):
    """Not psycopg's 130 s: /readyz and requests fail within BUENDNIS_DB_CONNECT_TIMEOUT_SECONDS
    (here 1 s) with 503 and Retry-After, on either lane (the hung server speaks no protocol)."""
    import time

    from app.core.db import make_engine
    from app.main import app

    monkeypatch.setenv("BUENDNIS_DB_CONNECT_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("BUENDNIS_DB_POOL_TIMEOUT_SECONDS", "1")
    reload_settings()
    app.dependency_overrides.clear()
    with black_hole() as port:
        url = f"postgresql+psycopg://nobody@127.0.0.1:{port}/none"
        engine, read_engine = make_engine(url), make_engine(url, read_only=True)
        monkeypatch.setattr(core_db, "get_engine", lambda: engine)
        monkeypatch.setattr(core_db, "get_read_engine", lambda: read_engine)
        try:
            with TestClient(app) as client:
                for path in ("/readyz", "/api/v1/public/alliances"):
                    started = time.monotonic()
                    response = client.get(path)
                    elapsed = time.monotonic() - started
                    assert_problem(response, 503, "database_unavailable")
                    assert response.headers["Retry-After"].isdigit()
                    assert elapsed < 4, f"{path} took {elapsed:.1f} s"
        finally:
            engine.dispose()
            read_engine.dispose()
            reload_settings()


def test_requests_queued_behind_a_dead_database_fail_fast_too(monkeypatch):
    """Twelve requests at once against one database slot: the one holding it waits the connect
    timeout; the others do not wait their turn (12 x 1 s) but give up after the queue timeout."""
    import asyncio
    import time

    import httpx

    from app.core.db import make_engine
    from app.main import app

    monkeypatch.setenv("BUENDNIS_DB_CONNECT_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("BUENDNIS_DB_POOL_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("BUENDNIS_DB_QUEUE_TIMEOUT_SECONDS", "1.5")
    monkeypatch.setenv("BUENDNIS_DB_CONCURRENCY", "1")
    reload_settings()
    app.dependency_overrides.clear()

    async def at_once() -> list[tuple[int, float, str | None]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async def one() -> tuple[int, float, str | None]:
                started = time.monotonic()
                response = await client.get("/api/v1/public/alliances")
                return (response.status_code, time.monotonic() - started,
                        response.headers.get("Retry-After"))
            return await asyncio.gather(*(one() for _ in range(12)))

    with black_hole() as port:
        url = f"postgresql+psycopg://nobody@127.0.0.1:{port}/none"
        engine, read_engine = make_engine(url), make_engine(url, read_only=True)
        monkeypatch.setattr(core_db, "get_engine", lambda: engine)
        monkeypatch.setattr(core_db, "get_read_engine", lambda: read_engine)
        try:
            started = time.monotonic()
            results = asyncio.run(at_once())
            total = time.monotonic() - started
        finally:
            engine.dispose()
            read_engine.dispose()
            reload_settings()
    assert {status for status, _, _ in results} == {503}
    assert all(retry_after and retry_after.isdigit() for _, _, retry_after in results)
    assert total < 6, f"12 requests took {total:.1f} s (in turn they would take 12 s and more)"


def test_readyz_reports_version_and_migration_state(live_client):
    from app.health.router import migration_head

    body = live_client.get("/readyz").json()
    assert body["status"] == "ready"
    assert body["version"] and body["version"] != "unknown"
    assert body["migration"] == body["migration_head"] == migration_head() is not None


def test_a_statement_longer_than_the_statement_timeout_is_cancelled(database_url):
    """PostgreSQL: BUENDNIS_DB_STATEMENT_TIMEOUT_MS reaches the server as statement_timeout."""
    from sqlalchemy import text

    from app.core.db import make_engine

    if dbsetup.lane() != "postgresql":
        pytest.skip("SQLite has no statement timeout (the setting bounds its lock wait)")
    engine = make_engine(database_url, null_pool=True, statement_timeout_ms=200)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "200ms"
            with pytest.raises(OperationalError):
                connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        engine.dispose()


def test_a_vanished_database_host_is_noticed_by_tcp_keepalives(database_url, monkeypatch):
    """PostgreSQL: every pool's connections probe an idle socket (``TCP_KEEPALIVES``), so a
    host that vanished without closing them is noticed within about a minute, not after the
    kernel's TCP timeout; each worker thread keeps its read connection, so all would wait."""
    import os
    import socket

    if dbsetup.lane() != "postgresql":
        pytest.skip("SQLite opens a file, not a socket")
    with app_on_own_database(monkeypatch):
        for name, engine in core_db.pools().items():
            with engine.connect() as connection:
                driver = connection.connection.driver_connection
                assert driver is not None
                with socket.socket(fileno=os.dup(driver.pgconn.socket)) as sock:
                    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1, name
                    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30, name
                    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 10, name
                    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3, name


@pytest.mark.parametrize(("pool", "path"), [
    ("get_engine", "/api/v1/public/faq"),  # a unit of work (``Db.run``)
    ("get_read_engine", "/api/v1/public/alliances"),  # a read (``Db.read``)
])
def test_an_exhausted_pool_gives_503_after_the_pool_timeout(database_url, monkeypatch, pool, path):
    """Every connection of the pool a route uses held: a request waits
    BUENDNIS_DB_POOL_TIMEOUT_SECONDS, then 503."""
    import time

    from app.core.db import make_engine
    from app.main import app

    if dbsetup.lane() != "postgresql":
        pytest.skip("the pool timeout is PostgreSQL's (SQLite's file pool waits SQLAlchemy's 30 s)")
    engine = make_engine(database_url, pool_size=1, pool_timeout=1,
                         read_only=pool == "get_read_engine")
    monkeypatch.setattr(core_db, pool, lambda: engine)
    app.dependency_overrides.clear()
    held = [engine.connect(), engine.connect()]  # pool_size 1 + overflow 1
    try:
        with TestClient(app) as client:
            started = time.monotonic()
            response = client.get(path)
            assert_problem(response, 503, "database_unavailable")
            assert response.headers["Retry-After"] == "5"
            assert time.monotonic() - started < 4
    finally:
        for connection in held:
            connection.close()
        engine.dispose()
