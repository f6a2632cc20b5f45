"""Liveness (/healthz: the process answers) and readiness (/readyz: the database answers, with
the release's version and its migration state, so a rolling deploy can see both)."""

from functools import lru_cache
from importlib import metadata
from pathlib import Path

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from app.core import db as core_db
from app.core.config import get_settings
from app.core.errors import problem_responses
from app.core.schemas import ReadModel

router = APIRouter(tags=["health"])
_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class Health(ReadModel):
    status: str


class Readiness(ReadModel):
    status: str
    version: str
    migration: str | None
    migration_head: str | None


@router.get("/healthz", name="health-alive", response_model=Health, summary="The process is alive")
async def alive() -> Health:
    return Health(status="ok")


@lru_cache
def release_version() -> str:
    try:
        return metadata.version("buendnisportal")
    except metadata.PackageNotFoundError:
        return "unknown"


@lru_cache
def migration_head() -> str | None:
    """The newest migration this release ships (None when run without the migrations folder)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    if not _MIGRATIONS.is_dir():
        return None
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _database_revision() -> str | None:
    with core_db.get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
        if not inspect(connection).has_table("alembic_version"):
            return None  # reachable, not migrated yet
        revision: str | None = connection.execute(
            text("SELECT version_num FROM alembic_version")).scalar()
        return revision


@router.get("/readyz", name="health-ready", response_model=Readiness,
            responses=problem_responses(503),
            summary="The database is reachable; the release's version and migration state")
async def ready() -> Readiness | JSONResponse:
    # Outside the request limiter (a probe must not queue behind hanging requests) and bounded
    # by the connect timeout, so a database that never answers gives 503 within a probe's time.
    settings = get_settings()
    try:
        with anyio.fail_after(settings.db_connect_timeout_seconds + 1):
            revision = await anyio.to_thread.run_sync(_database_revision, abandon_on_cancel=True)
    except TimeoutError as exc:
        raise OperationalError("readyz", {}, exc) from exc  # rendered as 503 problem+json
    return Readiness(status="ready", version=release_version(), migration=revision,
                     migration_head=migration_head())
