"""On a SQLite file the hottest reads (``Db.read``) run in the event loop, not in a worker
thread (the hop cost more CPU than the read); on PostgreSQL, and with
BUENDNIS_DB_SQLITE_READS_IN_LOOP=false, they hop. A read that finds the file locked must not
stall the loop: it gives up there after ``LOOP_READ_BUSY_MS`` and waits in a worker thread,
counted and logged. These tests use the app's real engines on a database of their own."""

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from app.core import db as core_db
from app.core.metrics import REGISTRY
from app.core.security import create_access_token
from tests import dbsetup, factories
from tests.utils.own_database import app_on_own_database
from tests.utils.problems import assert_problem
from tests.utils.settings import reload_settings

PUBLIC_READ = "/api/v1/public/alliances?limit=5"  # a ``Db.read`` and nothing else


def _loop_read_waits() -> float:
    return REGISTRY.get_sample_value("buendnis_db_loop_read_waits_total") or 0.0


def _threads_of_reads(client: TestClient, path: str, headers: dict[str, str]) -> set[str]:
    """The names of the threads the read pool's statements ran on while ``path`` answered."""
    names: set[str] = set()

    def record(*_args: Any) -> None:
        names.add(threading.current_thread().name)

    engine = core_db.get_read_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        reply = client.get(path, headers=headers)
        assert reply.status_code == 200, reply.text
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert names, f"{path} read nothing on the read pool"
    return names


@pytest.mark.parametrize(("in_loop_setting", "uvloop"), [(True, False), (False, False),
                                                          (True, True)])
def test_reads_run_in_the_event_loop_only_on_a_sqlite_file(database_url, monkeypatch,
                                                           in_loop_setting, uvloop):
    """Only on the standard library's event loop: uvloop served requests whose handler never
    waits out of turn (p99 ×6 at 50 connections), so under it the reads hop."""
    from app.main import app

    monkeypatch.setenv("BUENDNIS_DB_SQLITE_READS_IN_LOOP", str(in_loop_setting).lower())
    in_loop = in_loop_setting and dbsetup.lane() == "sqlite" and not uvloop
    with app_on_own_database(monkeypatch):
        with core_db.new_session() as session:
            alliance = factories.make_alliance(session)
            headers = factories.user_headers(factories.make_user(session, alliance=alliance))
            path = f"/api/v1/alliances/{alliance.id}"
        with TestClient(app, backend_options={"use_uvloop": uvloop}) as client:
            # The caller's check and the alliance: both reads, both where the setting says.
            threads = _threads_of_reads(client, path, headers) | _threads_of_reads(
                client, PUBLIC_READ, {})
        hopped = {name for name in threads if name.startswith("buendnis-db-")}
        assert hopped == (set() if in_loop else threads), threads


@pytest.mark.parametrize(("url", "in_loop_setting", "loop"), [
    ("sqlite:///./buendnis.db", True, "asyncio"),
    ("sqlite:///./buendnis.db", False, "auto"),
    ("sqlite://", True, "auto"),  # in memory: its reads keep to the worker threads
    ("postgresql+psycopg://buendnis@db/buendnis", True, "auto"),
])
def test_buendnis_serve_asks_for_the_standard_loop_where_reads_run_in_it(
        monkeypatch, url, in_loop_setting, loop):
    import uvicorn

    from app import cli

    monkeypatch.setenv("BUENDNIS_DATABASE_URL", url)
    monkeypatch.setenv("BUENDNIS_DB_SQLITE_READS_IN_LOOP", str(in_loop_setting).lower())
    reload_settings()
    served: dict[str, Any] = {}

    def run(target: str, **options: Any) -> None:
        served.update(options, target=target)

    monkeypatch.setattr(uvicorn, "run", run)
    try:
        assert cli.main(["serve", "--port", "8123"]) == 0
    finally:
        monkeypatch.undo()
        reload_settings()
    assert served["loop"] == loop
    assert (served["target"], served["port"]) == ("app.main:app", 8123)


