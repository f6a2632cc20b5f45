"""Helpers of the two-process lane: start, probe and stop the servers; the shared settings.

PostgreSQL lane only: SQLite is the embedded, single-process default. Under ``CI=true`` an
unreachable PostgreSQL or Redis fails the lane instead of skipping it. Each run gets a fresh
migrated database and a fresh Redis key prefix (``BUENDNIS_REDIS_KEY_PREFIX``), so runs never
share rows or counters; the servers are stopped (SIGTERM, then kill) whatever happens.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import Engine

from tests import dbsetup
from tests.mail.smtp import free_port

REDIS_URL = os.environ.get("BUENDNIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Small on purpose: scenario 4 proves the count is shared, the others stay below it per user.
USER_LIMIT_PER_MINUTE = 6
STARTUP_SECONDS = 40
REQUEST_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: this lane must run)", pytrace=False)
    pytest.skip(message)


def redis_unreachable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
        return None
    except (redis.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}".strip()


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    """The two servers and what they share: database URL, engine, Redis prefix, environment."""

    database_url: str
    engine: Engine
    redis_prefix: str
    env: dict[str, str]
    servers: list[Server] = field(default_factory=list)

    def urls(self) -> Iterator[str]:
        """Base URLs, alternating between the processes forever."""
        return cycle([server.base_url for server in self.servers])


def server_env(database_url: str, redis_prefix: str, jwt_secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUENDNIS_")}
    env.update({
        "BUENDNIS_ENV": "test", "BUENDNIS_LOG_LEVEL": "WARNING",
        "BUENDNIS_DATABASE_URL": database_url, "BUENDNIS_REDIS_URL": REDIS_URL,
        "BUENDNIS_REDIS_KEY_PREFIX": redis_prefix, "BUENDNIS_JWT_SECRET": jwt_secret,
        "BUENDNIS_MAIL_DISPATCH": "false",
        "BUENDNIS_LIMIT_REQUESTS_PER_MINUTE_USER": str(USER_LIMIT_PER_MINUTE),
        # Two small pools: 2 processes x 4 connections stay far below max_connections.
        "BUENDNIS_DB_POOL_SIZE": "4",
    })
    return env


def start_server(env: dict[str, str], log: Path) -> Server:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log", "--log-level", "warning"],
            cwd=dbsetup.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT)
    return Server(f"http://127.0.0.1:{port}", process, log)


def wait_healthy(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{server.base_url} did not become healthy:\n{tail}")


def stop_all(processes: list[subprocess.Popen[bytes]], grace: float = 10) -> None:
    """SIGTERM to all at once (they shut down side by side, and each gets one signal only),
    then kill whichever has not exited after ``grace`` seconds."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def forget_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
