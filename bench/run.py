"""The whole benchmark in one command:

    .venv/bin/python bench/run.py                    # both databases, default variants (~8-9 min)
    .venv/bin/python bench/run.py --db sqlite --duration 5 --variants probe,app-limiter-1
    .venv/bin/python bench/run.py --app-ref HEAD     # measure a commit, not the working tree
    .venv/bin/python bench/run.py --variants probe,app-limiter-1 --baseline-ref main --repeat 3
                                                     # before/after in the same run, medians of 3
    .venv/bin/python bench/run.py --variants probe,app-limiter-1 --scale 1,100
                                                     # growth: every scenario at 650 and 65,000
                                                     # alliances, cost ratios x100/x1
    .venv/bin/python bench/run.py --db postgresql --scenarios get --threads 1 --repeat 3 \
        --variants probe,app-limiter-1,app-2proc-limiter-1,probe-2proc
                                                     # two uvicorn processes against one

For each database (a temporary SQLite file, a fresh PostgreSQL database dropped afterwards) it
runs the real migrations, inserts ~650 alliances and the survey world around them (cycles,
responses, an evaluation run, seals, events: bench/generate.py), then serves each variant with
uvicorn (1 worker unless the variant says 2, httptools, uvloop, log level warning, no access
log) on 127.0.0.1 and loads every scenario (SCENARIOS) with wrk (warm-up, then the measured
run). Every figure is also given as a
ratio to the probe (raw driver + orjson) of the same run. Writes bench/results/<timestamp>.json
and prints a markdown table. Needs wrk (apt-get install wrk) and bench/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
PYTHON = sys.executable


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    target: str
    factory: bool = False
    env: dict[str, str] = field(default_factory=dict)
    default: bool = True  # part of a run without --variants
    root: Path | None = None  # the application tree to serve (None: --app-ref or this checkout)
    workers: int = 1  # uvicorn worker processes (>1: a master and its worker children)


VARIANTS = [
    Variant("probe", "d. probe: raw driver + orjson (no ORM, no pydantic, no JWT)",
            "variants:probe_app", factory=True),
    *[Variant(f"app-limiter-{n}",
              f"a. real app as is: async def + sync Session in a thread, limiter {n}",
              "app.main:app", env={"BUENDNIS_DB_CONCURRENCY": str(n)}) for n in (1, 4, 8)],
    *[Variant(f"slots-limiter-{n}",
              f"a'. real app, get_db taking a request slot (pool capacity), limiter {n}",
              "variants:slots_app", factory=True, env={"BUENDNIS_DB_CONCURRENCY": str(n)},
              default=False)
      for n in (1, 4, 8)],
    # Two processes (issue 12: "two uvicorn processes on PostgreSQL >= 1.7x one process"): the
    # real app under uvicorn --workers 2, each process with its own limiter (1) and pool.
    Variant("app-2proc-limiter-1", "real app, 2 uvicorn worker processes, limiter 1 each",
            "app.main:app", env={"BUENDNIS_DB_CONCURRENCY": "1"}, default=False, workers=2),
    Variant("probe-2proc", "probe, 2 uvicorn worker processes", "variants:probe_app",
            factory=True, default=False, workers=2),
    Variant("def-threadpool-40", "b. def endpoints + sync Session, FastAPI thread pool (40)",
            "variants:def_app", factory=True),
    Variant("async-session", "c. async def + AsyncSession (aiosqlite / asyncpg)",
            "variants:async_app", factory=True),
]
@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    caller: str  # "admin", "user" (an alliance user; both with a session, as after a login)
    #              or "anonymous" (no Authorization header)
    path: str  # "{id}": a random alliance per request; "{own}": the alliance user's alliance;
    #            "{cycle}": the current cycle's slug (bench/generate.py populate_world)


SCENARIOS = [
    Scenario("get", "GET /api/v1/alliances/{id}, admin, a random alliance", "admin",
             "/api/v1/alliances/{id}"),
    Scenario("get-own", "GET /api/v1/alliances/{id}, alliance user, own alliance (contacts)",
             "user", "/api/v1/alliances/{own}"),
    Scenario("list", "GET /api/v1/alliances?limit=50, admin", "admin", "/api/v1/alliances?limit=50"),
    Scenario("list-filtered", "GET /api/v1/alliances?limit=50&status=active&level=city, admin",
             "admin", "/api/v1/alliances?limit=50&status=active&level=city"),
    Scenario("me", "GET /api/v1/me, alliance user", "user", "/api/v1/me"),
    # The SPA's other hot reads (issue 12), each with a probe in bench/probe_reads.py.
    Scenario("seals", "GET /api/v1/public/seals?limit=50, anonymous (public seal registry)",
             "anonymous", "/api/v1/public/seals?limit=50"),
    Scenario("response", "GET /api/v1/cycles/{cycle}/responses/{id}, admin, a random alliance's "
             "response with its score breakdown", "admin", "/api/v1/cycles/{cycle}/responses/{id}"),
    Scenario("response-own", "GET /api/v1/cycles/{cycle}/responses/{own}, alliance user, own "
             "response with its score breakdown", "user", "/api/v1/cycles/{cycle}/responses/{own}"),
    Scenario("events", "GET /api/v1/events, alliance user (default page of 20)", "user",
             "/api/v1/events"),
    Scenario("evaluations", "GET /api/v1/cycles/{cycle}/evaluations?limit=50, admin (shortlist "
             "of the latest run)", "admin", "/api/v1/cycles/{cycle}/evaluations?limit=50"),
]
SCENARIO_BY_KEY = {s.key: s for s in SCENARIOS}
ENDPOINTS = {s.key: (s.label, s.path) for s in SCENARIOS}
REFERENCE = "app-limiter-1"

LUA = """
local n_ids = {n_ids}
local prefix = "{prefix}"
local suffix = "{suffix}"
local random_id = {random_id}
function init(args)
  math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16) % 100000)
