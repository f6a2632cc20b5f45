"""Two ``uvicorn app.main:app`` processes on one PostgreSQL database and one Redis.

PostgreSQL lane only: SQLite is the embedded, single-process default. Under ``CI=true`` an
unreachable PostgreSQL or Redis fails the lane instead of skipping it. Each run gets a fresh
migrated database and a fresh Redis key prefix (``BUENDNIS_REDIS_KEY_PREFIX``), so runs never
share rows or counters; the servers are stopped (SIGTERM, then kill) whatever happens.
"""

import secrets
import time
import uuid
from collections.abc import Iterator

import pytest

from app.core.db import make_engine
from tests import dbsetup
from tests.processes.cluster import (
    REDIS_URL,
    STARTUP_SECONDS,
    Cluster,
    forget_prefix,
    redis_unreachable,
    server_env,
    start_server,
    stop_all,
    unavailable,
    wait_healthy,
)
from tests.utils.settings import reload_settings


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if dbsetup.lane() != "postgresql":
        pytest.skip("two processes need the PostgreSQL lane (BUENDNIS_TEST_DB=postgresql): "
                    "SQLite is the embedded single-process default")
    reason = dbsetup.postgres_reachable()
    if reason is not None:
        unavailable(f"PostgreSQL lane: server unreachable ({reason})")
    reason = redis_unreachable()
    if reason is not None:
        unavailable(f"two-process lane: Redis at {REDIS_URL} unreachable ({reason})")

    prefix = f"buendnis-test:{uuid.uuid4().hex[:12]}:"
    jwt_secret = secrets.token_hex(32)
    logs = tmp_path_factory.mktemp("servers")
    with pytest.MonkeyPatch.context() as patch, dbsetup.fresh_database() as url:
        # The test process signs the seeded accounts' tokens with the servers' secret.
        patch.setenv("BUENDNIS_JWT_SECRET", jwt_secret)
        reload_settings()
        dbsetup.upgrade(url)
        engine = make_engine(url)
        env = server_env(url, prefix, jwt_secret)
        world = Cluster(url, engine, prefix, env)
        try:
            world.servers = [start_server(env, logs / f"server{i}.log") for i in range(2)]
            deadline = time.monotonic() + STARTUP_SECONDS
            for server in world.servers:
                wait_healthy(server, deadline)
            yield world
        finally:
            stop_all([server.process for server in world.servers])
            engine.dispose()
            forget_prefix(prefix)
    reload_settings()