@contextmanager
def file_locked_by_another_program(database_url: str, seconds: float) -> Iterator[None]:
    """Another program holds the SQLite file exclusively for ``seconds`` (``locking_mode=
    EXCLUSIVE``: even WAL readers wait). It can take that lock only once the app's pooled
    connections are closed, as they would be after a quiet spell or a restart."""
    for engine in core_db.pools().values():
        engine.dispose()
    holder = sqlite3.connect(make_url(database_url).database or "", isolation_level=None,
                             check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("COMMIT")  # the exclusive lock stays until the connection closes
    release = threading.Timer(seconds, holder.close)
    release.start()
    try:
        yield
    finally:
        release.join()


def _during_the_lock(app: Any) -> tuple[httpx.Response, float, httpx.Response, float]:
    """A read sent while the file is locked and, 0.15 s later, /healthz (no database) on the
    same event loop: both replies and how long each took."""

    async def both() -> tuple[httpx.Response, float, httpx.Response, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async def timed(path: str) -> tuple[httpx.Response, float]:
                started = time.monotonic()
                reply = await client.get(path)
                return reply, time.monotonic() - started

            read = asyncio.create_task(timed(PUBLIC_READ))
            await asyncio.sleep(0.15)
            health, health_seconds = await timed("/healthz")
            reply, read_seconds = await read
            return reply, read_seconds, health, health_seconds

    return asyncio.run(both())


def test_a_read_that_finds_the_file_locked_waits_in_a_worker_thread(database_url, monkeypatch,
                                                                    caplog):
    from app.main import app

    if dbsetup.lane() != "sqlite":
        pytest.skip("only a SQLite file can be locked by another program")
    with app_on_own_database(monkeypatch) as url:
        with core_db.new_session() as session:
            factories.make_alliance(session)
        with TestClient(app) as client:
            unlocked = client.get(PUBLIC_READ)
            assert unlocked.status_code == 200
        waits_before = _loop_read_waits()
        with file_locked_by_another_program(url, seconds=0.8):
            reply, read_seconds, health, health_seconds = _during_the_lock(app)
        assert reply.status_code == 200, reply.text
        assert reply.json() == unlocked.json()
        assert read_seconds >= 0.5, "the read answered before the lock was released"
        # The loop kept serving while the read waited: it waited in a worker thread.
        assert health.status_code == 200
        assert health_seconds < 0.4, f"/healthz took {health_seconds:.2f} s during the wait"
        assert _loop_read_waits() == waits_before + 1
        assert "a read found the SQLite file locked" in caplog.text


def test_a_file_locked_for_longer_than_the_busy_timeout_gives_503(database_url, monkeypatch):
    """In the worker thread the read waits BUENDNIS_DB_STATEMENT_TIMEOUT_MS (here 300 ms), not
    for ever, and the caller gets the usual 503; once the lock is gone, reads answer again.
    A signed-in request is refused the same way (its caller's check is a read too)."""
    from app.main import app

    if dbsetup.lane() != "sqlite":
        pytest.skip("only a SQLite file can be locked by another program")
    monkeypatch.setenv("BUENDNIS_DB_STATEMENT_TIMEOUT_MS", "300")
    with app_on_own_database(monkeypatch) as url:
        with core_db.new_session() as session:
            alliance = factories.make_alliance(session)
            user = factories.make_user(session, alliance=alliance)
            headers = factories.user_headers(user)
        with TestClient(app) as client:
            with file_locked_by_another_program(url, seconds=2.0):
                started = time.monotonic()
                assert_problem(client.get(PUBLIC_READ), 503, "database_unavailable")
                assert_problem(client.get(f"/api/v1/alliances/{alliance.id}", headers=headers),
                               503, "database_unavailable")
                assert time.monotonic() - started < 1.8
            assert client.get(PUBLIC_READ).status_code == 200
            assert client.get(f"/api/v1/alliances/{alliance.id}", headers=headers).status_code == 200


def test_the_loop_read_pool_waits_briefly_and_the_thread_pool_fully(database_url, monkeypatch):
    """What the two SQLite read pools tell the driver: the event loop's connections wait
    ``LOOP_READ_BUSY_MS`` for a lock, the worker threads' the statement timeout. Both refuse
    writes. With the setting off, the one read pool waits fully."""
    if dbsetup.lane() != "sqlite":
        pytest.skip("PostgreSQL's reads always hop; its read pool has no busy timeout")

    def busy_timeout_and_query_only(engine: Any) -> tuple[int, int]:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            return (driver.execute("PRAGMA busy_timeout").fetchone()[0],
                    driver.execute("PRAGMA query_only").fetchone()[0])

    with app_on_own_database(monkeypatch):
        full = core_db.get_settings().db_statement_timeout_ms
        pools = core_db.pools()
        assert busy_timeout_and_query_only(pools["read"]) == (core_db.LOOP_READ_BUSY_MS, 1)
        assert busy_timeout_and_query_only(pools["read_locked"]) == (full, 1)
        monkeypatch.setenv("BUENDNIS_DB_SQLITE_READS_IN_LOOP", "false")
        reload_settings()
        assert busy_timeout_and_query_only(core_db.get_read_engine()) == (full, 1)


def test_a_token_check_in_the_loop_still_refuses_an_ended_session(database_url, monkeypatch):
    """The caller's check moved into the loop with the other reads; it still reads the account
    and session as committed: a logout acts on the next request."""
    from app.main import app

    with app_on_own_database(monkeypatch):
        with core_db.new_session() as session:
            alliance = factories.make_alliance(session)
            user = factories.make_user(session, alliance=alliance)
            headers = factories.user_headers(user)
            assert user.id is not None
            user_id = user.id
        with TestClient(app) as client:
            assert client.get("/api/v1/me", headers=headers).status_code == 200
            assert client.post("/api/v1/auth/logout", headers=headers).status_code in (200, 204)
            assert_problem(client.get("/api/v1/me", headers=headers), 401)
            stray = create_access_token("user", user_id, session_id=2**31 - 1)[0]
            assert_problem(client.get("/api/v1/me", headers={"authorization": f"Bearer {stray}"}),
                           401)
