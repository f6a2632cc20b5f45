"""Engine, sessions and the column types every domain shares.

Endpoints are ``async def``; ORM work is synchronous and runs in one of a fixed number of
worker threads sized from settings (measured in docs/PERFORMANCE.md). ``Db.run`` (and, for
the hottest reads, ``Db.read`` on a read-only connection, in the event loop itself on a SQLite
file) is the only way a router reaches the database.
"""

import asyncio
import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache, lru_cache, partial
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, DateTime, Engine, Executable, Result, Table, event, inspect
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

from app.core.config import Settings, get_settings
from app.core.metrics import DB_LOOP_READ_WAITS, DB_READ_RETRIES
from app.core.thread_connection import read_on_held_connection, renew_all
from app.core.tracing import instrument_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

P = ParamSpec("P")
T = TypeVar("T")

logger = logging.getLogger("buendnis.db")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@cache
def _column_keys(table_model: type[SQLModel]) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(table_model).column_attrs)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, typed (SQLModel does not declare ``__table__``)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def columns_of(row: SQLModel) -> dict[str, Any]:
    """A table row's column values as a dict (without relationship attributes). The keys are
    worked out once per model: inspecting each row's mapper cost more than reading it."""
    return {key: getattr(row, key) for key in _column_keys(type(row))}


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, *, read_only: bool = False) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs; SQLAlchemy documents this recipe.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    if read_only:
        return  # autocommit: each read statement runs on its own (``make_engine``)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: through exec_driver_sql the BEGIN of every unit of work cost
        # a full statement execution (~15 % of a one-query unit). A deferred BEGIN takes no
        # lock, so it cannot wait or fail on a busy database.
        conn.connection.driver_connection.execute("BEGIN")


TCP_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                  "keepalives_count": 3}


def make_engine(url: str, *, pool_size: int = 10, null_pool: bool = False,
                connect_timeout: int | None = None, statement_timeout_ms: int | None = None,
                pool_timeout: float | None = None, read_only: bool = False) -> Engine:
    """An engine whose every wait is bounded: connecting (``connect_timeout`` seconds), a
    statement (``statement_timeout_ms``, 0 = none; SQLite: how long to wait for a lock) and
    waiting for a pool connection (``pool_timeout``). Unset values come from settings.

    ``read_only``: the database refuses every write on its connections (SQLite ``query_only``,
    PostgreSQL ``default_transaction_read_only``), each statement runs on its own
    (autocommit), without a BEGIN and a ROLLBACK around it, and on PostgreSQL a connection is
    handed out without a ping (``Db.read`` runs a read again when its connection was dead)."""
    settings = get_settings()
    connect_timeout = connect_timeout or settings.db_connect_timeout_seconds
    if statement_timeout_ms is None:
        statement_timeout_ms = settings.db_statement_timeout_ms
    pool_timeout = pool_timeout or settings.db_pool_timeout_seconds
    if url.startswith("sqlite"):
        # SQLite has no statement timeout; the setting bounds the wait for a lock (0: default).
        busy_ms = statement_timeout_ms or settings.db_statement_timeout_ms
        # Sized as PostgreSQL's pools are (``_read_pool_size`` relies on it); the wait for a
        # pool connection stays SQLAlchemy's (a SQLite process has one database slot).
        sizes = ({} if null_pool or _in_memory(url)
                 else {"pool_size": pool_size, "max_overflow": pool_size})
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
            poolclass=NullPool if null_pool else None, **sizes,
            **({"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True}
               if read_only else {}),
        )
        _configure_sqlite(engine, busy_ms, read_only=read_only)
        return engine
    from app.core.pg_cursor import DescribeLaterCursor  # psycopg only where PostgreSQL is used

    options = f"-c statement_timeout={int(statement_timeout_ms)}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    # A database host that vanishes without closing the connection (a crash, a dropped NAT or
    # firewall entry) would leave a read waiting for the kernel's TCP timeout, often a quarter
    # of an hour, on every worker thread at once (each keeps its read connection; the
    # server's statement_timeout cannot fire): TCP keepalives notice it within ~1 minute.
    # Result columns described only when read (app/core/pg_cursor.py).
    connect_args: dict[str, Any] = {"connect_timeout": connect_timeout, "options": options,
                                    "cursor_factory": DescribeLaterCursor, **TCP_KEEPALIVES}
    # No rollback when a read connection goes back to the pool: in autocommit there is nothing
    # to roll back, and a connection the server has cut would only log the failed attempt.
    isolation = ({"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True}
                 if read_only else {})
    if null_pool:
        return create_engine(url, poolclass=NullPool, connect_args=connect_args, **isolation)
    # A read unit is retried on a fresh connection when its pooled one turns out dead
    # (``_read_unit``), so the read pool skips the ping, a round trip per unit; a unit that
    # writes cannot be run twice, so the request pool pings before handing a connection out.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                         pool_pre_ping=not read_only, pool_timeout=pool_timeout,
                         connect_args=connect_args, **isolation)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    instrument_engine(engine)  # a no-op unless tracing is on
    return engine


