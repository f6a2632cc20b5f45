"""A fresh database per test run: a temporary SQLite file, or a new PostgreSQL database that is
dropped afterwards. ``BUENDNIS_TEST_DB`` picks the lane (sqlite | postgresql)."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "BUENDNIS_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def lane() -> str:
    return os.environ.get("BUENDNIS_TEST_DB", "sqlite")


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


def postgres_reachable() -> str | None:
    """None if reachable, else the reason."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as exc:
        return f"{type(exc).__name__}: {exc}".strip()


@contextmanager
def fresh_database(kind: str | None = None) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database; remove it afterwards."""
    kind = kind or lane()
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="buendnis-test-") as tmp:
            yield f"sqlite:///{tmp}/test.db"
        return
    name = f"buendnis_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
