"""Each thread keeps one connection for its reads (app/core/thread_connection.py) instead of
taking one from the pool for each: the event loop's thread for the reads of a SQLite file that
run in the loop, the database worker thread for the reads that hop (PostgreSQL). The connection
is reused across requests, and given back when a read on it fails, when its pool is renewed,
when a read anywhere found its connection dead, when its thread ends and when the app shuts
down. These tests use the app's real engines on a database of their own, with one database
worker thread, so that the counts are the same on both lanes."""

import asyncio
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from app.core import db as core_db
from app.core.thread_connection import (
    held_connections,
    read_on_held_connection,
    release,
    release_all,
    renew_all,
)
from tests import dbsetup, factories
from tests.utils.own_database import (
    app_on_own_database,
    drop_pooled_read_connections,
    read_retries,
)


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


def _one(connection: Connection) -> int:
    return int(connection.execute(text("SELECT 1")).scalar_one())


@pytest.fixture
def signed_in(database_url: str,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, str], int]]:
    """An admin's headers and an alliance, committed to a database of the test's own."""
    monkeypatch.setenv("BUENDNIS_DB_CONCURRENCY", "1")
    with app_on_own_database(monkeypatch):
        with core_db.new_session() as session:
            alliance = factories.make_alliance(session)
            headers = factories.user_headers(factories.make_user(session, factories.Role.admin))
            made = headers, alliance.id
        yield made


def test_a_thread_reads_every_request_on_one_connection(signed_in):
    from app.main import app

    headers, alliance_id = signed_in
    with TestClient(app) as client:
        engine = _read_engine()
        with pool_use(engine) as use:
            for _ in range(5):
                reply = client.get(f"/api/v1/alliances/{alliance_id}", headers=headers)
                assert reply.status_code == 200, reply.text
        # Taken once, at the first read, and kept: the pool counts it as checked out. Ten reads
        # (the caller's check and the alliance, five times) ran on it.
        assert use["checkouts"] == 1 and len(use["connections"]) == 1, use
        assert use["statements"] >= 10
        assert held_connections(engine) == 1 and _checked_out(engine) == 1
    # The app's shutdown gives it back.
    assert held_connections(engine) == 0 and _checked_out(engine) == 0


def test_a_read_that_answers_404_keeps_the_connection(signed_in):
    """A unit that raises for the caller (the alliance is not there) leaves the connection as
    it was: the result it read is freed with the exception."""
    from app.main import app

    headers, alliance_id = signed_in
    with TestClient(app) as client:
        engine = _read_engine()
        with pool_use(engine) as use:
            assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
            # The caller's check passes; reading the alliance raises (404) inside the unit.
            missing = client.get("/api/v1/alliances/999999", headers=headers)
            assert missing.status_code == 404, missing.text
            assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
        assert use["checkouts"] == 1 and len(use["connections"]) == 1, use


def test_a_read_that_fails_in_the_database_gives_the_connection_back(signed_in):
    """A lock, a cut connection, a broken statement: the connection goes back to the pool, and
    the thread's next read takes another."""
    engine = core_db.get_read_engine()

    def broken(connection: Connection) -> None:
        connection.execute(text("SELECT * FROM no_such_table"))

    try:
        with pool_use(engine) as use:
            assert read_on_held_connection(engine, _one) == 1
            with pytest.raises(DBAPIError):
                read_on_held_connection(engine, broken)
            assert held_connections(engine) == 0 and _checked_out(engine) == 0
            assert read_on_held_connection(engine, _one) == 1
        assert use["checkouts"] == 2, use
    finally:
        release()


def test_a_disposed_pool_is_not_read_from_again(signed_in):
    """``engine.dispose()`` (a test's outage, an operator's reset) renews the pool; the
    connection a thread keeps from the old pool is not used again."""
    from app.main import app

    headers, alliance_id = signed_in
    with TestClient(app) as client:
        engine = _read_engine()
        assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
        engine.dispose()
        with pool_use(engine) as use:
            assert client.get(f"/api/v1/alliances/{alliance_id}", headers=headers).status_code == 200
        assert use["checkouts"] == 1, use
        assert held_connections(engine) == 1


