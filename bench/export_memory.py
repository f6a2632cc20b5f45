"""Peak memory of the streamed responses export: 1,000 rows against 100,000 rows.

    .venv/bin/python bench/export_memory.py                 # 1,000 vs 100,000 responses, CSV
    .venv/bin/python bench/export_memory.py --xlsx          # also the XLSX export
    .venv/bin/python bench/export_memory.py --rows 20000    # a quicker run

Builds a temporary SQLite database with the real migrations, bulk-inserts (SQLAlchemy Core)
one alliance per response and two cycles with the same questionnaire — a small one with
``--small`` responses and a large one with ``--rows`` — then downloads
``GET /api/v1/cycles/{cycle}/responses/export.csv`` through the application in-process with
httpx and reports the peak of Python allocations (tracemalloc) during each download.

httpx's own ``ASGITransport`` collects the whole body before it returns a response, which
would measure the client, not the server; ``StreamingASGITransport`` below hands chunks to the
reader as the app sends them, through a queue of at most ``QUEUE_CHUNKS`` chunks, so a slow
reader holds the app back exactly as a socket would. If the export streams, the peak is set by
one batch of rows, not by the number of rows: the ratio large/small stays near 1.

Not part of the test suite (a timing- and machine-dependent measurement is no test).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUEUE_CHUNKS = 4
INSERT_BATCH = 5000

QUESTIONS: list[dict[str, Any]] = [
    {"key": "partner_meetings", "text": "Wie oft trifft sich das Bündnis im Jahr?",
     "type": "integer", "required": True, "criterion_group": "networking",
     "scoring": {"kind": "per_unit", "points_per_unit": 1, "cap": 6}, "weight": 1.0, "options": []},
    {"key": "press_coverage", "text": "Wurde in der Presse über das Bündnis berichtet?",
     "type": "boolean", "required": True, "criterion_group": "visibility",
     "scoring": {"kind": "if_yes", "points": 3}, "weight": 1.0, "options": []},
    {"key": "offer_frequency", "text": "Wie regelmäßig gibt es Angebote für Familien?",
     "type": "single_choice", "required": True, "criterion_group": "offers",
     "options": [{"value": "rarely", "label": "selten", "points": 0},
                 {"value": "quarterly", "label": "vierteljährlich", "points": 2},
                 {"value": "monthly", "label": "monatlich", "points": 4}],
     "scoring": {"kind": "per_option"}, "weight": 2.0},
    {"key": "future_topics", "text": "Zu welchen Zukunftsthemen arbeitet das Bündnis?",
     "type": "multi_choice", "required": False, "criterion_group": "future",
     "options": [{"value": v, "label": v, "points": 1}
                 for v in ("care_work", "childcare", "low_income", "company_policy")],
     "scoring": {"kind": "per_option"}, "weight": 1.0},
    {"key": "remarks", "text": "Anmerkungen", "type": "text", "required": False,
     "scoring": {"kind": "none"}, "weight": 0.0, "options": []},
    {"key": "last_event_on", "text": "Datum der letzten Veranstaltung", "type": "date",
     "required": False, "scoring": {"kind": "none"}, "weight": 0.0, "options": []},
]
STATES = ["DE-SH", "DE-HH", "DE-NI", "DE-HB", "DE-NW", "DE-HE", "DE-RP", "DE-BW", "DE-BY",
          "DE-SL", "DE-BE", "DE-BB", "DE-MV", "DE-SN", "DE-ST", "DE-TH"]
MODES = ["online", "phone_interview", "partner_import", "admin_entry"]
TOPICS = ["care_work", "childcare", "low_income", "company_policy"]


def _answers(i: int) -> dict[str, Any]:
    return {
        "partner_meetings": i % 13, "press_coverage": i % 3 != 0,
        "offer_frequency": ("rarely", "quarterly", "monthly")[i % 3],
        "future_topics": TOPICS[: i % 5],
        "remarks": f"Grüße aus dem Bündnis Nr. {i}: Väter-Café, Ferienbetreuung, Familientag "
                   "und ein „Familienwegweiser“ für die Gemeinde.",
        "last_event_on": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
    }


def populate(url: str, large: int, small: int) -> tuple[int, int, str, str]:
    """The admin's id and the slugs of the small and the large cycle."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import insert, select

    from app.alliances.models import Alliance
    from app.auth.models import AuthSession, User
    from app.core.db import make_engine
    from app.cycles.models import AwardCycle
    from app.questionnaire.models import Question
    from app.surveys.models import SurveyResponse
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    engine = make_engine(url, null_pool=True)
    now = datetime.now(UTC)
    tables: dict[str, Any] = {
        "alliance": Alliance.__table__, "user": User.__table__, "cycle": AwardCycle.__table__,
        "question": Question.__table__, "response": SurveyResponse.__table__,
    }
    with engine.begin() as conn:
        conn.execute(insert(tables["user"]), [{
            "email": "admin@bench.example.org", "full_name": "Bench Admin", "role": "admin",
            "alliance_id": None, "is_active": True, "password_hash": None, "version": 1,
            "created_at": now, "updated_at": now,
        }])
        admin_id = conn.execute(select(tables["user"].c.id)).scalar_one()
        conn.execute(insert(AuthSession.__table__), [{"user_id": admin_id, "created_at": now}])
        session_id = conn.execute(select(AuthSession.__table__.c.id)).scalar_one()
        cycle_ids = {}
        for key, slug in (("2023/24", "2023-24"), ("2024/25", "2024-25")):
            conn.execute(insert(tables["cycle"]), [{
                "key": key, "slug": slug, "seal_title": f"Ausgezeichnetes Bündnis {key}",
                "opens_at": now - timedelta(days=60), "closes_at": now - timedelta(days=1),
                "status": "survey_closed", "version": 1, "created_at": now, "updated_at": now,
            }])
            cycle_ids[slug] = conn.execute(
                select(tables["cycle"].c.id).where(tables["cycle"].c.slug == slug)).scalar_one()
            conn.execute(insert(tables["question"]), [
                {"help_text": None, "required": False, "criterion_group": None, "options": [],
                 **q, "cycle_id": cycle_ids[slug], "position": position}
                for position, q in enumerate(QUESTIONS)
            ])
        for start in range(1, large + 1, INSERT_BATCH):
            ids = range(start, min(start + INSERT_BATCH, large + 1))
            conn.execute(insert(tables["alliance"]), [{
                "id": i, "name": f"Lokales Bündnis für Familie Musterstadt {i}",
                "slug": f"musterstadt-{i}", "state": STATES[i % 16], "level": "city",
                "status": "active", "listed_in_finder": True, "version": 1,
                "created_at": now, "updated_at": now,
            } for i in ids])
            for slug, upto in (("2023-24", small), ("2024-25", large)):
                rows = [{
                    "cycle_id": cycle_ids[slug], "alliance_id": i, "status": "submitted",
                    "answers": _answers(i), "wants_future_project": i % 2 == 0,
                    "wants_seal": i % 4 != 0, "reported_status": None,
                    "wants_finder_listing": True, "mode": MODES[i % 4],
                    "entered_by": f"user:{1 + i % 50}", "activity_score": round(i % 190 / 10, 1),
                    "score_breakdown": [], "submitted_at": now - timedelta(minutes=i),
                    "submitted_by": f"user:{1 + i % 50}", "version": 1,
                    "created_at": now, "updated_at": now,
                } for i in ids if i <= upto]
                if rows:
                    conn.execute(insert(tables["response"]), rows)
    engine.dispose()
    return admin_id, session_id, "2023-24", "2024-25"


