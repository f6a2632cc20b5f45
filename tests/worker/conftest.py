from collections.abc import Iterator

import pytest

from app.core import db as core_db
from tests import dbsetup
from tests.utils.settings import reload_settings


@pytest.fixture
def own_database(monkeypatch) -> Iterator[str]:
    """A migrated database of its own: workers commit, and other tests must not see that."""
    with dbsetup.fresh_database() as url:
        dbsetup.upgrade(url)
        monkeypatch.setenv("BUENDNIS_DATABASE_URL", url)
        reload_settings()
        core_db.get_engine.cache_clear()
        yield url
        core_db.get_engine().dispose()
        core_db.get_engine.cache_clear()
    reload_settings()
