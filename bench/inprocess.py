"""CPU per request in one process, without a network: the app's ASGI callable driven directly.

What it is for: finding and checking a change to the request path in seconds, with less noise
than a wrk run (no client, no sockets, no second process on the two cores). It is a profiling
aid, not the judge: bench/run.py measures the served app against the probe.

    .venv/bin/python bench/inprocess.py get me events --requests 2000
    py-spy record -r 500 -f raw -o /tmp/get.txt -- .venv/bin/python bench/inprocess.py get

Each scenario is one of bench/run.py's (same paths, same callers), run one request at a time
after a warm-up; it prints the process CPU (all threads) and the wall time per request.

On a shared machine CPU time swings by a third from run to run. For an A/B that must see a
few per cent, count instructions instead: under callgrind, which counts the same total for
the same work whatever else the machine does, with counting switched on only around each
scenario's measured requests (``callgrind_control``):

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \
        $(readlink -f .venv/bin/python) bench/inprocess.py get me --instructions --requests 200

(``readlink -f``: valgrind must start the interpreter itself, not a launcher script.) It
prints instructions per request; ~50 times slower than a plain run, so use a few hundred
requests and ``--repeat 1``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def _scenario_paths(db: Any, keys: list[str]) -> dict[str, tuple[str, str]]:
    from run import SCENARIO_BY_KEY, scenario_path

    chosen = {}
    for key in keys:
        scenario = SCENARIO_BY_KEY[key]
        chosen[key] = (scenario.caller, scenario_path(scenario, db, alliance_id=0))
    return chosen


async def _request(app: Any, path: str, token: str | None) -> tuple[int, int]:
    raw_path, _, query = path.partition("?")
    headers = [(b"host", b"bench"), (b"accept", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": raw_path, "raw_path": raw_path.encode(),
        "query_string": query.encode(), "headers": headers, "client": ("127.0.0.1", 5000),
        "server": ("bench", 80), "root_path": "", "state": {},
    }
    status = 0
    size = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


class Callgrind:
    """Switches callgrind's counting on and off in this process and reads what it counted."""

    def __init__(self) -> None:
        self.pid = str(os.getpid())
        self.dumps = 0

    def _control(self, *args: str) -> None:
        done = subprocess.run(["callgrind_control", *args, self.pid], capture_output=True,
                              text=True, check=False)
        if done.returncode != 0 or "Error" in done.stdout:
            raise SystemExit(f"callgrind_control {' '.join(args)}: {done.stdout}{done.stderr}"
                             "(is this process running under valgrind --tool=callgrind?)")

    def start(self) -> None:
        self._control("--zero")
        self._control("--instr=on")

    def stop(self) -> int:
        """Instructions counted since ``start``."""
        self._control("--instr=off")
        self._control("--dump")
        self.dumps += 1
        out = next(Path("/tmp").glob(f"cg.{self.pid}.{self.dumps}"), None)
        if out is None:
            raise SystemExit(f"no callgrind dump /tmp/cg.{self.pid}.{self.dumps} (run with "
                             "--callgrind-out-file=/tmp/cg.%p)")
        for line in out.read_text().splitlines():
            if line.startswith("totals:"):
                return int(line.split()[1])
        raise SystemExit(f"{out}: no totals line")


async def _drive(app: Any, paths: dict[str, tuple[str, str]], tokens: dict[str, str],
                 ids: list[int], requests: int, warmup: int, repeat: int,
                 callgrind: Callgrind | None = None) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for key, (caller, path) in paths.items():
        token = tokens.get(caller)

        def concrete(i: int, path: str = path) -> str:
            return path.replace("/0", f"/{ids[i % len(ids)]}", 1) if "/0" in path else path

        for i in range(warmup):
            status, _ = await _request(app, concrete(i), token)
            if status != 200:
                raise SystemExit(f"{key}: {concrete(i)} answered {status}")
        if callgrind is not None:
            callgrind.start()
            for i in range(requests):
                await _request(app, concrete(i), token)
            per_request = callgrind.stop() / requests
            results[key] = {"instructions": round(per_request)}
            print(f"{key:14} {per_request:12,.0f} instructions per request ({requests} "
                  "requests, callgrind)", flush=True)
            continue
        cpu_runs, wall_runs, sizes = [], [], []
        for _ in range(repeat):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for i in range(requests):
                _status, size = await _request(app, concrete(i), token)
                sizes.append(size)
            cpu_runs.append((time.process_time() - cpu0) / requests * 1000)
            wall_runs.append((time.perf_counter() - wall0) / requests * 1000)
        results[key] = {"cpu_ms": round(statistics.median(cpu_runs), 3),
                        "cpu_ms_min": round(min(cpu_runs), 3),
                        "wall_ms": round(statistics.median(wall_runs), 3),
                        "bytes": statistics.median(sizes)}
        print(f"{key:14} {results[key]['cpu_ms']:8.3f} ms CPU (median of {repeat}, min "
              f"{results[key]['cpu_ms_min']:.3f})  {results[key]['wall_ms']:8.3f} ms wall"
              f"  {int(results[key]['bytes'])} bytes", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="+", help="bench/run.py scenario keys (get, me, …)")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5, help="runs of --requests each (median)")
    parser.add_argument("--alliances", type=int, default=650)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--gc-threshold", type=int, default=None,
                        help="young-generation threshold to use instead of the app's (A/B of "
                             "app/main.py's gc.set_threshold)")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per request under callgrind (see above)")
    args = parser.parse_args()

    os.environ.setdefault("BUENDNIS_JWT_SECRET", secrets.token_urlsafe(48))
    os.environ.setdefault("BUENDNIS_LOG_LEVEL", "WARNING")
    for kind in ("USER", "ANONYMOUS", "CLIENT"):  # as bench/run.py: the load is one caller
        os.environ[f"BUENDNIS_LIMIT_REQUESTS_PER_MINUTE_{kind}"] = "1000000000"
    from generate import bench_database

    with bench_database(args.db, args.alliances) as db:
        os.environ["BUENDNIS_DATABASE_URL"] = db.url
        from app.core import security
        from app.core.config import get_settings
        from app.core.db import get_engine

        get_settings.cache_clear()  # generate.py read the settings before the URL was known
        get_engine.cache_clear()
        from app.main import app

        if args.gc_threshold is not None:
            import gc
            gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
        lifetime = timedelta(hours=2)
        tokens = {
            "admin": security.create_access_token("user", db.admin_id, session_id=db.admin_session_id,
                                                  lifetime=lifetime)[0],
            "user": security.create_access_token("user", db.user_id, session_id=db.user_session_id,
                                                 lifetime=lifetime)[0],
        }
        paths = _scenario_paths(db, args.scenarios)

        async def run() -> None:
            async with app.router.lifespan_context(app):
                await _drive(app, paths, tokens, db.alliance_ids, args.requests, args.warmup,
                             args.repeat, Callgrind() if args.instructions else None)

        asyncio.run(run())


if __name__ == "__main__":
    main()
