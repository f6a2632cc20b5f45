"""An evaluation run over many submitted responses: responses per second.

    .venv/bin/python bench/evaluation.py [--db sqlite postgresql] [--responses 60000] [--rounds 3]

A fresh benchmark database (``bench/generate.py``) with ``--responses`` alliances (and their
partners), a closed cycle with the standard questionnaire and seal criteria
(``tests/factories.py``: a group score, the registry's partner count, an answer, the total
score, the interest in the seal), and one submitted, scored response per alliance (varied
answers, written with Core). Each round is ``POST /api/v1/cycles/{slug}/evaluation`` as an admin
through the whole application (Starlette's TestClient): criteria checked, every response read,
scored facts built, every criterion decided with its German explanation, one Evaluation row
per response stored. Prints the median seconds and responses/s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("BUENDNIS_LOG_LEVEL", "WARNING")

from batch import answers_for, versions  # noqa: E402
from generate import bench_database  # noqa: E402


def populate(url: str, n: int) -> tuple[str, dict[str, str]]:
    """The cycle (closed, questionnaire, criteria), n submitted responses; admin headers."""
    os.environ["BUENDNIS_DATABASE_URL"] = url
    from app.core.config import get_settings
    from app.core.db import get_engine, utcnow
    get_settings.cache_clear()
    get_engine.cache_clear()
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from app.alliances.models import Alliance
    from app.auth.models import Role
    from app.cycles.models import CycleStatus
    from app.questionnaire.rules import score
    from app.surveys.models import SurveyResponse
    from tests import factories

    with Session(get_engine(), expire_on_commit=False) as session:
        now = utcnow()
        cycle = factories.make_cycle(session, status=CycleStatus.survey_closed,
                                     opens_at=now - timedelta(days=60),
                                     closes_at=now - timedelta(days=1))
        questions = factories.make_questions(session, cycle)
        factories.make_criteria(session, cycle)
        admin = factories.make_user(session, Role.admin)
        headers = factories.user_headers(admin)
        ids = list(session.exec(select(Alliance.id).order_by(Alliance.id)).all())[:n]
        rows = []
        for i, alliance_id in enumerate(ids):
            answers = answers_for(i)
            result = score(questions, answers)
            rows.append({
                "cycle_id": cycle.id, "alliance_id": alliance_id, "status": "submitted",
                "answers": answers, "wants_future_project": i % 3 != 0, "wants_seal": i % 4 != 0,
                "reported_status": None, "wants_finder_listing": None, "mode": "online",
                "entered_by": "user:1", "activity_score": result.total,
                "score_breakdown": result.breakdown, "submitted_at": now, "submitted_by": "user:1",
                "reopened_reason": None, "version": 1, "created_at": now, "updated_at": now,
            })
        connection = session.connection()
        for start in range(0, len(rows), 5000):
            connection.execute(insert(SurveyResponse.__table__), rows[start:start + 5000])
        session.commit()
    if len(ids) < n:
        raise SystemExit(f"only {len(ids)} alliances for {n} responses")
    return cycle.slug, headers


def bench_one(kind: str, n: int, rounds: int) -> dict[str, Any]:
    from starlette.testclient import TestClient
    setup_started = time.perf_counter()
    with bench_database(kind, n_alliances=n) as data:
        slug, headers = populate(data.url, n)
        setup = time.perf_counter() - setup_started
        from app.main import create_app
        walls, cpus = [], []
        with TestClient(create_app()) as client:
            for round_ in range(rounds):
                started, cpu = time.perf_counter(), time.process_time()
                r = client.post(f"/api/v1/cycles/{slug}/evaluation", headers=headers,
                                json={"reason": f"Benchmark-Lauf {round_}"})
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
                if r.status_code != 201 or r.json()["evaluated_count"] != n:
                    raise SystemExit(f"run failed: {r.status_code} {r.text[:500]}")
        from app.core.db import get_engine
        get_engine().dispose()
    wall = statistics.median(walls)
    return {"db": kind, "responses": n, "rounds": rounds, "seconds": round(wall, 3),
            "responses_per_s": round(n / wall), "cpu_seconds": round(statistics.median(cpus), 3),
            "all": [round(s, 3) for s in walls], "setup_seconds": round(setup, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--responses", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    results = [bench_one(kind, args.responses, args.rounds) for kind in args.db]
    print(json.dumps(versions()))
    print(f"{'db':<11} {'responses':>9} {'run s':>7} {'responses/s':>11} {'cpu s':>6} {'setup s':>7}")
    for r in results:
        print(f"{r['db']:<11} {r['responses']:>9} {r['seconds']:>7} {r['responses_per_s']:>11} "
              f"{r['cpu_seconds']:>6} {r['setup_seconds']:>7}")
    if args.json:
        Path(args.json).write_text(json.dumps({"versions": versions(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
