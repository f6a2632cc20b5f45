"""The worker's scheduled jobs: a small registry of (name, interval, function(session)).

Another domain adds a job in one line, e.g. ``register("reminders", 3600, reminders.send_due)``
in its own module imported by ``app.worker.builtin``. A job function takes a session, does its
work in its own transactions and returns a short report (logged). Long jobs call
``stop_requested()`` between items, so SIGTERM finishes the current item and stops.
Several workers may run at once: every job must be safe for that (row claims with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, idempotent updates)."""

import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from sqlmodel import Session

JobFn = Callable[[Session], object]


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: float
    fn: JobFn


_registry: dict[str, Job] = {}
_stop: ContextVar[threading.Event | None] = ContextVar("worker_stop", default=None)


def register(name: str, interval_seconds: float | Callable[[], float], fn: JobFn) -> None:
    """Add (or replace) a job; ``interval_seconds`` may be a callable read at start-up."""
    interval = interval_seconds() if callable(interval_seconds) else interval_seconds
    _registry[name] = Job(name, float(interval), fn)


def registered() -> list[Job]:
    return list(_registry.values())


def bind_stop(event: threading.Event) -> None:
    """The running worker loop's stop signal (one per loop, so loops in threads stay apart)."""
    _stop.set(event)


def stop_requested() -> bool:
    event = _stop.get()
    return event is not None and event.is_set()
