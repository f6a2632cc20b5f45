"""Backups of the configured database, and restoring one into it.

SQLite: ``sqlite3``'s online backup API copies a consistent snapshot while the app runs (WAL
included); restoring copies the file back the same way. PostgreSQL: ``pg_dump --format=custom``
and ``pg_restore --clean --if-exists --single-transaction``; the client tools must be of the
server's major version or newer (``make pg-client`` installs them from Debian packages). The
password goes to the tools through ``PGPASSWORD``, never on a command line others can read."""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from app.core.config import get_settings


class BackupError(Exception):
    """A backup or restore that could not be done; the message names no password."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _pg_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools of the server's "
                          "major version (make pg-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    timeout = get_settings().backup_timeout_seconds
    try:
        done = subprocess.run(  # noqa: S603 - the PostgreSQL tools with arguments we build
            args, env=env, capture_output=True, text=True, check=False, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{Path(args[0]).name} did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {done.returncode}): "
                          f"{done.stderr.strip()[-500:]}")


def backup(database_url: str, target: Path) -> Path:
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"no database file at {source}")
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target
    conninfo, env = _pg_target(url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={target}", f"--dbname={conninfo}"], env)
    return target


def _check_sqlite_backup(source: Path) -> None:
    """Refuse before touching the database: a file that is no SQLite database, or one that is
    not a Bündnisportal database (no migration record), would replace every row with nothing."""
    with source.open("rb") as file:
        if file.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{source} is not a SQLite backup")
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_db:
            found = backup_db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a readable SQLite backup") from exc
    if found is None:
        raise BackupError(f"{source} is not a Bündnisportal backup (no migration record)")


def restore(database_url: str, source: Path) -> None:
    """Replace the configured database's contents with the backup's."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = _sqlite_path(url)
        _check_sqlite_backup(source)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return
    conninfo, env = _pg_target(url)
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={conninfo}", str(source)], env)