end
function request()
  if random_id then
    return wrk.format("GET", prefix .. math.random(1, n_ids) .. suffix)
  end
  return wrk.format("GET", prefix)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON:{{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _fixed_path(scenario: Scenario, db: Any) -> str:
    return scenario.path.replace("{own}", str(db.user_alliance_id)).replace("{cycle}", db.cycle_slug)


def scenario_path(scenario: Scenario, db: Any, alliance_id: int = 1) -> str:
    return _fixed_path(scenario, db).replace("{id}", str(alliance_id))


def lua_for(scenario: Scenario, db: Any) -> str:
    path = _fixed_path(scenario, db)
    prefix, _, suffix = path.partition("{id}")
    return LUA.format(n_ids=len(db.alliance_ids), prefix=prefix, suffix=suffix,
                      random_id="true" if "{id}" in scenario.path else "false")


# --- helpers ---------------------------------------------------------------------------------

NICE = 0


def nice_prefix() -> list[str]:
    """Run server and wrk at a higher priority than the rest of a shared machine."""
    return ["nice", "-n", str(NICE)] if NICE else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "Threads"):
                out[key] = int(value.split()[0])
    except FileNotFoundError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn --workers N: the master and its worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        try:
            total += cpu_seconds(member)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def tree_status(pid: int) -> dict[str, int]:
    """proc_status summed over the process tree (peak RSS of the processes together)."""
    out: dict[str, int] = {}
    for member in process_tree(pid):
        for key, value in proc_status(member).items():
            out[key] = out.get(key, 0) + value
    return out


def cpu_totals() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]
    return (sum(values) - idle) / tick, sum(values) / tick


def pg_backend_cpu(dbname: str | None) -> float:
    """CPU seconds of the PostgreSQL backends serving the bench database."""
    if not dbname:
        return 0.0
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            if title.startswith("postgres:") and f" {dbname} " in title:
                total += cpu_seconds(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def machine_busy(seconds: float = 1.0) -> float:
    busy1, total1 = cpu_totals()
    time.sleep(seconds)
    busy2, total2 = cpu_totals()
    return (busy2 - busy1) / max(total2 - total1, 1e-9)


def wait_until_quiet(limit: float, threshold: float = 0.2) -> dict[str, Any]:
    """Other processes share the machine: wait (at most ``limit`` s) for a quiet second."""
    started = time.monotonic()
    busy = machine_busy()
    while busy > threshold and time.monotonic() - started < limit:
        busy = machine_busy()
    return {"busy_before_pct": round(100 * busy, 1),
            "waited_s": round(time.monotonic() - started - 1, 1),
            "loadavg_1m": float(Path("/proc/loadavg").read_text().split()[0])}


def http_get(url: str, token: str | None, timeout: float = 5.0) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                          check=False).stdout.strip()


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("fastapi", "starlette", "pydantic", "sqlalchemy", "sqlmodel", "uvicorn",
                 "uvloop", "httptools", "anyio", "psycopg", "asyncpg", "aiosqlite", "orjson"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    out["wrk"] = (wrk.stdout or wrk.stderr).split("[")[0].strip()
    return out


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{path or '/'}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key}: missing on one side"
            diff = first_difference(a[key], b[key], f"{path}/{key}")
            if diff:
                return diff
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diff = first_difference(x, y, f"{path}/{i}")
            if diff:
                return diff
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


# --- one server ------------------------------------------------------------------------------

