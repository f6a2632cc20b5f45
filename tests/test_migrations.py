"""Migrations on an empty database of the current lane: up, down, and no drift."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401  (all tables on the metadata)
from app.core.db import make_engine
from tests import dbsetup


def _drift(url: str) -> list:
    engine = make_engine(url, null_pool=True)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return diff


def _tables(url: str) -> set[str]:
    engine = make_engine(url, null_pool=True)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_downgrade_and_no_drift():
    with dbsetup.fresh_database() as url:
        dbsetup.upgrade(url)
        assert _drift(url) == [], "models and migrations differ: write a migration"
        assert {"alliance", "user_account"} <= _tables(url)
        dbsetup.downgrade(url, "base")
        assert _tables(url) <= {"alembic_version"}
        dbsetup.upgrade(url)
        assert _drift(url) == []