class _QueuedBody(httpx.AsyncByteStream):
    """An httpx response body fed by the app through a bounded queue."""

    def __init__(self, queue: asyncio.Queue[bytes | None], task: asyncio.Task[None]) -> None:
        self.queue = queue
        self.task = task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.queue.get()) is not None:
            yield chunk
        await self.task  # re-raises what the app raised

    async def aclose(self) -> None:
        if not self.task.done():
            self.task.cancel()


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """An in-process httpx transport that streams the response body (see the module notes)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        body = b"".join([part async for part in request.stream])
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        started = asyncio.Event()
        done = asyncio.Event()
        head: dict[str, Any] = {}
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": request.method, "scheme": request.url.scheme, "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0], "query_string": request.url.query,
            "root_path": "", "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "server": (request.url.host, request.url.port or 80), "client": ("127.0.0.1", 1),
        }
        sent_request = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                head.update(status=message["status"], headers=message.get("headers", []))
                started.set()
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    await queue.put(message["body"])  # waits while the reader is behind
                if not message.get("more_body", False):
                    done.set()

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            finally:
                done.set()
                started.set()
                await queue.put(None)

        task = asyncio.create_task(run())
        await started.wait()
        if "status" not in head:
            await task
            raise RuntimeError("the app sent no response")
        return httpx.Response(head["status"], headers=head["headers"],
                              stream=_QueuedBody(queue, task))


async def download(client: httpx.AsyncClient, url: str, headers: dict[str, str], *,
                   trace: bool) -> dict[str, Any]:
    """Read the export chunk by chunk, counting; with ``trace`` also the peak of Python
    allocations (tracemalloc slows allocation-heavy code several times, so time is taken
    from an untraced download)."""
    gc.collect()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    size = newlines = chunks = 0
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.status_code
        async for chunk in response.aiter_raw():
            size += len(chunk)
            newlines += chunk.count(b"\n")
            chunks += 1
    seconds = time.perf_counter() - started
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"newlines": newlines, "bytes": size, "chunks": chunks, "peak": peak,
            "seconds": seconds}


async def measure(admin_id: int, session_id: int, cycles: dict[str, int], xlsx: bool) -> list[dict[str, Any]]:
    """``cycles``: slug → number of responses, smallest first."""
    from app.core import security
    from app.main import create_app

    token, _ = security.create_access_token("user", admin_id, session_id=session_id)
    headers = {"Authorization": f"Bearer {token}"}
    transport = StreamingASGITransport(create_app())
    results = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for fmt in ["csv", "xlsx"] if xlsx else ["csv"]:
            first = next(iter(cycles))
            # Warm-up: imports, statement caches, the first audit insert.
            await download(client, f"/api/v1/cycles/{first}/responses/export.{fmt}", headers,
                           trace=False)
            for slug, rows in cycles.items():
                url = f"/api/v1/cycles/{slug}/responses/export.{fmt}"
                traced = await download(client, url, headers, trace=True)
                timed = await download(client, url, headers, trace=False)
                if fmt == "csv":
                    assert traced["newlines"] == rows + 1, (traced["newlines"], rows)
                results.append({"format": fmt, "cycle": slug, "rows": rows,
                                "bytes": traced["bytes"], "chunks": traced["chunks"],
                                "peak": traced["peak"], "seconds": timed["seconds"]})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="responses in the large cycle")
    parser.add_argument("--small", type=int, default=1_000, help="responses in the small cycle")
    parser.add_argument("--xlsx", action="store_true", help="also measure the XLSX export")
    args = parser.parse_args()

    tmpdir = tempfile.mkdtemp(prefix="buendnis-export-bench-")
    url = f"sqlite:///{tmpdir}/export.db"
    os.environ["BUENDNIS_DATABASE_URL"] = url
    os.environ.setdefault("BUENDNIS_LOG_LEVEL", "WARNING")
    os.environ.pop("BUENDNIS_REDIS_URL", None)
    try:
        started = time.perf_counter()
        admin_id, session_id, small_slug, large_slug = populate(url, args.rows, args.small)
        print(f"generated {args.small:,} + {args.rows:,} responses in "
              f"{time.perf_counter() - started:.1f} s ({tmpdir})")
        results = asyncio.run(measure(admin_id, session_id, {small_slug: args.small, large_slug: args.rows},
                                      args.xlsx))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    print(f"\n{'format':<7}{'rows':>10}{'size':>12}{'chunks':>8}{'peak (tracemalloc)':>20}"
          f"{'time (untraced)':>17}")
    for r in results:
        print(f"{r['format']:<7}{r['rows']:>10,}{r['bytes'] / 1e6:>10.1f}MB{r['chunks']:>8,}"
              f"{r['peak'] / 1e6:>18.2f}MB{r['seconds']:>16.1f}s")
    for fmt in sorted({r["format"] for r in results}):
        small, large = (r for r in results if r["format"] == fmt)
        print(f"{fmt}: {large['rows'] / small['rows']:.0f}x the rows, "
              f"{large['bytes'] / small['bytes']:.0f}x the bytes, "
              f"peak memory ratio {large['peak'] / small['peak']:.2f}")


if __name__ == "__main__":
    main()