def serve_loop(variant: Variant, app_root: Path, env: dict[str, str]) -> str:
    """The event loop the real app is served on: the one its ``buendnis serve`` asks for
    (``app.core.db.server_loop``: the standard library's where SQLite reads run in the loop),
    uvloop for trees older than that choice and for the probe and the other variants."""
    if variant.target != "app.main:app":
        return "uvloop"
    asked = subprocess.run(
        [PYTHON, "-c", "from app.core.db import server_loop; print(server_loop())"],
        cwd=app_root, env=env, capture_output=True, text=True, check=False)
    chosen = asked.stdout.strip() if asked.returncode == 0 else "auto"
    return "uvloop" if chosen == "auto" else chosen


class Server:
    def __init__(self, variant: Variant, app_root: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if k != "BUENDNIS_DB_CONCURRENCY"}
        full_env.update(env)
        full_env.update(variant.env)
        full_env["PYTHONPATH"] = f"{app_root}{os.pathsep}{BENCH}"
        self.loop = serve_loop(variant, app_root, full_env)
        cmd = [*nice_prefix(), PYTHON, str(BENCH / "serve.py"), variant.target, "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(variant.workers), "--http", "httptools",
               "--loop", self.loop, "--log-level", "warning", "--no-access-log"]
        if variant.factory:
            cmd.append("--factory")
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=app_root, env=full_env, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, token: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log}:\n"
                                   + self.log.read_text()[-3000:])
            try:
                status, body = http_get(self.base + "/api/v1/alliances/1", token, timeout=2)
                if status == 200:
                    return
                raise RuntimeError(f"server answers {status}: {body[:500]!r}")
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s; see {self.log}")

    def thread_dump(self) -> list[str]:
        """Where the server's threads are, from faulthandler (bench/serve.py)."""
        before = self.log.stat().st_size
        self.proc.send_signal(signal.SIGUSR1)
        time.sleep(0.5)
        with self.log.open("rb") as f:
            f.seek(before)
            text = f.read().decode("utf-8", "replace")
        blocks = text.split("Thread 0x")
        in_pool = sum("pool/impl.py" in block for block in blocks)
        keep = ("Thread 0x", "Current thread", "/app/", "pool/impl", "anyio/")
        lines = [line.strip() for line in text.splitlines() if any(k in line for k in keep)]
        return [f"{len(blocks) - 1} threads, {in_pool} waiting in the connection pool", *lines[:40]]

    def stop(self, force: bool = False) -> None:
        if self.proc.poll() is None:
            if force:  # a stalled server would wait for its stuck requests
                self.proc.kill()
            else:
                self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log_file.close()


