"""Test wiring: one fresh, migrated database per run; each test in its own transaction.

The lane comes from ``BUENDNIS_TEST_DB`` (sqlite | postgresql). On the PostgreSQL lane an
unreachable server fails the run when ``CI=true`` and skips it loudly otherwise.
"""

import os
import resource
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from app.alliances.models import Alliance
from app.auth.models import ApiClient, Role, User
from app.core import db as core_db
from app.core import ratelimit
from app.core.db import Db, make_engine
from tests import dbsetup, factories

pytest_plugins = ["tests.utils.racing", "tests.utils.settings", "tests.utils.statements"]


def reload_settings() -> None:
    # Imported when called: importing a plugin module before pytest registers it would keep
    # pytest from rewriting its asserts.
    from tests.utils.settings import reload_settings as reload

    reload()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("BUENDNIS_ENV", "test")
    os.environ.setdefault("BUENDNIS_LOG_LEVEL", "WARNING")
    os.environ.pop("BUENDNIS_REDIS_URL", None)
    reload_settings()


def pytest_report_header(config: pytest.Config) -> str:
    return f"database lane: {dbsetup.lane()}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The lane's CPU time (this process and the servers, workers and commands it waited for):
    unlike the wall time it hardly depends on what else the machine is doing."""
    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    terminalreporter.write_line(f"database lane {dbsetup.lane()}: {cpu:.0f} s of CPU")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if dbsetup.lane() == "postgresql":
        reason = dbsetup.postgres_reachable()
        if reason is not None:
            message = f"PostgreSQL lane: server unreachable ({reason})"
            if os.environ.get("CI", "").lower() == "true":
                pytest.exit(message, returncode=3)
            pytest.skip(message)
    with dbsetup.fresh_database() as url:
        dbsetup.upgrade(url)
        os.environ["BUENDNIS_DATABASE_URL"] = url
        reload_settings()
        core_db.get_engine.cache_clear()
        yield url
        core_db.get_engine.cache_clear()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """The test's own view of the database, inside the test's transaction."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    ratelimit.get_counter_store.cache_clear()
    yield
    ratelimit.get_counter_store.cache_clear()


@pytest.fixture
def app(connection: Connection) -> Iterator[FastAPI]:
    """The app, its requests' database handles joined to the test's transaction.

    ``get_db`` makes a ``Db`` per request; here that class is one whose session is bound to the
    test's connection (a savepoint per unit of work). Not ``app.dependency_overrides``: while
    that dict holds anything, FastAPI rebuilds the dependant of every dependency of the route
    on every request (signatures, pydantic fields), a quarter of the app's time per request in
    the fuzz run. Each unit of work ends its own savepoint (``app.core.db._unit``), so the
    sessions are closed once, after the test. The fixture's own patch, not the test's
    ``monkeypatch``: a test that undoes its patches must keep its database."""
    from app.main import app as application

    sessions: list[Session] = []

    class JoinedDb(Db):
        def __init__(self, session: Session | None = None) -> None:
            if session is None:
                session = Session(bind=connection, join_transaction_mode="create_savepoint",
                                  expire_on_commit=False)
                sessions.append(session)
            super().__init__(session)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core_db, "Db", JoinedDb)
        yield application
    application.dependency_overrides.clear()
    for session in sessions:
        session.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def alliance(session: Session) -> Alliance:
    return factories.make_alliance(session)


@pytest.fixture
def other_alliance(session: Session) -> Alliance:
    return factories.make_alliance(session, state="DE-NW", municipality="Hamm")


@pytest.fixture
def admin_account(session: Session) -> User:
    return factories.make_user(session, Role.admin)


@pytest.fixture
def admin(admin_account: User) -> dict[str, str]:
    return factories.user_headers(admin_account)


@pytest.fixture
def alliance_user(session: Session) -> Callable[[Alliance], dict[str, str]]:
    def headers_for(target: Alliance) -> dict[str, str]:
        return factories.user_headers(factories.make_user(session, Role.alliance_user, target))

    return headers_for


@pytest.fixture
def partner_client(session: Session) -> ApiClient:
    return factories.make_client(session)


@pytest.fixture
def partner(partner_client: ApiClient) -> dict[str, str]:
    return factories.client_headers(partner_client)
