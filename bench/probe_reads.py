"""The probe's answers to the SPA's other hot reads: raw driver + orjson, the same round trips
as the app and the same JSON body (bench/run.py compares the bodies before every load).

    GET /api/v1/public/seals                           the public seal registry (anonymous)
    GET /api/v1/cycles/{cycle}/responses/{alliance_id}  one response with its score breakdown
    GET /api/v1/events                                 the event list (an alliance user)
    GET /api/v1/cycles/{cycle}/evaluations             the shortlist of the latest run (admin)

One set of handlers serves both databases through a small adapter: SQL is written with ``?``
placeholders (numbered ``$n`` for asyncpg), id lists are ``IN (?, …)`` on SQLite and
``= ANY(?)`` on PostgreSQL. What differs between the drivers is converted here, per value, as a
raw-driver endpoint would: SQLite hands over JSON and timestamps as text and booleans as 0/1,
asyncpg gives JSON as text and timestamps as aware datetimes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JSON = "application/json"


def cursor(values: Sequence[Any]) -> str:
    # app.core.pagination's encoding: dates as isoformat, json.dumps, urlsafe base64 unpadded.
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values],
                     ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _limit(request: Request) -> int:
    return min(max(int(request.query_params.get("limit", 20)), 1), 100)


def _page(items: list[Any], next_cursor: str | None) -> Response:
    return Response(orjson.dumps({"items": items, "next_cursor": next_cursor, "total": None},
                                 option=orjson.OPT_UTC_Z), media_type=JSON)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


class Driver:
    """What a handler needs of the connection: rows, id lists, and value conversion."""

    def __init__(self, rows: Callable[..., Awaitable[list[Any]]], *, sqlite: bool) -> None:
        self.rows = rows
        self.sqlite = sqlite

    def in_ids(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        if self.sqlite:
            return f"IN ({', '.join('?' * len(ids))})", list(ids)
        return "= ANY(?)", [list(ids)]

    def ts(self, value: Any) -> Any:
        """A timestamp for the JSON body (orjson writes aware datetimes with Z)."""
        if value is None or not self.sqlite:
            return value
        # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" (UTC; the bulk writers add "+00:00").
        text = value.removesuffix("+00:00").replace(" ", "T", 1).removesuffix(".000000")
        return text + "Z"

    def dt(self, value: Any) -> datetime:
        """A timestamp as an aware datetime (comparisons, cursors)."""
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- the public seal registry -------------------------------------------------------------------

# The app's statement (app/awards/registry.py): the page's alliances first, the LIMIT written
# into the subquery so SQLite builds no Bloom filter over every award, and CROSS JOIN (SQLite's
# way to keep the subquery as the outer loop; PostgreSQL gets JOIN).
_SEALS_SQL = (
    "SELECT a.name, a.slug, a.municipality, a.state, c.key, w.title, w.awarded_on, w.id, a.id "
    "FROM (SELECT id, name, slug, municipality, state FROM alliance WHERE EXISTS ("
    "SELECT 1 FROM award WHERE award.alliance_id = alliance.id AND award.status = 'confirmed') "
    "ORDER BY name, id LIMIT {limit}) a "
    "{join} award w ON a.id = w.alliance_id JOIN award_cycle c ON c.id = w.cycle_id "
    "WHERE w.status = 'confirmed' ORDER BY a.name, a.id, w.id LIMIT ?"
)


async def public_seals(db: Driver, request: Request) -> Response:
    limit = _limit(request)
    sql = _SEALS_SQL.format(limit=int(limit + 1), join="CROSS JOIN" if db.sqlite else "JOIN")
    rows = await db.rows(sql, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursor([rows[-1][0], rows[-1][8], rows[-1][7]])
    return _page([{"alliance_name": r[0], "alliance_slug": r[1], "municipality": r[2],
                   "state": r[3], "cycle_key": r[4], "title": r[5], "awarded_on": r[6]}
                  for r in rows], next_cursor)


# --- one response with its score breakdown -------------------------------------------------------

_USER_SQL = "SELECT id, role, alliance_id, is_active, erased_at FROM user_account WHERE id = ?"
_CYCLE_SQL = "SELECT id, key FROM award_cycle WHERE slug = ? OR key = ?"
_RESPONSE_COLUMNS = ("id", "cycle_id", "alliance_id", "status", "answers", "wants_future_project",
                     "wants_seal", "reported_status", "wants_finder_listing", "mode", "entered_by",
                     "activity_score", "score_breakdown", "submitted_at", "submitted_by",
                     "reopened_reason", "version", "created_at", "updated_at")
_RESPONSE_SQL = (f"SELECT {', '.join(_RESPONSE_COLUMNS)} FROM survey_response "
                 "WHERE cycle_id = ? AND alliance_id = ?")
_ALLIANCE_NAME_SQL = "SELECT name, slug FROM alliance WHERE id = ?"
_NOT_FOUND = Response(b'{"code":"not_found"}', 404, media_type="application/problem+json")


def _breakdown_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"question": row["question"], "group": row.get("group"), "answered": row["answered"],
            "points": float(row["points"]), "weight": float(row["weight"]),
            "weighted": float(row["weighted"]), "max": _float(row.get("max"))}


async def one_response(db: Driver, request: Request, user_id: int) -> Response:
    user = (await db.rows(_USER_SQL, user_id))[0]
    alliance_id = int(request.path_params["alliance_id"])
    if user[1] != "admin" and user[2] != alliance_id:
        return _NOT_FOUND
    ref = request.path_params["cycle"]
    cycles = await db.rows(_CYCLE_SQL, ref, ref)
    if not cycles:
        return _NOT_FOUND
    found = await db.rows(_RESPONSE_SQL, cycles[0][0], alliance_id)
    if not found:
        return _NOT_FOUND
    names = (await db.rows(_ALLIANCE_NAME_SQL, alliance_id))[0]
    r = dict(zip(_RESPONSE_COLUMNS, found[0], strict=True))
    body = {
        **r, "cycle_key": cycles[0][1], "alliance_name": names[0], "alliance_slug": names[1],
        "answers": orjson.loads(r["answers"]),
        "wants_future_project": _bool(r["wants_future_project"]), "wants_seal": _bool(r["wants_seal"]),
        "wants_finder_listing": _bool(r["wants_finder_listing"]),
        "activity_score": _float(r["activity_score"]),
        "score_breakdown": [_breakdown_row(b) for b in orjson.loads(r["score_breakdown"])],
        "submitted_at": db.ts(r["submitted_at"]), "created_at": db.ts(r["created_at"]),
        "updated_at": db.ts(r["updated_at"]),
    }
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), media_type=JSON,
                    headers={"ETag": f'"response-{r["id"]}-v{r["version"]}"'})


# --- the event list of an alliance user ----------------------------------------------------------

_EVENT_COLUMNS = ("id", "cycle_id", "kind", "status", "title", "summary", "starts_at", "ends_at",
                  "venue", "state", "online_url", "capacity", "registration_closes_at",
                  "invitation_only", "is_public", "workgroup_id", "version", "created_at",
                  "updated_at")
_EVENTS_SQL = (
    f"SELECT {', '.join(_EVENT_COLUMNS)} FROM event WHERE status IN ('published', 'cancelled') "
    "AND (invitation_only = ? OR is_public = ? OR id IN "
    "(SELECT event_id FROM event_invitation WHERE alliance_id = ?)) "
    "ORDER BY starts_at, id LIMIT ?"
)
_TOPICS_SQL = ("SELECT t.event_id, f.number, f.slug, f.title FROM event_topic t "
               "JOIN future_topic f ON f.id = t.topic_id WHERE t.event_id {ids} ORDER BY f.number")
_EVENT_CYCLES_SQL = "SELECT id, key, slug FROM award_cycle WHERE id {ids}"
_OWN_DELEGATES_SQL = ("SELECT event_id, count(*) FROM event_delegate WHERE event_id {ids} "
                      "AND status = 'registered' AND alliance_id = ? GROUP BY event_id")
_INVITED_SQL = "SELECT event_id FROM event_invitation WHERE event_id {ids} AND alliance_id = ?"
# Registered delegates, and waiting ones who can still move up (not erased), per event: whether
# the event is full (a registration joins the waiting list).
_OCCUPANCY_SQL = ("SELECT event_id, status, count(*) FROM event_delegate WHERE event_id {ids} "
                  "AND (status = 'registered' OR (status = 'waitlisted' AND erased_at IS NULL)) "
                  "GROUP BY event_id, status")


async def events(db: Driver, request: Request, user_id: int) -> Response:
    user = (await db.rows(_USER_SQL, user_id))[0]
    alliance_id = user[2] or -1
    limit = _limit(request)
    rows = [dict(zip(_EVENT_COLUMNS, r, strict=True))
            for r in await db.rows(_EVENTS_SQL, False, True, alliance_id, limit + 1)]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursor([db.dt(rows[-1]["starts_at"]), rows[-1]["id"]])
    ids = [r["id"] for r in rows]
    topics: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    cycles: dict[int, dict[str, Any]] = {}
    own: dict[int, int] = {}
    invited: set[int] = set()
    occupancy: dict[int, list[int]] = {}
    if ids:
        cond, args = db.in_ids(ids)
        for event_id, number, slug, title in await db.rows(_TOPICS_SQL.format(ids=cond), *args):
            topics[event_id].append({"number": number, "slug": slug, "title": title})
        cycle_ids = sorted({r["cycle_id"] for r in rows if r["cycle_id"] is not None})
        if cycle_ids:
            ccond, cargs = db.in_ids(cycle_ids)
            cycles = {c[0]: {"id": c[0], "key": c[1], "slug": c[2]}
                      for c in await db.rows(_EVENT_CYCLES_SQL.format(ids=ccond), *cargs)}
        own = {e: n for e, n in await db.rows(_OWN_DELEGATES_SQL.format(ids=cond), *args, alliance_id)}
        invited = {e[0] for e in await db.rows(_INVITED_SQL.format(ids=cond), *args, alliance_id)}
        for event_id, status, n in await db.rows(_OCCUPANCY_SQL.format(ids=cond), *args):
            occupancy.setdefault(event_id, [0, 0])[status != "registered"] += n
    now = datetime.now(UTC)
    items = []
    for r in rows:
        count = own.get(r["id"], 0)
        deadline = r["registration_closes_at"] or r["starts_at"]
        cycle_id = r.pop("cycle_id")
        registered, waiting = occupancy.get(r["id"], (0, 0))
        full = r["capacity"] is not None and (registered >= r["capacity"] or waiting > 0)
        registration_open = r["status"] == "published" and now < db.dt(deadline)
        may_register = not r["invitation_only"] or r["id"] in invited
        items.append({
            **r, "cycle": cycles.get(cycle_id) if cycle_id is not None else None,
            "starts_at": db.ts(r["starts_at"]), "ends_at": db.ts(r["ends_at"]),
            "registration_closes_at": db.ts(r["registration_closes_at"]),
            "registration_open": registration_open, "is_full": full,
            "online_url": r["online_url"] if count else None,
            "topics": topics[r["id"]], "invitation_only": bool(r["invitation_only"]),
            "is_public": bool(r["is_public"]),
            "allowed_actions": (["join_waitlist" if full else "register"]
                                if registration_open and may_register else []),
            "invited": r["id"] in invited, "own_delegates": count,
            "registered_count": None, "remaining_capacity": None,
            "created_at": db.ts(r["created_at"]), "updated_at": db.ts(r["updated_at"]),
        })
    return _page(items, next_cursor)


# --- the evaluations of a cycle (the shortlist, admin) ---------------------------------------------

_LATEST_RUN_SQL = "SELECT id FROM evaluation_run WHERE cycle_id = ? ORDER BY id DESC LIMIT 1"
_EVALUATION_COLUMNS = ("id", "run_id", "cycle_id", "alliance_id", "response_id", "activity_score",
                       "criteria_results", "meets_criteria", "wants_future_project",
                       "invited_to_future_project", "created_at")
_EVALUATIONS_SQL = (f"SELECT {', '.join(_EVALUATION_COLUMNS)} FROM evaluation WHERE run_id = ? "
                    "ORDER BY activity_score DESC, id DESC LIMIT ?")
_REFS_SQL = "SELECT id, name, slug, state FROM alliance WHERE id {ids}"


def _rule_result(part: dict[str, Any], top: bool) -> dict[str, Any]:
    out = {"passed": part["passed"], "actual": part.get("actual"), "op": part["op"],
           "threshold": part.get("threshold"), "explanation": part["explanation"],
           "source": part.get("source"),
           "parts": [_rule_result(p, False) for p in part["parts"]] if part.get("parts") is not None
           else None}
    if top:
        out["key"], out["label"] = part["key"], part["label"]
    else:
        out["kind"] = part["kind"]
    return out


async def evaluations(db: Driver, request: Request, user_id: int) -> Response:
    user = (await db.rows(_USER_SQL, user_id))[0]
    if user[1] != "admin":
        return Response(b'{"code":"forbidden"}', 403, media_type="application/problem+json")
    ref = request.path_params["cycle"]
    cycles = await db.rows(_CYCLE_SQL, ref, ref)
    if not cycles:
        return _NOT_FOUND
    runs = await db.rows(_LATEST_RUN_SQL, cycles[0][0])
    if not runs:
        return _page([], None)
    limit = _limit(request)
    rows = await db.rows(_EVALUATIONS_SQL, runs[0][0], limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursor([float(rows[-1][5]), rows[-1][0]])
    refs: dict[int, dict[str, Any]] = {}
    if rows:
        cond, args = db.in_ids(sorted({r[3] for r in rows}))
        refs = {a[0]: {"id": a[0], "name": a[1], "slug": a[2], "state": a[3]}
                for a in await db.rows(_REFS_SQL.format(ids=cond), *args)}
    return _page([{
        "id": r[0], "run_id": r[1], "cycle_id": r[2], "alliance": refs[r[3]], "response_id": r[4],
        "activity_score": float(r[5]), "meets_criteria": bool(r[7]),
        "wants_future_project": bool(r[8]), "invited_to_future_project": bool(r[9]),
        "criteria": [_rule_result(c, True) for c in orjson.loads(r[6])],
        "evaluated_at": db.ts(r[10]),
    } for r in rows], next_cursor)


# --- routes for both drivers ---------------------------------------------------------------------

@lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, …``."""
    counter = iter(range(1, 1000))
    return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)