def run_wrk(url: str, token: str | None, script: Path, duration: int,
            args: argparse.Namespace) -> dict[str, Any]:
    auth = ["-H", f"Authorization: Bearer {token}"] if token else []
    cmd = [*nice_prefix(), "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s",
           "--timeout", f"{args.wrk_timeout}s", "-s", str(script), *auth, url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("JSON:"):
            raw = json.loads(line[5:])
            seconds = raw["duration_us"] / 1e6
            errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
            return {
                "rps": round(raw["requests"] / seconds, 1),
                "requests": raw["requests"],
                "p50_ms": round(raw["p50_us"] / 1000, 2),
                "p90_ms": round(raw["p90_us"] / 1000, 2),
                "p99_ms": round(raw["p99_us"] / 1000, 2),
                "max_ms": round(raw["max_us"] / 1000, 2),
                "mean_ms": round(raw["mean_us"] / 1000, 2),
                "non_2xx": raw["status"],
                "socket_errors": errors,
                "bytes_per_request": round(raw["bytes"] / max(raw["requests"], 1)),
                "seconds": round(seconds, 2),
            }
    raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")


def measure(server: Server, url: str, token: str | None, script: Path, db: Any,
            args: argparse.Namespace) -> dict[str, Any]:
    """The measured run, with the machine's other CPU use (other processes on a shared host)."""
    import resource

    quiet = wait_until_quiet(args.quiet_wait)
    dbname = db.url.rsplit("/", 1)[1] if db.kind == "postgresql" else None
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before, pg_before = tree_cpu_seconds(server.proc.pid), pg_backend_cpu(dbname)
    busy_before, total_before = cpu_totals()
    wall_before = time.monotonic()
    measured = run_wrk(url, token, script, args.duration, args)
    wall = time.monotonic() - wall_before
    busy_after, total_after = cpu_totals()
    server_cpu = tree_cpu_seconds(server.proc.pid) - server_before
    pg_cpu = pg_backend_cpu(dbname) - pg_before
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    machine = total_after - total_before
    foreign = (busy_after - busy_before) - server_cpu - pg_cpu - wrk_cpu
    measured.update(
        server_cpu_pct=round(100 * server_cpu / wall, 1),
        # CPU time the server process spends per answered request: the work itself, which
        # other load on a shared machine disturbs far less than req/s.
        server_cpu_ms_per_request=round(1000 * server_cpu / measured["requests"], 3)
        if measured["requests"] else None,
        postgres_cpu_ms_per_request=round(1000 * pg_cpu / measured["requests"], 3)
        if dbname and measured["requests"] else None,
        postgres_cpu_pct=round(100 * pg_cpu / wall, 1) if dbname else None,
        wrk_cpu_pct=round(100 * wrk_cpu / wall, 1),
        # Share of the whole machine (all cores) used by processes outside the benchmark.
        foreign_cpu_pct=round(100 * max(foreign, 0) / max(machine, 1e-9), 1),
        **quiet,
    )
    return measured


def sequential(server: Server, scenario: Scenario, db: Any, token: str | None,
               n: int, budget_s: float = 15.0) -> dict[str, Any]:
    """One request at a time (before the load): the median latency and the server's CPU per
    request without queueing. The figure for growth when an endpoint is too slow for 50
    connections, and steadier than req/s on a shared machine."""
    import random

    rng = random.Random(12)
    times = []
    cpu_before = tree_cpu_seconds(server.proc.pid)
    started = time.monotonic()
    for _ in range(n):
        path = scenario_path(scenario, db, rng.choice(db.alliance_ids))
        t0 = time.perf_counter()
        status, _body = http_get(server.base + path, token, timeout=120)
        times.append(1000 * (time.perf_counter() - t0))
        if status != 200 or time.monotonic() - started > budget_s:
            break
    cpu = tree_cpu_seconds(server.proc.pid) - cpu_before
    return {"seq_requests": len(times), "seq_ms_median": round(statistics.median(times), 2),
            "seq_cpu_ms_per_request": round(1000 * cpu / len(times), 3)}


def bench_variant(variant: Variant, db: Any, tokens: dict[str, str], secret: str, app_root: Path,
                  scripts: dict[str, Path], workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One fresh server per endpoint: warm-up, then the measured run."""
    env = {
        "BUENDNIS_DATABASE_URL": db.url,
        "BUENDNIS_JWT_SECRET": secret,
        "BUENDNIS_LOG_LEVEL": "WARNING",
        "BUENDNIS_BENCH_ADMIN_ID": str(db.admin_id),
        "BUENDNIS_BENCH_USER_ID": str(db.user_id),
        # Should the app gain a per-user rate limit, the load must not run into it.
        "BUENDNIS_LIMIT_REQUESTS_PER_MINUTE_USER": "1000000000",
        "BUENDNIS_LIMIT_REQUESTS_PER_MINUTE_ANONYMOUS": "1000000000",  # all wrk load is one IP
        "BUENDNIS_LIMIT_REQUESTS_PER_MINUTE_CLIENT": "1000000000",
    }
    result: dict[str, Any] = {"label": variant.label, "target": variant.target,
                              "env": variant.env, "endpoints": {}}
    rss: list[float] = []
    for key, script in scripts.items():
        scenario = SCENARIO_BY_KEY[key]
        token = tokens.get(scenario.caller)  # None: anonymous
        server = Server(variant, variant.root or app_root, env,
                        workdir / f"{db.kind}-{variant.key}-{key}.log")
        try:
            started = time.monotonic()
            server.wait_ready(tokens["admin"])
            result.setdefault("ready_seconds", round(time.monotonic() - started, 2))
            samples = result.setdefault("_samples", {})
            paths = ([scenario_path(scenario, db, 1),
                      scenario_path(scenario, db, len(db.alliance_ids) // 2)]
                     if "{id}" in scenario.path else [scenario_path(scenario, db)])
            for path in paths:
                status, body = http_get(server.base + path, token)
                if status != 200:
                    raise RuntimeError(f"{variant.key} {path}: {status} {body[:300]!r}")
                samples[f"{key} {path}"] = json.loads(body)
            # One at a time *before* any load: after a saturating load the server still works
            # off the requests queued behind its limiter, and a slow endpoint's backlog (50
            # connections x its time) would be measured instead of the endpoint.
            seq = sequential(server, scenario, db, token, args.sequential) if args.sequential else {}
            url = server.base + scenario_path(scenario, db, 1)
            warm = run_wrk(url, token, script, args.warmup, args) if args.warmup else None
            dump = server.thread_dump() if warm is not None and warm["requests"] == 0 else []
            if any("pool/impl.py" in line for line in dump):
                # Nothing came back and a thread waits for a pooled connection: the pool/limiter
                # deadlock (docs/PERFORMANCE.md). Record where it hangs instead of measuring zeros.
                measured = {**warm, "stalled": True, "server_cpu_pct": None,
                            "note": f"0 responses in the {args.warmup} s warm-up, a thread waits "
                                    "in the connection pool; measured run skipped",
                            "thread_dump": dump}
            else:
                measured = measure(server, url, token, script, db, args)
                if measured["requests"] == 0 and (measured["socket_errors"] or seq.get("seq_requests")):
                    # Served (one at a time, or wrk timed out), but no answer within the run or
                    # wrk's timeout at this many connections: slow, not stalled.
                    measured.update(timed_out=True, note=f"every answer took longer than wrk's "
                                    f"{args.wrk_timeout} s timeout at {args.connections} connections")
                elif measured["requests"] == 0:
                    measured.update(stalled=True, thread_dump=server.thread_dump(),
                                    note="0 responses in the measured run")
            if seq:
                measured.update(seq)
            status_now = tree_status(server.proc.pid)
            measured["peak_rss_mib"] = round(status_now.get("VmHWM", 0) / 1024, 1)
            measured["threads_at_end"] = status_now.get("Threads")
            measured["loop"] = server.loop
            rss.append(measured["peak_rss_mib"])
            result["endpoints"][key] = measured
            print(f"  {db.kind:10} {variant.key:18} {key:4} {measured['rps']:8.1f} req/s  "
                  f"p99 {measured['p99_ms']:8.2f} ms  cpu {measured['server_cpu_pct']}%  "
                  f"non-2xx {measured['non_2xx']}  errors {measured['socket_errors']}  "
                  f"others {measured.get('foreign_cpu_pct')}%  loop {server.loop}"
                  + ("  STALLED" if measured.get("stalled") else ""), flush=True)
        finally:
            server.stop(force=bool(result["endpoints"].get(key, {}).get("stalled")))
    result["peak_rss_mib"] = max(rss) if rss else None
    return result


# --- the run -----------------------------------------------------------------------------------

def export_app(ref: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="buendnis-bench-app-"))
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def markdown(results: dict[str, Any]) -> str:
    """One table per database and scenario: medians over the repeats; the ratio is the median
    of each repeat's ratio to that repeat's probe."""
    lines = []
    for kind, db in results["databases"].items():
        lines.append(f"\n**{kind}** ({db['data']['alliance']} alliances, "
                     f"{db['data'].get('survey_response', 0)} responses, "
                     f"{db['data'].get('evaluation', 0)} evaluations, "
                     f"{db['data'].get('award', 0)} seals, {db['data'].get('event', 0)} events, "
                     f"{db['data']['alliance_partner']} partners, "
                     f"{db['data']['alliance_contact']} contacts; medians of "
                     f"{results.get('repeat', 1)} run(s))")
        scenarios = [k for k in ENDPOINTS if any(k in v.get("endpoints", {})
                                                  for v in db["variants"].values())]
        for ep in scenarios:
            lines.append(f"\n`{ENDPOINTS[ep][0]}`\n")
            lines.append("| variant | req/s | × probe | p99 ms | CPU ms/req | req/s per run |")
            lines.append("|---|---:|---:|---:|---:|---|")
            for key, v in db["variants"].items():
                if "error" in v:
                    lines.append(f"| {key} | failed: {v['error'][:60]} | | | | |")
                    continue
                m = v["endpoints"].get(ep)
                if not m:
                    continue
                if m.get("timed_out"):
                    lines.append(f"| {key} | **0 (every answer > wrk timeout)** | 0 | – | – | |")
                    continue
                if m.get("stalled"):
                    lines.append(f"| {key} | **0 (stalled)** | 0 | – | – | |")
                    continue
                flag = " ⚠" if m["non_2xx"] or m["socket_errors"] else ""
                if (m.get("foreign_cpu_pct") or 0) > 10:
                    flag += " †"
                cpu = m.get("server_cpu_ms_per_request")
                ratio = m.get("ratio_to_probe")
                runs = ", ".join(f"{r['rps']:,.0f}" for r in m.get("runs", []))
                lines.append(f"| {key} | {m['rps']:,.0f}{flag} | "
                             f"{ratio:.3f} | " if ratio is not None else f"| {key} | {m['rps']:,.0f}{flag} | | ")
                lines[-1] += (f"{m['p99_ms']:.1f} | {cpu:.2f} | {runs} |" if cpu is not None
                              else f"{m['p99_ms']:.1f} | | {runs} |")
    lines.append("\n⚠ non-2xx answers or socket errors; † other processes used more than 10 % "
                 "of the machine (median over the runs); stalled: no response at all.")
    if results.get("growth"):
        lines.append("\n**Growth** (cost at xN / cost at x1, same variant; target <= 1.3): CPU ms "
                     "per request, and req/s at x1 / req/s at xN\n")
        lines.append("| db | variant | scenario | CPU ms/req x1 | CPU ms/req xN | CPU ratio | "
                     "req/s x1 | req/s xN | req/s ratio | × probe x1 | × probe xN |")
        lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for g in results["growth"]:
            lines.append(
                f"| {g['db']} | {g['variant']} | {g['scenario']} | {_num(g['cpu_ms_x1'])} | "
                f"{_num(g['cpu_ms_xN'])} | **{_num(g['cpu_ratio'])}** | {_num(g['rps_x1'], 0)} | "
                f"{_num(g['rps_xN'], 0)} | {_num(g['rps_cost_ratio'])} | "
                f"{_num(g['ratio_to_probe_x1'], 3)} | {_num(g['ratio_to_probe_xN'], 3)} |")
    if results.get("processes"):
        lines.append("\n**Processes** (2 uvicorn workers / 1 process, same run; target >= 1.7)\n")
        lines.append("| db | pair | scenario | req/s 1 proc | req/s 2 proc | ratio | CPU ms/req 1 | "
                     "CPU ms/req 2 | wrk CPU % (2 proc) |")
        lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
        for g in results["processes"]:
            lines.append(
                f"| {g['db']} | {g['two']} / {g['one']} | {g['scenario']} | {_num(g['rps_1'], 0)} | "
                f"{_num(g['rps_2'], 0)} | **{_num(g['ratio'])}** | {_num(g['cpu_ms_1'])} | "
                f"{_num(g['cpu_ms_2'])} | {_num(g['wrk_cpu_pct_2'], 0)} |")
    return "\n".join(lines)


def _num(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 3) if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def growth(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per database, variant and scenario: what a request costs at scale N against scale 1."""
    out = []
    entries = results["databases"]
    for big in entries.values():
        if big.get("scale", 1) == 1:
            continue
        small = next((e for e in entries.values()
                      if e.get("kind") == big["kind"] and e.get("scale") == 1), None)
        if small is None:
            continue
        for key, variant in big["variants"].items():
            base = small["variants"].get(key, {}).get("endpoints", {})
            for ep, m in variant.get("endpoints", {}).items():
                b = base.get(ep)
                if not b:
                    continue
                cpu_1, cpu_n = b.get("server_cpu_ms_per_request"), m.get("server_cpu_ms_per_request")
                out.append({
                    "db": big["kind"], "scale": big["scale"], "variant": key, "scenario": ep,
                    "cpu_ms_x1": cpu_1, "cpu_ms_xN": cpu_n, "cpu_ratio": _ratio(cpu_n, cpu_1),
                    "rps_x1": b.get("rps"), "rps_xN": m.get("rps"),
                    "rps_cost_ratio": _ratio(b.get("rps"), m.get("rps")),
                    "p50_ms_x1": b.get("p50_ms"), "p50_ms_xN": m.get("p50_ms"),
                    "seq_ms_x1": b.get("seq_ms_median"), "seq_ms_xN": m.get("seq_ms_median"),
                    "seq_ratio": _ratio(m.get("seq_ms_median"), b.get("seq_ms_median")),
                    "seq_cpu_x1": b.get("seq_cpu_ms_per_request"),
                    "seq_cpu_xN": m.get("seq_cpu_ms_per_request"),
                    "seq_cpu_ratio": _ratio(m.get("seq_cpu_ms_per_request"),
                                            b.get("seq_cpu_ms_per_request")),
                    "ratio_to_probe_x1": b.get("ratio_to_probe"),
                    "ratio_to_probe_xN": m.get("ratio_to_probe"),
                })
    return out


PROCESS_PAIRS = (("app-2proc-limiter-1", "app-limiter-1"), ("probe-2proc", "probe"))


def processes(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Two worker processes against one, per database and scenario (same run)."""
    out = []
    for name, entry in results["databases"].items():
        for two, one in PROCESS_PAIRS:
            a, b = entry["variants"].get(two), entry["variants"].get(one)
            if not a or not b or "error" in a or "error" in b:
                continue
            for ep, m in a.get("endpoints", {}).items():
                base = b.get("endpoints", {}).get(ep)
                if not base:
                    continue
                wrk = [r.get("wrk_cpu_pct") for r in m.get("runs", [])]
                out.append({
                    "db": name, "two": two, "one": one, "scenario": ep, "rps_1": base.get("rps"),
                    "rps_2": m.get("rps"), "ratio": _ratio(m.get("rps"), base.get("rps")),
                    "cpu_ms_1": base.get("server_cpu_ms_per_request"),
                    "cpu_ms_2": m.get("server_cpu_ms_per_request"),
                    "wrk_cpu_pct_2": statistics.median([w for w in wrk if w is not None])
                    if any(w is not None for w in wrk) else None,
                })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Bündnisportal request benchmark")
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--variants", default=",".join(v.key for v in VARIANTS if v.default),
                        help="comma-separated keys, or 'all'; the slots-limiter-N variants "
                        "(the request-slot alternative to the Db.run fix) run only when asked")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wrk-timeout", type=int, default=5,
                        help="seconds before wrk gives up on an answer (counted as an error)")
    parser.add_argument("--sequential", type=int, default=20,
                        help="before each load, this many requests one at a time (median latency "
                        "and CPU per request without queueing; 0 = off)")
    parser.add_argument("--alliances", type=int, default=650)
    parser.add_argument("--scale", default="1",
                        help="comma-separated data sizes, as multiples of --alliances: '1,100' "
                        "measures everything at 650 and at 65,000 alliances (one response each in "
                        "the current cycle, partners, seals, events in proportion) and reports "
                        "the cost ratio xN/x1 per scenario (issue 12: <= 1.3)")
    parser.add_argument("--nice", type=int, default=-10 if os.geteuid() == 0 else 0,
                        help="niceness of server and wrk (default -10 as root: other processes "
                        "on a shared machine then disturb the run less; 0 = off)")
    parser.add_argument("--quiet-wait", type=float, default=3,
                        help="seconds to wait for an idle machine before each measured run")
    parser.add_argument("--app-ref", help="benchmark this git ref (exported with git archive) "
                        "instead of the working tree")
    parser.add_argument("--baseline-ref", help="also serve this git ref (variant 'before', "
                        "limiter 1) in the same run: before/after with the same probe")
    parser.add_argument("--scenarios", default=",".join(s.key for s in SCENARIOS),
                        help="comma-separated: " + ", ".join(s.key for s in SCENARIOS))
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every variant and scenario this many times (interleaved); "
                        "the tables give medians, ratios are medians of same-repeat ratios")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/<ts>.json)")
    args = parser.parse_args()

    global NICE
    NICE = args.nice
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    wanted = [v.key for v in VARIANTS] if args.variants == "all" else args.variants.split(",")
    unknown = set(wanted) - {v.key for v in VARIANTS}
    if unknown:
        sys.exit(f"unknown variants: {sorted(unknown)}")
    variants = [v for v in VARIANTS if v.key in wanted]
    scales = [int(n) for n in args.scale.split(",")]
    if scales[0] != 1 and len(scales) > 1:
        sys.exit("--scale: start with 1 (the growth ratios are to scale 1)")
    scenario_keys = args.scenarios.split(",")
    if set(scenario_keys) - set(SCENARIO_BY_KEY):
        sys.exit(f"unknown scenarios: {sorted(set(scenario_keys) - set(SCENARIO_BY_KEY))}")
    baseline_root = export_app(args.baseline_ref) if args.baseline_ref else None
    if baseline_root is not None:
        variants.insert(1 if variants and variants[0].key == "probe" else 0, Variant(
            "before", f"the app at {args.baseline_ref} (git archive), limiter 1", "app.main:app",
            env={"BUENDNIS_DB_CONCURRENCY": "1"}, root=baseline_root))

    app_root = export_app(args.app_ref) if args.app_ref else REPO
    os.environ["BUENDNIS_BENCH_APP_ROOT"] = str(app_root)
    secret = secrets.token_urlsafe(48)
    os.environ["BUENDNIS_JWT_SECRET"] = secret  # minting here, verifying in the servers
    sys.path.insert(0, str(BENCH))
    from generate import bench_database  # (puts app_root first on sys.path)

    from app.core import security

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="buendnis-bench-run-"))
    results: dict[str, Any] = {
        "started_at": stamp,
        "app": {
            "root": "working tree" if not args.app_ref else f"git archive {args.app_ref}",
            "commit": git("rev-parse", args.app_ref or "HEAD"),
            "working_tree_dirty": bool(git("status", "--porcelain", "--", "app", "migrations"))
            if not args.app_ref else False,
            "baseline": {"ref": args.baseline_ref, "commit": git("rev-parse", args.baseline_ref)}
            if args.baseline_ref else None,
        },
        "repeat": args.repeat,
        "scales": scales,
        "uptime_before": Path("/proc/loadavg").read_text().strip(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "cpu_model": next((line.split(":", 1)[1].strip() for line in
                                       Path("/proc/cpuinfo").read_text().splitlines()
                                       if line.startswith("model name")), "?")},
        "versions": versions(),
        "load": {"tool": "wrk", "nice": args.nice, "threads": args.threads, "connections": args.connections,
                 "duration_s": args.duration, "warmup_s": args.warmup, "host": "127.0.0.1",
                 "endpoints": {k: v[0] for k, v in ENDPOINTS.items() if k in scenario_keys}},
        "databases": {},
    }
    started = time.monotonic()
    try:
        for kind, scale in [(k, n) for k in args.db.split(",") for n in scales]:
            name = kind if scale == 1 else f"{kind} x{scale}"
            print(f"\n== {name}: migrating and loading data ({args.alliances * scale} alliances) …",
                  flush=True)
            with bench_database(kind, args.alliances * scale) as db:
                lifetime = timedelta(hours=max(2, args.repeat))
                tokens = {
                    "admin": security.create_access_token(
                        "user", db.admin_id, session_id=db.admin_session_id, lifetime=lifetime)[0],
                    "user": security.create_access_token(
                        "user", db.user_id, session_id=db.user_session_id, lifetime=lifetime)[0],
                }
                scripts = {}
                for key in scenario_keys:
                    script = workdir / f"{db.kind}-{key}.lua"
                    script.write_text(lua_for(SCENARIO_BY_KEY[key], db))
                    scripts[key] = script
                print(f"   {db.counts} in {db.seconds} s", flush=True)
                entry: dict[str, Any] = {"kind": kind, "scale": scale, "data": db.counts,
                                         "setup_seconds": db.seconds, "variants": {},
                                         "repeats": []}
                results["databases"][name] = entry
                for repeat in range(args.repeat):
                    if args.repeat > 1:
                        print(f"  -- repeat {repeat + 1} of {args.repeat}", flush=True)
                    this_repeat: dict[str, Any] = {}
                    for variant in variants:
                        try:
                            this_repeat[variant.key] = bench_variant(
                                variant, db, tokens, secret, app_root, scripts, workdir, args)
                        except Exception as exc:  # keep going: one broken variant is a finding
                            print(f"  {name} {variant.key}: FAILED {exc}", flush=True)
                            this_repeat[variant.key] = {"label": variant.label,
                                                        "error": str(exc)[:2000]}
                    _compare(this_repeat)
                    entry["repeats"].append(this_repeat)
                entry["variants"] = _medians(entry["repeats"])
        results["growth"] = growth(results)
        results["processes"] = processes(results)
    finally:
        results["total_seconds"] = round(time.monotonic() - started, 1)
        if args.app_ref:
            shutil.rmtree(app_root, ignore_errors=True)
        if baseline_root is not None:
            shutil.rmtree(baseline_root, ignore_errors=True)
    results["uptime_after"] = Path("/proc/loadavg").read_text().strip()
    out = args.out or RESULTS / f"{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(markdown(results))
    print(f"\nwrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out} "
          f"in {results['total_seconds']} s; server logs in {workdir}")


MEDIAN_FIELDS = ("rps", "ratio_to_probe", "p50_ms", "p99_ms", "server_cpu_ms_per_request",
                 "postgres_cpu_ms_per_request", "foreign_cpu_pct", "peak_rss_mib",
                 "seq_ms_median", "seq_cpu_ms_per_request")


def _medians(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """Per variant and scenario: each repeat's ratio to that repeat's probe, then the median of
    every figure over the repeats (``runs`` keeps the single values)."""
    for this_repeat in repeats:
        probe = this_repeat.get("probe", {}).get("endpoints", {})
        for v in this_repeat.values():
            v.pop("_samples", None)
            for ep, m in v.get("endpoints", {}).items():
                base = probe.get(ep, {}).get("rps")
                m["ratio_to_probe"] = round(m["rps"] / base, 3) if base else None
    merged: dict[str, Any] = {}
    for key in repeats[0]:
        runs = [r[key] for r in repeats if key in r and "error" not in r[key]]
        if not runs:
            merged[key] = repeats[0][key]
            continue
        out = {k: v for k, v in runs[0].items() if k not in ("endpoints",)}
        out["endpoints"] = {}
        for ep in runs[0]["endpoints"]:
            values = [r["endpoints"][ep] for r in runs if ep in r["endpoints"]]
            m: dict[str, Any] = {}
            for name in MEDIAN_FIELDS:
                numbers = [v[name] for v in values if isinstance(v.get(name), int | float)]
                m[name] = round(statistics.median(numbers), 3) if numbers else None
            m["non_2xx"] = sum(v.get("non_2xx", 0) for v in values)
            m["socket_errors"] = sum(v.get("socket_errors", 0) for v in values)
            m["stalled"] = any(v.get("stalled") for v in values)
            m["timed_out"] = any(v.get("timed_out") for v in values)
            m["runs"] = values
            out["endpoints"][ep] = m
        out["same_json_as_app"] = all(r.get("same_json_as_app", True) for r in runs)
        merged[key] = out
    return merged


def _compare(variants: dict[str, Any]) -> None:
    """Every variant must answer with the same JSON as the real app (limiter 1)."""
    reference = variants.get(REFERENCE, {}).get("_samples")
    if reference is None:
        return
    for key, v in variants.items():
        samples = v.get("_samples")
        if samples is None or key == REFERENCE:
            continue
        diffs = {path: d for path, body in samples.items()
                 if (d := first_difference(reference[path], body))}
        v["same_json_as_app"] = not diffs
        if diffs:
            v["json_differences"] = diffs
            print(f"  note: {key} answers differently: {diffs}", flush=True)


if __name__ == "__main__":
    main()
