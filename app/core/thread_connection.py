"""The read connection each thread keeps for ``Db.read``: the event loop's thread for the reads
of a SQLite file that run in the loop, each database worker thread for the reads that hop.

Taking a connection from the pool and giving it back cost about as much CPU as the statements
of a small read: ~10 % of a signed-in GET of one alliance, which makes two read units
(docs/PERFORMANCE.md, "Each thread's own read connection"). A thread runs its read units one
after another, so one connection serves them all. It stays checked out of its pool (the pool's
metrics count it) until

* a unit on it fails in the database (``SQLAlchemyError``: a lock, a cut connection): it goes
  back to the pool and the thread's next read takes another. A unit that raises for the
  caller (404, 401) keeps it: the result it was reading is freed with the exception;
* the engine's pool is renewed (``engine.dispose()``) or a read anywhere found its connection
  dead (``renew_all``: the others were probably cut at the same moment, as the pool itself
  assumes when it recycles every older connection);
* the thread ends (its locals are dropped, and a finalizer closes the connection at once: left
  to SQLAlchemy's own, it would wait for the next full collection, as the connection and its
  transaction marker refer to each other);
* the app shuts down (``release_all``).

Only the read-only pools use this: their connections run in autocommit and refuse writes, so
nothing a unit does outlives it but the open connection.
"""

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import Pool

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("buendnis.db")


class _Held:
    """One thread's connection. ``lock`` is held while a unit reads on it, so that
    ``release_all`` (another thread) never closes it under a read."""

    __slots__ = ("__weakref__", "connection", "engine", "finalizer", "generation", "lock", "pool")

    def __init__(self, engine: Engine, pool: Pool, connection: Connection,
                 generation: int) -> None:
        self.engine = engine
        self.pool = pool
        self.connection: Connection | None = connection
        self.generation = generation
        self.lock = threading.Lock()
        self.finalizer = weakref.finalize(self, connection.close)
        self.finalizer.atexit = False  # at exit the process's connections close with it

    def close(self, *, invalidate: bool = False) -> None:
        """Back to the pool; ``invalidate``: closed for good (its pool was replaced). Never
        raises: a connection that died while kept (SQLite's closed under it, PostgreSQL's cut)
        can fail to go back (its reset asks the dead driver connection), and the callers, the
        app's shutdown among them, must go on; such a one is dropped instead."""
        self.finalizer.detach()
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            if invalidate:
                connection.invalidate()
            connection.close()
        except Exception as error:
            logger.info("a kept read connection could not go back to its pool (%s); dropped",
                        type(error).__name__)
            with contextlib.suppress(Exception):
                connection.invalidate()
            with contextlib.suppress(Exception):
                connection.close()


class _ThreadSlot(threading.local):
    held: _Held | None = None
    reading = False


_slot = _ThreadSlot()
_all_held: "weakref.WeakSet[_Held]" = weakref.WeakSet()
_registry_lock = threading.Lock()
_generation = 0


def _held_for(engine: Engine) -> _Held:
    held = _slot.held
    if held is not None:
        connection = held.connection
        if (connection is not None and not connection.closed and not connection.invalidated
                and held.pool is engine.pool and held.generation == _generation):
            return held
        # Closed for good if its own engine replaced its pool, or if a dead connection renewed
        # them all (it is most likely dead too: back in the pool, the next thread would find
        # it so); a thread that now reads another engine (tests: another database) gives a
        # healthy one back.
        release(invalidate=held.pool is not held.engine.pool or held.generation != _generation)
    pool, generation = engine.pool, _generation  # before connecting: what this one belongs to
    held = _slot.held = _Held(engine, pool, engine.connect(), generation)
    with _registry_lock:
        _all_held.add(held)
    return held


def read_on_held_connection(engine: Engine, fn: Callable[Concatenate[Connection, P], T],
                            *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(connection, *args)`` on this thread's connection of ``engine``. Not inside another
    such read on the same thread: that one's result may still be open on the connection."""
    if _slot.reading:
        raise RuntimeError("a read unit inside a read unit on one thread")
    _slot.reading = True
    try:
        while True:
            held = _held_for(engine)
            with held.lock:
                connection = held.connection
                if connection is not None:
                    try:
                        return fn(connection, *args, **kwargs)
                    except Exception as error:
                        if isinstance(error, SQLAlchemyError):
                            _forget(held, error)
                        raise
                    except BaseException:
                        _forget(held, None)
                        raise
            # ``release_all`` closed it between the check and the lock: the next turn takes
            # another.
    finally:
        _slot.reading = False


def _forget(held: _Held, error: SQLAlchemyError | None) -> None:
    """Gives back the connection a unit failed on (the thread holds ``held.lock``). Found dead:
    the other threads' were likely cut at the same moment, so they renew theirs, once for
    all the threads that find theirs dead at the same time (not once per thread)."""
    _slot.held = None
    held.close()
    if isinstance(error, DBAPIError) and error.connection_invalidated and held.generation == _generation:
        renew_all()


def release(*, invalidate: bool = False) -> None:
    """Gives this thread's connection back to its pool (``invalidate``: closes it for good)."""
    held, _slot.held = _slot.held, None
    if held is not None:
        with held.lock:
            held.close(invalidate=invalidate)


def renew_all() -> None:
    """Every thread takes a new connection at its next read (a read found its connection dead)."""
    global _generation
    with _registry_lock:
        _generation += 1


def release_all() -> None:
    """Gives every thread's connection back (the app's shutdown). One that is being read on
    right now is left to its thread, which replaces it at its next read."""
    renew_all()
    with _registry_lock:
        holders = list(_all_held)
    for held in holders:
        if held.lock.acquire(blocking=False):
            try:
                held.close()
            finally:
                held.lock.release()


def held_connections(engine: Engine) -> int:
    """How many threads keep a connection of ``engine`` (for the pool's leak checks)."""
    with _registry_lock:
        holders = list(_all_held)
    return sum(1 for held in holders if held.connection is not None and held.pool is engine.pool)
