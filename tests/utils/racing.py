"""Requests that really run at the same time: each gets its own session and connection (not
the test's shared transaction), released together by a barrier. Data they need must be
committed for real and removed by the test's fixture afterwards."""

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.db import Db, get_db


@pytest.fixture
def racing_client(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    """A client whose every request gets its own session and connection (instead of the
    test's shared transaction), so that requests can really run at the same time."""
    async def own_session_per_request() -> Any:
        session = Session(engine, expire_on_commit=False)
        try:
            yield Db(session)
        finally:
            session.close()

    app.dependency_overrides[get_db] = own_session_per_request
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.pop(get_db, None)


def race(n: int, call: Callable[[], Response]) -> list[Response]:
    """Run ``call`` in ``n`` threads released at the same moment; returns the replies."""
    barrier = threading.Barrier(n)
    replies: list[Response] = []

    def run() -> None:
        barrier.wait()
        replies.append(call())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(replies) == n, "a request did not finish"
    return replies
