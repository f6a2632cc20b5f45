"""The app's real engines (not the tests' joined connection) on a database of the test's own,
for tests whose rows must be committed: the pools, read retries and connection counts."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.core import db as core_db
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