def test_a_thread_that_ends_gives_its_connection_back(signed_in):
    engine = core_db.get_read_engine()
    results: list[int] = []

    def work() -> None:
        results.append(read_on_held_connection(engine, _one))
        results.append(held_connections(engine))

    collecting = gc.isenabled()
    gc.disable()  # at once, not at the collector's next full run
    try:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert results == [1, 1]
        assert held_connections(engine) == 0 and _checked_out(engine) == 0
    finally:
        if collecting:
            gc.enable()


def test_after_renew_all_every_thread_takes_a_new_connection(signed_in):
    """A read that found its connection dead renews them all (``_retry_or_raise``): the others
    were most likely cut at the same moment."""
    engine = core_db.get_read_engine()
    try:
        with pool_use(engine) as use:
            read_on_held_connection(engine, _one)
            read_on_held_connection(engine, _one)
            renew_all()
            read_on_held_connection(engine, _one)
        assert use["checkouts"] == 2, use
        assert held_connections(engine) == 1 and _checked_out(engine) == 1
    finally:
        release()
    assert _checked_out(engine) == 0


def test_release_all_leaves_a_connection_that_is_being_read_on(signed_in):
    """The shutdown closes what the threads keep, but not under a read that is running; that
    thread replaces its connection at its next read."""
    engine = core_db.get_read_engine()
    reading, may_finish = threading.Event(), threading.Event()
    outcome: list[Any] = []

    def slow_read(connection: Connection) -> int:
        reading.set()
        assert may_finish.wait(10)
        return _one(connection)

    def work() -> None:
        outcome.append(read_on_held_connection(engine, slow_read))
        with pool_use(engine) as use:
            outcome.append(read_on_held_connection(engine, _one))
        outcome.append(use["checkouts"])
        release()

    thread = threading.Thread(target=work)
    thread.start()
    try:
        assert reading.wait(10)
        release_all()
        assert held_connections(engine) == 1  # not closed under the read
    finally:
        may_finish.set()
        thread.join()
    # The read finished on its connection; the next one took a new connection.
    assert outcome == [1, 1, 1]
    assert held_connections(engine) == 0 and _checked_out(engine) == 0


def test_a_small_pool_still_serves_every_worker_thread(database_url, monkeypatch):
    """``BUENDNIS_DB_POOL_SIZE=1`` with four worker threads: each thread keeps a read
    connection, so the read pool is sized to the threads (``_read_pool_size``); concurrent
    reads on every thread all answer, none waits for a connection another thread keeps."""
    monkeypatch.setenv("BUENDNIS_DB_CONCURRENCY", "4")
    monkeypatch.setenv("BUENDNIS_DB_POOL_SIZE", "1")
    monkeypatch.setenv("BUENDNIS_DB_POOL_TIMEOUT_SECONDS", "1")
    with app_on_own_database(monkeypatch):
        engine = core_db.get_read_engine()
        assert isinstance(engine.pool, QueuePool) and engine.pool.size() >= 4
        all_reading = threading.Barrier(4, timeout=10)

        def together(connection: Connection) -> int:
            all_reading.wait()  # four reads at once, one per worker thread
            return _one(connection)

        async def four_reads() -> list[int]:
            return list(await asyncio.gather(
                *(core_db.Db().read_in_thread(together) for _ in range(4))))

        assert asyncio.run(four_reads()) == [1, 1, 1, 1]
        assert asyncio.run(four_reads()) == [1, 1, 1, 1]  # on the connections they kept
        assert held_connections(engine) == 4


