"""The connection an event loop's thread keeps for its reads of a SQLite file (``Db.read``).

Taking a connection from the pool and giving it back cost about as much CPU as the statements
of a small read: ~10 % of a signed-in GET of one alliance, which makes two read units
(docs/PERFORMANCE.md, "The event loop's own read connection"). Reads in the loop run one after
another on its thread and never wait inside a unit, so one connection serves them all. It stays
checked out of its pool (the pool's metrics count it) until the thread ends, the app shuts down
(``release``), the engine or its pool changes (``dispose``), or a read on it fails: a failed
unit may leave a statement open, so its connection goes back to the pool and the next read
takes a fresh one.

Only the read-only pool of the loop reads (``read_loop``) uses this: its connections run in
autocommit and refuse writes, so nothing a unit does outlives it but the open connection.
"""

import threading
import weakref
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.pool import Pool

P = ParamSpec("P")
T = TypeVar("T")


class _Held:
    """One thread's connection. When the thread ends, its locals are dropped and SQLAlchemy's
    finalizer of the connection gives it back to the pool (tests/core/test_loop_connection.py)."""

    __slots__ = ("__weakref__", "connection", "pool")

    def __init__(self, pool: Pool, connection: Connection) -> None:
        self.pool = pool
        self.connection = connection

    def close(self) -> None:
        connection, self.connection = self.connection, None  # type: ignore[assignment]
        if connection is not None:
            connection.close()


class _ThreadSlot(threading.local):
    held: _Held | None = None


_slot = _ThreadSlot()
_all_held: "weakref.WeakSet[_Held]" = weakref.WeakSet()
_all_held_lock = threading.Lock()


def _connection_for(engine: Engine) -> Connection:
    held = _slot.held
    if held is not None:
        connection = held.connection
        # ``engine.dispose()`` gives the engine a new pool: the connections of the old one are
        # no longer to be used, this one included.
        if connection is not None and held.pool is engine.pool and not connection.closed:
            return connection
        release()
    pool = engine.pool  # before connecting: a pool replaced meanwhile is not this one's
    held = _slot.held = _Held(pool, engine.connect())
    with _all_held_lock:
        _all_held.add(held)
    return held.connection


def read_on_held_connection(engine: Engine, fn: Callable[Concatenate[Connection, P], T],
                            *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(connection, *args)`` on this thread's connection of ``engine``."""
    connection = _connection_for(engine)
    try:
        return fn(connection, *args, **kwargs)
    except BaseException:
        release()
        raise


def release() -> None:
    """Gives this thread's connection back to its pool (app shutdown; a failed read)."""
    held, _slot.held = _slot.held, None
    if held is not None:
        held.close()


def held_connections(engine: Engine) -> int:
    """How many threads keep a connection of ``engine`` (for the pool's leak checks)."""
    with _all_held_lock:
        holders = list(_all_held)
    return sum(1 for held in holders if held.connection is not None and held.pool is engine.pool)
