"""The database slots behind ``Db.run`` (app/core/db.run_in_db_thread): a unit runs in a worker
thread with the caller's context, its exception reaches the caller, the wait for a busy slot is
bounded, and a unit that has started is waited for even when the caller is cancelled (its
session must not be closed under it)."""

import asyncio
import contextvars
import threading
import time

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.core import db as core_db
from tests.utils.settings import reload_settings

request_label: contextvars.ContextVar[str] = contextvars.ContextVar("request_label", default="-")


@pytest.fixture
def one_slot(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BUENDNIS_DB_CONCURRENCY", "1")
    monkeypatch.setenv("BUENDNIS_DB_QUEUE_TIMEOUT_SECONDS", "0.3")
    reload_settings()
    yield
    monkeypatch.undo()
    reload_settings()


def test_a_unit_runs_in_a_worker_thread_with_the_callers_context(one_slot) -> None:
    async def main() -> tuple[str, str]:
        request_label.set("req-42")
        return await core_db.run_in_db_thread(
            lambda: (threading.current_thread().name, request_label.get()))

    thread_name, label = asyncio.run(main())
    assert thread_name.startswith("buendnis-db-1")
    assert thread_name != threading.current_thread().name
    assert label == "req-42"


def test_the_units_exception_reaches_the_caller(one_slot) -> None:
    def failing() -> None:
        raise LookupError("no such alliance")

    async def main() -> None:
        await core_db.run_in_db_thread(failing)

    with pytest.raises(LookupError, match="no such alliance"):
        asyncio.run(main())


def test_a_unit_waiting_longer_than_the_queue_timeout_fails_and_never_runs(one_slot) -> None:
    release = threading.Event()
    ran: list[str] = []

    async def main() -> BaseException | str:
        holder = asyncio.ensure_future(core_db.run_in_db_thread(lambda: release.wait(5)))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        try:
            outcome: BaseException | str = await core_db.run_in_db_thread(
                lambda: ran.append("queued") or "ran")
        except PoolTimeoutError as exc:
            outcome = exc
        waited = time.monotonic() - started
        release.set()
        await holder
        assert 0.2 < waited < 2, waited
        return outcome

    outcome = asyncio.run(main())
    assert isinstance(outcome, PoolTimeoutError)
    assert ran == []


def test_a_cancelled_caller_waits_for_its_running_unit(one_slot) -> None:
    finished = threading.Event()
    states: list[str] = []

    def slow_unit() -> None:
        time.sleep(0.3)
        finished.set()

    async def main() -> None:
        task = asyncio.ensure_future(core_db.run_in_db_thread(slow_unit))
        await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            states.append("cancelled, unit finished" if finished.is_set() else "cancelled early")

    asyncio.run(main())
    assert states == ["cancelled, unit finished"]


def test_a_cancelled_caller_whose_unit_has_not_started_leaves_at_once(one_slot) -> None:
    release = threading.Event()
    ran: list[str] = []

    async def main() -> float:
        holder = asyncio.ensure_future(core_db.run_in_db_thread(lambda: release.wait(5)))
        await asyncio.sleep(0.05)
        queued = asyncio.ensure_future(core_db.run_in_db_thread(lambda: ran.append("queued")))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        left_after = time.monotonic() - started
        release.set()
        await holder
        return left_after

    assert asyncio.run(main()) < 0.1
    time.sleep(0.05)
    assert ran == []