def caller_of(request: Request, default: int) -> int:
    """The user id in the token's ``sub`` ("user:12"), unverified; ``default`` without one."""
    header = request.headers.get("authorization", "")
    try:
        payload = header.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        kind, _, subject = claims["sub"].partition(":")
        return int(subject) if kind == "user" else default
    except (IndexError, KeyError, ValueError, orjson.JSONDecodeError):
        return default


def routes(driver: Callable[[], Any], admin_id: int) -> list[Route]:
    """``driver()`` is an async context manager yielding a :class:`Driver` (one pooled
    connection per request on PostgreSQL; the one sqlite3 connection otherwise)."""

    def handler(fn: Callable[..., Awaitable[Response]], *extra: Any) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            async with driver() as db:
                return await fn(db, request, *extra)
        return endpoint

    def by_caller(fn: Callable[..., Awaitable[Response]]) -> Callable[..., Any]:
        # Whose row to read, as the app's principal does: the subject of the bearer token,
        # read from its payload *without* checking the signature (the probe has no JWT check).
        async def endpoint(request: Request) -> Response:
            async with driver() as db:
                return await fn(db, request, caller_of(request, admin_id))
        return endpoint

    return [
        Route("/api/v1/public/seals", handler(public_seals)),
        Route("/api/v1/cycles/{cycle}/responses/{alliance_id:int}", by_caller(one_response)),
        Route("/api/v1/events", by_caller(events)),
        Route("/api/v1/cycles/{cycle}/evaluations", by_caller(evaluations)),
    ]
