"""The partner batch against raw ``executemany`` of the same rows, in one run.

    .venv/bin/python bench/batch.py [--db sqlite postgresql] [--items 500] [--rounds 5]

For each database: a fresh benchmark database (``bench/generate.py``), then per round a new
open cycle with the standard questionnaire and

* **api**: ``POST /api/v1/cycles/{slug}/responses:batch`` with ``--items`` submitted responses
  of different alliances, sent by a partner system through the whole application in process
  (Starlette's TestClient: routing, authentication, validation, eligibility, scoring,
  revisions, the audit trail, the JSON result);
* **raw**: the same rows (answers, score, breakdown, status ...) written into
  ``survey_response`` of another new cycle with the raw driver (``sqlite3`` /
  ``psycopg``): one ``executemany`` and a commit, no validation, no audit, no revisions.

It prints the median seconds of both, rows/s and the ratio raw/api (the issue's target:
api ≥ 0.40 of raw). ``--json`` writes the numbers to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("BUENDNIS_LIMIT_REQUESTS_PER_MINUTE_CLIENT", "1000000")
os.environ.setdefault("BUENDNIS_LOG_LEVEL", "WARNING")

from generate import bench_database  # noqa: E402

COLUMNS = ("cycle_id", "alliance_id", "status", "answers", "wants_future_project", "wants_seal",
           "reported_status", "wants_finder_listing", "mode", "entered_by", "activity_score",
           "score_breakdown", "submitted_at", "submitted_by", "reopened_reason", "version",
           "created_at", "updated_at")


def answers_for(i: int) -> dict[str, Any]:
    return {"partner_meetings": i % 12, "press_coverage": i % 3 != 0,
            "offer_frequency": ("rarely", "quarterly", "monthly")[i % 3],
            "future_topics": ["childcare", "care_work"][: i % 3],
            "remarks": f"Antwort {i}", "last_event_on": "2024-05-04"}


def setup(url: str, n_items: int) -> tuple[Any, dict[str, str], list[int]]:
    """The app bound to ``url``, a partner system's headers, eligible alliance ids."""
    os.environ["BUENDNIS_DATABASE_URL"] = url
    from app.core.config import get_settings
    from app.core.db import get_engine
    get_settings.cache_clear()
    get_engine.cache_clear()
    from sqlmodel import Session, col

    from app.alliances.models import Alliance
    from app.main import create_app
    from app.surveys.eligibility import eligible_alliance_ids_query
    from tests import factories

    with Session(get_engine(), expire_on_commit=False) as session:
        client = factories.make_client(session, scopes=("surveys:write", "surveys:read"))
        headers = factories.client_headers(client)
        # The app's own rule: not dissolved, and no seal yet (the benchmark data holds seals).
        ids = list(session.exec(eligible_alliance_ids_query().order_by(col(Alliance.id))).all())
    if len(ids) < n_items:
        raise SystemExit(f"only {len(ids)} eligible alliances for {n_items} items")
    return create_app(), headers, [i for i in ids if i is not None][:n_items]


def new_cycle() -> Any:
    from sqlmodel import Session

    from app.core.db import get_engine
    from tests import factories
    with Session(get_engine(), expire_on_commit=False) as session:
        cycle = factories.make_cycle(session)
        factories.make_questions(session, cycle)
    return cycle


def raw_rows(cycle_id: int, alliance_ids: list[int], kind: str) -> list[tuple[Any, ...]]:
    from app.core.db import utcnow
    from app.questionnaire.rules import score
    from tests.factories import STANDARD_QUESTIONS

    class Q:
        def __init__(self, spec: dict[str, Any]) -> None:
            self.key, self.type = spec["key"], spec["type"]
            self.required = spec.get("required", False)
            self.options = spec.get("options", [])
            self.scoring, self.weight = spec["scoring"], spec["weight"]
            self.criterion_group = spec.get("criterion_group")

    questions = [Q(s) for s in STANDARD_QUESTIONS]
    now = utcnow()
    stamp: Any = now if kind == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = []
    for i, alliance_id in enumerate(alliance_ids):
        answers = answers_for(i)
        result = score(questions, answers)
        rows.append((cycle_id, alliance_id, "submitted", json.dumps(answers), True, i % 2 == 0,
                     None, None, "partner_import", "client:1", result.total,
                     json.dumps(result.breakdown), stamp, "client:1", None, 1, stamp, stamp))
    return rows