LOOP_READ_BUSY_MS = 50
"""How long a SQLite read in the event loop waits for a lock before it hands itself to a worker
thread, where it waits the full BUENDNIS_DB_STATEMENT_TIMEOUT_MS without stalling the loop. In
WAL mode readers wait only for a connection holding the file exclusively (a restore, another
program with ``locking_mode=EXCLUSIVE``, recovery after a crash): rare, and never for long
in a loop that serves every request."""


LOOP_READ_PAUSE_SECONDS = 1.0
"""After a read in the event loop found the file locked, reads go straight to the worker
threads for this long: a long lock (a restore) must not stall the loop ``LOOP_READ_BUSY_MS``
on every read, nor log each one."""


@lru_cache
def _read_engine(url: str, pool_size: int, busy_ms: int | None) -> Engine:
    engine = make_engine(url, pool_size=pool_size, read_only=True, statement_timeout_ms=busy_ms)
    instrument_engine(engine)
    return engine


def _reads_in_loop(settings: Settings) -> bool:
    return (settings.db_sqlite_reads_in_loop and settings.is_sqlite
            and not _in_memory(settings.database_url))


def get_read_engine() -> Engine:
    """The engine ``Db.read`` units run on in the worker threads: same database, its own pool
    of connections that refuse writes. Under READ COMMITTED (PostgreSQL's default, and ours)
    each statement sees what was committed before it began, inside a transaction or not, so a
    read unit needs none: without BEGIN and ROLLBACK a GET makes four round trips to the server
    fewer. SQLite reads the same way (a statement sees one snapshot, the next may see a later
    one), saving two statements per unit. An in-memory SQLite database exists only on its own
    connections: there the request engine serves."""
    settings = get_settings()
    if _in_memory(settings.database_url):
        return get_engine()
    return _read_engine(settings.database_url, _read_pool_size(settings), None)


def _loop_read_engine() -> Engine:
    """The read-only pool of the reads that run in the event loop (a SQLite file): its
    connections wait only ``LOOP_READ_BUSY_MS`` for a lock."""
    settings = get_settings()
    return _read_engine(settings.database_url, _read_pool_size(settings), LOOP_READ_BUSY_MS)


def _read_pool_size(settings: Settings) -> int:
    """Every database worker thread keeps a connection of the read pool
    (``app.core.thread_connection``): the pool holds at least one per thread, so that a small
    ``BUENDNIS_DB_POOL_SIZE`` never leaves a thread waiting for a connection the others keep."""
    return max(settings.db_pool_size, settings.effective_db_concurrency)


def pools() -> dict[str, Engine]:
    """The process's engines by pool, for the metrics: ``request`` (units of work), ``read``
    (``Db.read`` in the worker threads) and, where SQLite reads run in the event loop,
    ``read_loop``; one only where all are the same (an in-memory SQLite database)."""
    engines = {"request": get_engine(), "read": get_read_engine()}
    if engines["read"] is engines["request"]:
        del engines["read"]
    elif _reads_in_loop(get_settings()):
        engines["read_loop"] = _loop_read_engine()
    return engines


@cache
def _in_memory(database_url: str) -> bool:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return False
    modes = url.query.get("mode") or ()
    return (":memory:" in (url.database or ":memory:")
            or "memory" in (modes if isinstance(modes, tuple) else (modes,)))


# The database slots: one pool of worker threads per slot count (a process has one size; tests
# change it between runs). A plain ThreadPoolExecutor is the limiter itself: a unit waits in its
# queue until a thread is free. It replaced anyio's to_thread + CapacityLimiter + fail_after,
# which cost ~2x the CPU per hop (docs/PERFORMANCE.md, "Quiet re-run (2026-12-06)", item 5).
_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


