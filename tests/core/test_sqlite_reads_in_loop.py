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


@pytest.fixture(autouse=True)
def _loop_reads_not_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock seen by an earlier test pauses the loop's reads for a second: not here."""
    monkeypatch.setattr(core_db, "_loop_reads_resume_at", 0.0)


def _loop_read_waits() -> float:
    return REGISTRY.get_sample_value("buendnis_db_loop_read_waits_total") or 0.0


def _reads(client: TestClient, path: str, headers: dict[str, str]) -> set[tuple[str, bool]]:
    """Where the read pools' statements ran while ``path`` answered: (pool, in a worker
    thread)."""
    seen: set[tuple[str, bool]] = set()
    engines = {name: engine for name, engine in core_db.pools().items() if name != "request"}
    recorders = {}
    for name, engine in engines.items():
        def record(*_args: Any, pool: str = name) -> None:
            seen.add((pool, threading.current_thread().name.startswith("buendnis-db-")))

        recorders[name] = record
        event.listen(engine, "before_cursor_execute", record)
    try:
        reply = client.get(path, headers=headers)
        assert reply.status_code == 200, reply.text
    finally:
        for name, engine in engines.items():
            event.remove(engine, "before_cursor_execute", recorders[name])
    assert seen, f"{path} read nothing on the read pools"
    return seen


@pytest.mark.parametrize(("in_loop_setting", "uvloop"), [(True, False), (False, False),
                                                          (True, True)])
def test_reads_run_in_the_event_loop_only_on_a_sqlite_file(database_url, monkeypatch,
                                                           in_loop_setting, uvloop):
    """Only on the standard library's event loop: uvloop served requests whose handler never
    waits out of turn (p99 ×6 at 50 connections), so under it the reads hop, and there they
    wait for a lock as long as any read in a worker thread (the ``read`` pool)."""
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
            seen = _reads(client, path, headers) | _reads(client, PUBLIC_READ, {})
        assert seen == ({("read_loop", False)} if in_loop else {("read", True)}), seen


@pytest.mark.parametrize("query", ["include_total=true", "q=Bündnis"])
def test_a_count_or_a_search_runs_in_a_worker_thread(database_url, monkeypatch, query):
    """A total count, or a text search, reads more rows as the data grows: such a list must not
    hold the event loop, so it hops even on a SQLite file; the plain page stays in the loop."""
    from app.main import app

    in_loop = dbsetup.lane() == "sqlite"
    with app_on_own_database(monkeypatch):
        with core_db.new_session() as session:
            admin = factories.user_headers(factories.make_user(session, factories.Role.admin))
            factories.make_alliance(session)
        with TestClient(app) as client:
            plain = _reads(client, "/api/v1/alliances?limit=5", admin)
            counted = _reads(client, f"/api/v1/alliances?limit=5&{query}", admin)
            public = _reads(client, f"/api/v1/public/alliances?limit=5&{query}", {})
            if "total" in query:
                for path in ("/api/v1/public/seals", "/api/v1/public/events"):
                    assert _reads(client, f"{path}?include_total=true", {}) == {("read", True)}
    assert plain == ({("read_loop", False)} if in_loop else {("read", True)})
    # The admin's own check is a single-row read: it stays in the loop.
    assert counted == ({("read_loop", False), ("read", True)} if in_loop else {("read", True)})
    assert public == {("read", True)}


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


def _during_the_lock(app: Any, uvloop: bool = False) -> tuple[httpx.Response, float,
                                                              httpx.Response, float,
                                                              httpx.Response]:
    """A read sent while the file is locked, 0.15 s later /healthz (no database) and another
    read on the same event loop: the first read's and /healthz's replies and how long each
    took, and the second read's reply."""

    async def both() -> tuple[httpx.Response, float, httpx.Response, float, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async def timed(path: str) -> tuple[httpx.Response, float]:
                started = time.monotonic()
                reply = await client.get(path)
                return reply, time.monotonic() - started

            read = asyncio.create_task(timed(PUBLIC_READ))
            await asyncio.sleep(0.15)
            health, health_seconds = await timed("/healthz")
            second = asyncio.create_task(timed(PUBLIC_READ))
            reply, read_seconds = await read
            return reply, read_seconds, health, health_seconds, (await second)[0]

    if uvloop:
        import uvloop as uv

        with asyncio.Runner(loop_factory=uv.new_event_loop) as runner:
            return runner.run(both())
    return asyncio.run(both())


@pytest.mark.parametrize("uvloop", [False, True])
def test_a_read_that_finds_the_file_locked_waits_in_a_worker_thread(database_url, monkeypatch,
                                                                    caplog, uvloop):
    """In the loop, a read that finds the file locked waits in a worker thread, and the next
    reads go there straight away (counted and logged once); under uvloop every read waits
    there anyway, the full busy timeout."""
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
            reply, read_seconds, health, health_seconds, second = _during_the_lock(app, uvloop)
        assert reply.status_code == 200, reply.text
        assert reply.json() == unlocked.json()
        assert second.status_code == 200, second.text
        assert read_seconds >= 0.5, "the read answered before the lock was released"
        # The loop kept serving while the read waited: it waited in a worker thread.
        assert health.status_code == 200
        assert health_seconds < 0.4, f"/healthz took {health_seconds:.2f} s during the wait"
        assert _loop_read_waits() == waits_before + (0 if uvloop else 1)
        assert caplog.text.count("a read found the SQLite file locked") == (0 if uvloop else 1)


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
                elapsed = time.monotonic() - started
                # Each waited the busy timeout in a worker thread (the second went straight
                # there), not just the loop's 50 ms; and neither waited for the lock to go.
                assert 0.55 <= elapsed < 1.8, elapsed
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
        assert busy_timeout_and_query_only(pools["read_loop"]) == (core_db.LOOP_READ_BUSY_MS, 1)
        assert busy_timeout_and_query_only(pools["read"]) == (full, 1)
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
