"""`buendnis backup` and `buendnis restore` as typed: a seeded database is backed up, restored
into a fresh one, and every row of every table is found there."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from app.core.db import make_engine
from tests import dbsetup


def buendnis(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BUENDNIS_")}
    environment.update({"BUENDNIS_DATABASE_URL": url, "BUENDNIS_LOG_LEVEL": "WARNING"})
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "app.cli", *args], cwd=dbsetup.ROOT, env=environment,
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False,
    )


def every_row(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url, null_pool=True)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


@pytest.fixture
def seeded_url() -> Iterator[str]:
    with dbsetup.fresh_database() as url:
        for command in (("migrate",), ("seed-demo",)):
            done = buendnis(url, *command)
            assert done.returncode == 0, done.stderr
        yield url


def test_backup_then_restore_into_a_fresh_database_keeps_every_row(seeded_url, tmp_path: Path):
    target = tmp_path / "buendnis.backup"
    done = buendnis(seeded_url, "backup", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert target.stat().st_size > 0

    with dbsetup.fresh_database() as fresh_url:
        refused = buendnis(fresh_url, "restore", str(target))
        assert refused.returncode == 2, "restore replaces everything: it wants --yes"
        done = buendnis(fresh_url, "restore", str(target), "--yes")
        assert done.returncode == 0, done.stderr

        before, after = every_row(seeded_url), every_row(fresh_url)
        assert before.keys() == after.keys()
        assert sum(map(len, before.values())) > 50, "the demo data was seeded"
        assert sum(len(rows) for rows in before.values() if rows) and before == after
        assert buendnis(fresh_url, "migrate").returncode == 0, "the restored revision is known"


def test_a_missing_backup_file_is_a_clear_error(seeded_url, tmp_path: Path):
    done = buendnis(seeded_url, "restore", str(tmp_path / "nothing.dump"), "--yes")
    assert done.returncode == 1
    assert "no backup file" in done.stderr


@pytest.mark.parametrize("content", [b"not a database at all\n", b"SQLite format 3\x00" + b"\x00" * 200])
def test_a_file_that_is_no_backup_is_refused_and_the_database_keeps_its_rows(
    seeded_url, tmp_path: Path, content: bytes
):
    """A wrong file (a CSV, a truncated copy) is a clear error before anything is replaced, on
    either database (pg_restore refuses it itself; SQLite's backup API would not)."""
    bogus = tmp_path / "buendnis.backup"
    bogus.write_bytes(content)
    before = every_row(seeded_url)

    done = buendnis(seeded_url, "restore", str(bogus), "--yes")

    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "restore failed" in done.stderr
    assert every_row(seeded_url) == before


def test_an_empty_sqlite_database_is_no_bundnisportal_backup(seeded_url, tmp_path: Path):
    import sqlite3

    if not seeded_url.startswith("sqlite"):
        pytest.skip("a SQLite file is not a PostgreSQL backup (pg_restore refuses it itself)")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    before = every_row(seeded_url)

    done = buendnis(seeded_url, "restore", str(other), "--yes")

    assert done.returncode == 1 and "not a Bündnisportal backup" in done.stderr
    assert every_row(seeded_url) == before