def raw_insert(url: str, kind: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for one executemany of ``rows`` into survey_response plus the commit."""
    if kind == "sqlite":
        import sqlite3
        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        marks = ", ".join("?" for _ in COLUMNS)
    else:
        import psycopg
        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
        marks = ", ".join("%s" for _ in COLUMNS)
    sql = f"INSERT INTO survey_response ({', '.join(COLUMNS)}) VALUES ({marks})"
    try:
        cursor = conn.cursor()
        started = time.perf_counter()
        cursor.executemany(sql, rows)
        conn.commit()
        return time.perf_counter() - started
    finally:
        conn.close()


def api_push(client: Any, headers: dict[str, str], cycle: Any,
             alliance_ids: list[int]) -> tuple[float, float]:
    """Wall seconds and CPU seconds of this process (every thread) for one batch."""
    # The body is encoded before the clock starts: a partner system encodes it on its side,
    # as the raw baseline builds its rows before timing.
    body = json.dumps({"items": [
        {"alliance": alliance_id, "ref": f"row-{i}", "submit": True, "answers": answers_for(i),
         "wants_future_project": True, "wants_seal": i % 2 == 0}
        for i, alliance_id in enumerate(alliance_ids)
    ]}).encode()
    headers = {**headers, "Content-Type": "application/json"}
    started, cpu = time.perf_counter(), time.process_time()
    response = client.post(f"/api/v1/cycles/{cycle.slug}/responses:batch", content=body,
                           headers=headers)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = response.json()
    if response.status_code != 200 or result["created"] != len(alliance_ids):
        rejected = [item for item in result.get("items", []) if item.get("status") == "rejected"]
        raise SystemExit(f"batch failed: {response.status_code} {str(result)[:300]} rejected: {str(rejected)[:1500]}")
    return seconds, cpu


def bench_one(kind: str, n_items: int, rounds: int) -> dict[str, Any]:
    from starlette.testclient import TestClient
    with bench_database(kind, n_alliances=max(650, int(n_items * 1.2))) as data:
        app, headers, alliance_ids = setup(data.url, n_items)
        api, cpu, raw = [], [], []
        with TestClient(app) as client:
            api_push(client, headers, new_cycle(), alliance_ids[:10])  # warm up
            raw_insert(data.url, kind, raw_rows(new_cycle().id, alliance_ids[:10], kind))
            for _ in range(rounds):
                wall, used = api_push(client, headers, new_cycle(), alliance_ids)
                api.append(wall)
                cpu.append(used)
                raw.append(raw_insert(data.url, kind, raw_rows(new_cycle().id, alliance_ids, kind)))
        from app.core.db import get_engine
        get_engine().dispose()
    api_s, raw_s = statistics.median(api), statistics.median(raw)
    return {"db": kind, "items": n_items, "rounds": rounds,
            "api_seconds": round(api_s, 4), "raw_seconds": round(raw_s, 4),
            "api_cpu_ms_per_row": round(statistics.median(cpu) * 1000 / n_items, 3),
            "api_rows_per_s": round(n_items / api_s), "raw_rows_per_s": round(n_items / raw_s),
            "ratio": round(raw_s / api_s, 3),
            "api_all": [round(s, 4) for s in api], "raw_all": [round(s, 4) for s in raw]}


def versions() -> dict[str, str]:
    import sqlite3

    import psycopg
    import sqlalchemy
    return {"python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
            "sqlite": sqlite3.sqlite_version, "psycopg": psycopg.__version__,
            "machine": f"{platform.machine()} {os.cpu_count()} cores"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    results = [bench_one(kind, args.items, args.rounds) for kind in args.db]
    print(json.dumps(versions()))
    print(f"{'db':<11} {'items':>5} {'api s':>8} {'raw s':>8} {'api rows/s':>10} "
          f"{'raw rows/s':>10} {'ratio':>6} {'api cpu ms/row':>14}")
    for r in results:
        print(f"{r['db']:<11} {r['items']:>5} {r['api_seconds']:>8} {r['raw_seconds']:>8} "
              f"{r['api_rows_per_s']:>10} {r['raw_rows_per_s']:>10} {r['ratio']:>6} "
              f"{r['api_cpu_ms_per_row']:>14}")
    if args.json:
        Path(args.json).write_text(json.dumps({"versions": versions(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