def _db_executor() -> ThreadPoolExecutor:
    slots = get_settings().effective_db_concurrency
    executor = _executors.get(slots)
    if executor is None:
        with _executors_lock:
            executor = _executors.get(slots)
            if executor is None:
                executor = _executors[slots] = ThreadPoolExecutor(
                    max_workers=slots, thread_name_prefix=f"buendnis-db-{slots}")
    return executor


def _wake(loop: asyncio.AbstractEventLoop, waiter: "asyncio.Future[None]") -> None:
    def settle() -> None:
        if not waiter.done():
            waiter.set_result(None)
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(settle)


def _settled(job: "Future[Any]", loop: asyncio.AbstractEventLoop) -> "asyncio.Future[None]":
    """A loop future that completes once ``job`` has ended, however it ended."""
    finished: asyncio.Future[None] = loop.create_future()
    job.add_done_callback(lambda _job: _wake(loop, finished))
    return finished


async def _wait_uncancellable(job: "Future[Any]", loop: asyncio.AbstractEventLoop) -> None:
    """Wait for a unit that is already running, whatever cancellations arrive meanwhile: its
    session must not be used by the request again while the thread still uses it."""
    finished = _settled(job, loop)
    while not finished.done():
        try:
            await asyncio.shield(finished)
        except asyncio.CancelledError:
            continue


async def run_in_db_thread(fn: Callable[[], T]) -> T:
    """``fn`` in a worker thread once one of the process's database slots is free, with the
    caller's context variables (request id, trace). The wait for a slot is bounded
    (``BUENDNIS_DB_QUEUE_TIMEOUT_SECONDS``): when the slots hang on a database that never
    answers, the requests queued behind them fail with 503 too instead of waiting their turn
    (40 requests behind 4 slots waited 50 s). A unit that has started is never abandoned."""
    loop = asyncio.get_running_loop()
    job = _db_executor().submit(contextvars.copy_context().run, fn)
    # Cancelling a queued job is a no-op once a thread has picked it up.
    expiry = loop.call_later(get_settings().db_queue_timeout_seconds, job.cancel)
    try:
        await _settled(job, loop)
    except asyncio.CancelledError:
        if not job.cancel():
            await _wait_uncancellable(job, loop)
        raise
    finally:
        expiry.cancel()
    if job.cancelled():
        raise PoolTimeoutError("no database slot within BUENDNIS_DB_QUEUE_TIMEOUT_SECONDS")
    return job.result()


def _end_unit(session: Session) -> None:
    """End the transaction a unit of work left open, so no connection (and no SQLite lock) is
    held while the request awaits something else. Holding one across awaits deadlocks under
    load: requests keep pool connections while the next one waits for a connection inside
    the limiter. Reads are committed (nothing to write, objects stay loaded); changes a unit
    did not commit (pending or only flushed) are discarded, as the one-commit-per-write rule
    implies: a unit never half-saves."""
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted or session.info.get(_FLUSHED):
        session.rollback()
    else:
        session.commit()


_FLUSHED = "buendnis_unit_flushed"


@event.listens_for(OrmSession, "after_flush")
def _mark_flushed(session: OrmSession, _context: Any) -> None:
    session.info[_FLUSHED] = True


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_soft_rollback")
def _clear_flushed(session: OrmSession, *_args: Any) -> None:
    session.info.pop(_FLUSHED, None)


def _unit(session: Session, fn: Callable[Concatenate[Session, P], T],
          *args: P.args, **kwargs: P.kwargs) -> T:
    """One unit of work: however it ends (its commit failing included), its transaction is over
    and its connection back in the pool when it returns."""
    try:
        result = fn(session, *args, **kwargs)
        _end_unit(session)
    except BaseException:
        session.rollback()
        raise
    return result


Reader = Session | Connection
"""What a read-only service function selects rows from (``read_rows``): a request's session
inside ``Db.run``, or a plain connection inside ``Db.read``."""


def _read_source(session: Session) -> Engine | Connection:
    """What ``Db.read`` reads from: the read engine, or the connection a test's session is
    joined to."""
    bind = session.get_bind()
    if isinstance(bind, Connection):
        return bind
    return get_read_engine() if bind is get_engine() else bind


def server_loop() -> str:
    """The event loop ``buendnis serve`` asks uvicorn for: the standard library's where SQLite
    reads run in the loop (see ``_loop_serves_in_turn``), else uvicorn's choice (uvloop where
    it is installed)."""
    return "asyncio" if _reads_in_loop(get_settings()) else "auto"


_uvloop_noted = False


_loop_kinds: dict[type[asyncio.AbstractEventLoop], bool] = {}


