"""The app's real engines (not the tests' joined connection) on a database of the test's own,
for tests whose rows must be committed: the pools, read retries and connection counts."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.core import db as core_db
from app.core.metrics import REGISTRY
from app.core.thread_connection import release_all
from tests import dbsetup
from tests.utils.settings import reload_settings


@contextmanager
def app_on_own_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new, migrated database the app's settings point at (its URL); afterwards its pools
    are closed, the settings are restored and the database is dropped."""
    with dbsetup.fresh_database() as url:
        dbsetup.upgrade(url)
        monkeypatch.setenv("BUENDNIS_DATABASE_URL", url)
        reload_settings()
        core_db.get_engine.cache_clear()
        try:
            yield url
        finally:
            try:
                release_all()  # the read connections threads keep (app/core/thread_connection.py)
                for engine in core_db.pools().values():
                    engine.dispose()
            finally:  # whatever happened above, later tests get their own settings back
                monkeypatch.undo()
                reload_settings()
                core_db.get_engine.cache_clear()


def drop_pooled_read_connections(database_url: str, pooled: list[Any]) -> None:
    """The connections the app holds die while idle in its pools (a database restart, an
    idle-session timeout, a failover). On PostgreSQL the server ends every session of the
    app; on SQLite, whose connections cannot die so, the read pool's (``pooled``, recorded
    as they were made) are closed under it."""
    if dbsetup.lane() == "postgresql":
        name = make_url(database_url).database
        with psycopg.connect(dbsetup.PG_ADMIN_URL, autocommit=True) as admin:
            ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = %s AND pid <> pg_backend_pid()",
                                  (name,)).fetchone()
            assert ended is not None and ended[0] >= 1
        return
    assert pooled
    for dbapi_connection in pooled:
        dbapi_connection.close()


def read_retries() -> float:
    """Reads run once more because their connection was dead (``buendnis_db_read_retries_total``)."""
    return REGISTRY.get_sample_value("buendnis_db_read_retries_total") or 0.0
