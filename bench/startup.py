"""Start-up: how long ``import app.main`` takes, and launch to the first 200 on /healthz.

    .venv/bin/python bench/startup.py                        # the working tree, 5 runs each
    .venv/bin/python bench/startup.py --app-ref main --app-ref HEAD --repeat 7

Each run is a fresh interpreter. Reported: the median (and min/max) of the wall time and of
the CPU time of the import (CPU time is steadier on a shared machine), and of the time from
``Popen`` of uvicorn to the first 200 on /healthz (SQLite file, development settings). With
``--app-ref`` the tree is exported with ``git archive`` into a temporary directory and, unless
``--no-bytecode``, compiled to bytecode first (a deployed image ships it; this environment sets
PYTHONDONTWRITEBYTECODE, so an uncompiled tree is compiled from source on every start).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = sys.executable
IMPORT_PROBE = (
    "import time, sys; w = time.perf_counter(); c = time.process_time(); import app.main; "
    "print(time.perf_counter() - w, time.process_time() - c, "
    "' '.join(m for m in ('openpyxl', 'reportlab', 'icalendar', 'PIL', 'pypdf') if m in sys.modules))"
)


def export(ref: str, bytecode: bool) -> Path:
    target = Path(tempfile.mkdtemp(prefix="buendnis-startup-"))
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    if bytecode:
        subprocess.run([PYTHON, "-m", "compileall", "-q", str(target / "app")], check=True)
    return target


def env_for(root: Path, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUENDNIS_")}
    env.update(PYTHONPATH=str(root), BUENDNIS_DATABASE_URL=f"sqlite:///{db}",
               BUENDNIS_LOG_LEVEL="WARNING")
    return env


def time_import(root: Path, env: dict[str, str]) -> tuple[float, float, str]:
    out = subprocess.run([PYTHON, "-c", IMPORT_PROBE], cwd=root, env=env, capture_output=True,
                         text=True, check=True).stdout.split(maxsplit=2)
    return float(out[0]), float(out[1]), (out[2].strip() if len(out) > 2 else "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_first_healthz(root: Path, env: dict[str, str], timeout: float = 60) -> float:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([PYTHON, "-m", "uvicorn", "app.main:app", "--port", str(port),
                             "--log-level", "warning"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("no 200 on /healthz")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


def measure(root: Path, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "startup.db"
        env = env_for(root, db)
        subprocess.run([PYTHON, "-m", "app.cli", "migrate"], cwd=root, env=env, check=True,
                       capture_output=True)
        time_import(root, env)  # warm the file cache
        walls, cpus, loaded = [], [], ""
        for _ in range(repeat):
            wall, cpu, loaded = time_import(root, env)
            walls.append(wall)
            cpus.append(cpu)
        healthz = [time_first_healthz(root, env) for _ in range(repeat)]
    return {"import_wall_s": summary(walls), "import_cpu_s": summary(cpus),
            "first_healthz_s": summary(healthz), "heavy_modules_loaded": loaded or "none"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-ref", action="append", help="git ref(s) to compare")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-bytecode", action="store_true",
                        help="do not compile the exported tree (every start compiles it)")
    args = parser.parse_args()
    results: dict[str, Any] = {"loadavg_before": os.getloadavg()[0], "python": sys.version.split()[0]}
    for ref in args.app_ref or [None]:
        root = export(ref, not args.no_bytecode) if ref else REPO
        results[ref or "working tree"] = measure(root, args.repeat)
        print(ref or "working tree", json.dumps(results[ref or "working tree"]), flush=True)
    results["loadavg_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