def _loop_serves_in_turn() -> bool:
    """Whether the running loop is the standard library's (``asyncio.BaseEventLoop``). Under
    uvloop, requests whose handler never waits were served out of turn: with the reads in the
    loop, the p99 at 50 connections rose from 117 to 674 ms for one alliance and from 197 ms
    to 2.4 s for the event list while throughput doubled; the standard loop served the same
    reads as fast and in turn (p99 89 and 222 ms; docs/PERFORMANCE.md, "SQLite reads in the
    event loop"). On another loop the reads hop to worker threads, as on PostgreSQL."""
    global _uvloop_noted
    kind = type(asyncio.get_running_loop())
    in_turn = _loop_kinds.get(kind)
    if in_turn is None:  # once per loop class: isinstance on every read cost ~1 % of a GET
        in_turn = _loop_kinds[kind] = issubclass(kind, asyncio.BaseEventLoop)
    if in_turn:
        return True
    if not _uvloop_noted:
        _uvloop_noted = True
        logger.info("SQLite reads run in worker threads: the event loop is not the standard "
                    "library's (serve with --loop asyncio, as `buendnis serve` does)")
    return False


_loop_reads_resume_at = 0.0


def _in_event_loop(source: Engine | Connection) -> bool:
    """A read of a SQLite file runs in the event loop (``Db.read``) if that loop serves
    requests in turn and no read found the file locked in the last
    ``LOOP_READ_PAUSE_SECONDS``; an in-memory database's connections belong to one thread
    each, so its reads keep to the worker threads."""
    return (source.dialect.name == "sqlite" and get_settings().db_sqlite_reads_in_loop
            and source is not get_engine() and time.monotonic() >= _loop_reads_resume_at
            and _loop_serves_in_turn())


def _pause_loop_reads(locked: OperationalError) -> None:
    global _loop_reads_resume_at
    _loop_reads_resume_at = time.monotonic() + LOOP_READ_PAUSE_SECONDS
    DB_LOOP_READ_WAITS.inc()
    logger.warning("a read found the SQLite file locked; it waits in a worker thread, and "
                   "reads stay there for %.0f s (%s)", LOOP_READ_PAUSE_SECONDS, locked.orig)


