from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.core.db import get_engine, run_in_db_thread
from app.core.errors import problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", name="health-alive", response_model=Health, summary="The process is alive")
async def alive() -> Health:
    return Health(status="ok")


def _ping() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


@router.get("/readyz", name="health-ready", response_model=Health, responses=problem_responses(503),
            summary="The database is reachable")
async def ready() -> Health | JSONResponse:
    await run_in_db_thread(_ping)  # OperationalError renders as 503 problem+json
    return Health(status="ready")