def test_a_thread_that_reads_another_engine_gives_a_healthy_connection_back(signed_in):
    """Only a connection whose own engine replaced its pool is closed for good; one left behind
    because the thread now reads another engine goes back to its pool, ready for reuse."""
    first = core_db.get_read_engine()
    second = core_db.make_engine(core_db.get_settings().database_url, read_only=True)
    try:
        assert isinstance(first.pool, QueuePool)
        idle_before = first.pool.checkedin()
        read_on_held_connection(first, _one)
        read_on_held_connection(second, _one)  # gives ``first``'s connection back
        assert first.pool.checkedin() == idle_before + 1 and _checked_out(first) == 0
        with pool_use(first) as use:
            read_on_held_connection(first, _one)
        assert use["checkouts"] == 1
    finally:
        release()
        second.dispose()


def test_a_read_inside_a_read_on_one_thread_is_refused(signed_in):
    """The outer read's result may still be open on the connection: a nested read would share
    it, so it is refused instead of waiting on the thread's own lock for ever."""
    engine = core_db.get_read_engine()

    def nested(connection: Connection) -> int:
        return read_on_held_connection(engine, _one)

    try:
        with pytest.raises(RuntimeError, match="inside a read unit"):
            read_on_held_connection(engine, nested)
        assert read_on_held_connection(engine, _one) == 1  # the thread reads on afterwards
    finally:
        release()


def test_after_a_dead_connection_the_other_threads_renew_theirs(database_url, monkeypatch):
    """Four worker threads keep a connection each; all four die at once (a database restart).
    The first read finds its connection dead and runs again (counted once); every later read,
    whatever thread it lands on, takes a new connection instead of finding a dead one too."""
    monkeypatch.setenv("BUENDNIS_DB_CONCURRENCY", "4")
    with app_on_own_database(monkeypatch) as url:
        engine = core_db.get_read_engine()
        made: list[Any] = []
        event.listen(engine, "connect", lambda dbapi_connection, _record: made.append(dbapi_connection))
        all_reading = threading.Barrier(4, timeout=10)

        def together(connection: Connection) -> int:
            all_reading.wait()
            return _one(connection)

        async def reads(fn: Any, n: int, *, at_once: bool) -> list[int]:
            if at_once:
                return list(await asyncio.gather(
                    *(core_db.Db().read_in_thread(fn) for _ in range(n))))
            return [await core_db.Db().read_in_thread(fn) for _ in range(n)]

        assert asyncio.run(reads(together, 4, at_once=True)) == [1] * 4
        assert held_connections(engine) == 4
        retries_before = read_retries()
        drop_pooled_read_connections(url, made)
        assert asyncio.run(reads(_one, 8, at_once=False)) == [1] * 8
        assert read_retries() == retries_before + 1


def test_a_kept_connection_that_died_idle_is_dropped_without_an_error(signed_in):
    """A thread's connection dies while it is not reading (SQLite's closed under it,
    PostgreSQL's cut): giving it back fails in the driver. ``release_all`` (the app's
    shutdown, a test's teardown) and the thread's own next read go on all the same, and the
    pool counts it no more."""
    engine = core_db.get_read_engine()
    killed: list[Any] = []

    def read_and_note(connection: Connection) -> None:
        _one(connection)  # a statement: the connection is inside its (autocommit) transaction
        killed.append(connection.connection.dbapi_connection)

    def keep_and_kill() -> None:
        read_on_held_connection(engine, read_and_note)

    thread_done = threading.Event()

    def worker() -> None:
        keep_and_kill()
        thread_done.set()
        assert finish.wait(10)

    finish = threading.Event()
    other = threading.Thread(target=worker)
    other.start()
    try:
        assert thread_done.wait(10)
        keep_and_kill()  # this thread's too
        for dbapi_connection in killed:
            dbapi_connection.close()
        release_all()  # the other thread's: must not raise
        # This thread's is replaced (one that went back to the pool dead, as PostgreSQL's can,
        # is found so and read on once more, as ``Db.read`` does).
        assert core_db._read_held(engine, _one) == 1
        release()
    finally:
        finish.set()
        other.join()
    assert held_connections(engine) == 0 and _checked_out(engine) == 0