def _locked(error: OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (with their extended codes): the file was locked."""
    code = getattr(error.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (5, 6)


def _read_unit(source: Engine | Connection, fn: Callable[Concatenate[Connection, P], T],
               *args: P.args, **kwargs: P.kwargs) -> T:
    if isinstance(source, Connection):  # a session joined to an outer connection (the tests')
        return fn(source, *args, **kwargs)
    engine = source
    connection = engine.connect()  # a failure to connect is not retried: it would only wait twice
    try:
        with connection:
            return fn(connection, *args, **kwargs)
    except DBAPIError as dead:
        _retry_or_raise(dead)
        with engine.connect() as connection:
            return fn(connection, *args, **kwargs)


def _read_held(engine: Engine, fn: Callable[Concatenate[Connection, P], T],
               *args: P.args, **kwargs: P.kwargs) -> T:
    """``_read_unit`` on the connection the thread keeps for ``engine``, a read-only pool
    (``app.core.thread_connection``)."""
    try:
        return read_on_held_connection(engine, fn, *args, **kwargs)
    except DBAPIError as dead:
        _retry_or_raise(dead, renew=False)  # ``read_on_held_connection`` renewed the others
        return read_on_held_connection(engine, fn, *args, **kwargs)


def _retry_or_raise(dead: DBAPIError, *, renew: bool = True) -> None:
    """Raises ``dead`` unless its connection was dead (the server restarted, or it or a proxy
    closed the idle connection): SQLAlchemy has then dropped it and every connection pooled
    before it, and a read may simply run again. Counted and logged, so that such churn stays
    visible; a second failure carries this one as its context."""
    if not dead.connection_invalidated:
        raise dead
    if renew:
        renew_all()  # the connections other threads keep were likely cut with this one
    DB_READ_RETRIES.inc()
    logger.warning("a pooled read connection was dead (%s); reading once more on a new one",
                   type(dead.orig).__name__)


class Db:
    """A request's database handle: ``await db.run(service.fn, *args)`` calls
    ``service.fn(session, *args)`` in a worker thread, as one unit: the connection goes back to
    the pool when it returns."""

    def __init__(self, session: Session | None = None) -> None:
        self._session = session

    @property
    def session(self) -> Session:
        """The request's ORM session, made on first use: a request that only reads
        (``Db.read``) never needs one, and making it cost ~4 % of a signed-in GET."""
        if self._session is None:
            self._session = new_session()
        return self._session

    async def run(self, fn: Callable[Concatenate[Session, P], T],
                  *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_db_thread(partial(_unit, self.session, fn, *args, **kwargs))

    async def read(self, fn: Callable[Concatenate[Connection, P], T],
                   *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(connection, *args)`` on a plain Core connection of the session's database that
        refuses writes (``get_read_engine``), for the hottest reads, which only select columns
        (``read_rows``) and are bounded (one row, one page). It skips the ORM session's
        transaction bookkeeping, ~40 µs of CPU per unit on SQLite and ~35 µs on PostgreSQL, and
        on PostgreSQL three round trips: the transaction's two and the pool's ping (docs/
        PERFORMANCE.md, "Route matching and the request's database handle" and "The read pool
        without a ping"). ``fn`` may run twice: once more, on a fresh connection, when the
        pooled one turns out dead, so it must not do anything but read. A connection that dies
        in the middle of a long statement is retried too: in the worst case a read waits the
        statement timeout twice and the connect timeout once.

        On a SQLite file (``BUENDNIS_DB_SQLITE_READS_IN_LOOP``, on by default) the read runs
        in the event loop itself: the hop to a worker thread and back cost more CPU than such a
        read (docs/PERFORMANCE.md, "SQLite reads in the event loop"). Readers of a WAL database
        do not wait for writers; should the file be locked all the same, the read gives up
        after ``LOOP_READ_BUSY_MS`` and runs again in a worker thread, where it may wait the
        full busy timeout, and the reads of the next ``LOOP_READ_PAUSE_SECONDS`` go there
        directly. Only on the standard library's event loop (``server_loop``); on PostgreSQL
        every read goes over the network and hops. The thread a read runs on keeps one
        connection for its reads instead of taking one from the pool for each
        (``app.core.thread_connection``)."""
        source = self._read_source()
        if _in_event_loop(source):
            try:
                if source is get_read_engine():
                    return _read_held(_loop_read_engine(), fn, *args, **kwargs)
                return _read_unit(source, fn, *args, **kwargs)
            except OperationalError as locked:
                if not _locked(locked):
                    raise
                _pause_loop_reads(locked)
        return await self.read_in_thread(fn, *args, **kwargs)

    async def read_in_thread(self, fn: Callable[Concatenate[Connection, P], T],
                             *args: P.args, **kwargs: P.kwargs) -> T:
        """``read``, always in a worker thread: for reads whose cost grows with the data (a
        list with its total count, a text search), which must not hold the event loop."""
        source = self._read_source()
        # The read-only pool's connections are kept by the worker threads; an in-memory
        # database's read engine is the request engine (``get_read_engine``): not that one.
        if isinstance(source, Engine) and source is get_read_engine() and source is not get_engine():
            return await run_in_db_thread(partial(_read_held, source, fn, *args, **kwargs))
        return await run_in_db_thread(partial(_read_unit, source, fn, *args, **kwargs))

    def _read_source(self) -> Engine | Connection:
        """The read engine, or the connection a test's session is joined to; no session is
        made for it."""
        return get_read_engine() if self._session is None else _read_source(self._session)


def read_rows(reader: Reader, statement: Executable,
              params: Mapping[str, Any] | None = None) -> Result[*tuple[Any, ...]]:
    """Run a Core statement that selects columns (no ORM entities) on the session's connection,
    in the session's transaction, or on the connection ``Db.read`` gave. ``Session.execute``
    would wrap every row through the ORM's loading layer (~1.5 µs a row, ~75 µs for a page of
    50 seals; docs/PERFORMANCE.md). A session's pending changes are flushed first, as
    ``Session.execute``'s autoflush would."""
    if isinstance(reader, Connection):
        return reader.execute(statement, params)
    if reader.autoflush and (reader.new or reader.dirty or reader.deleted):
        reader.flush()
    return reader.connection().execute(statement, params)


def new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


async def get_db() -> Db:
    """The request's database handle. Nothing is left to close when the request ends: each unit
    of work ends its own transaction (``_unit``), so between units, and after the last, the
    session holds no connection. A plain ``async def``, not a generator dependency: FastAPI
    enters and leaves an exit stack for each of those on every request, ~10 % of a GET's
    event-loop time (docs/PERFORMANCE.md, "Route matching and the request's database handle")."""
    return Db()
