"""Bench-only applications that serve the same two endpoints as the real app, in other styles.

Never imported by ``app``. Served by uvicorn as factories (``variants:def_app`` …) with
``bench/`` and the application tree on PYTHONPATH; configuration comes from the same
``BUENDNIS_*`` environment as the real app.

Variants a', b and c start from the real application (``app.main.create_app()``: the same
middleware, error handlers, router-level dependencies such as the rate limit, and every other
route) and change only the database style:

* ``slots_app``  – a'. the real app with one function swapped through ``dependency_overrides``:
  ``get_db`` first takes one of N request slots, N = the pool's capacity, so a request never
  waits for a pooled connection while it holds a limiter token (docs/PERFORMANCE.md: the
  unchanged app stalls once more requests are in flight than the pool has connections plus
  limiter tokens).
* ``def_app``    – b. the two endpoints replaced in place by ``def`` endpoints with a ``def``
  session dependency (FastAPI's default thread pool of 40, a plain sync Session), calling the
  same service functions (``service.read_alliance``, ``service.list_alliances``);
  ``optional_principal`` overridden by a ``def`` twin calling ``tokens.principal_for``.
* ``async_app``  – c. the two endpoints replaced by ``async def`` ones on a SQLAlchemy
  ``AsyncSession`` (aiosqlite / asyncpg) running the same queries (``select(Alliance)`` with
  ``selectinload`` of partners and contacts, keyset order ``name, id``) and the same pydantic
  conversion (``service.to_read``); ``optional_principal`` overridden by an async twin.
* ``probe_app``  – d. the ceiling: a raw driver (sqlite3 in the event loop / an asyncpg pool)
  and orjson, the same database round trips (user row, alliance(s), partners, contacts) and the
  same JSON body, but no JWT check, no ORM, no pydantic, no middleware.

Only access tokens of people are supported by the b and c twins of ``optional_principal``
(the benchmark's token is an admin's).
"""

import base64
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import orjson
import probe_reads
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.routing import Route

from app import models  # noqa: F401  (every table on the metadata)
from app.alliances import service
from app.alliances.deps import AllianceReader as _AllianceReader
from app.alliances.exceptions import AllianceNotFound
from app.alliances.models import Alliance, AllianceLevel, AllianceStatus
from app.alliances.schemas import AllianceRead, StateCode
from app.auth import deps, tokens
from app.auth.models import AuthSession, User
from app.auth.principal import Principal
from app.core import security
from app.core.config import get_settings
from app.core.db import get_engine
from app.core.errors import Unauthorized
from app.core.etags import etag_for
from app.core.logging import set_actor
from app.core.pagination import Page, PageParams, page_params, set_link_header

PageDep = Annotated[PageParams, Depends(page_params)]
Search = Annotated[str | None, Query(max_length=100)]
AllianceReader = _AllianceReader  # the real app's reader dependency (scope check and all)
GET_ONE = "/api/v1/alliances/{alliance_id}"
GET_LIST = "/api/v1/alliances"


def set_etag(response: Response, resource: str, resource_id: int, version: int) -> None:
    # The row's tag (the app now adds a digest of the representation: app.core.etags; headers
    # are not compared between variants, only bodies).
    response.headers["ETag"] = etag_for(resource, resource_id, version)


def _real_app() -> FastAPI:
    from app.main import create_app

    return create_app()


def _swap_get(app: FastAPI, path: str, endpoint: Callable[..., Any]) -> None:
    """Replace the real GET route at ``path`` in place: same router, position, name, response
    model and dependencies (the API router's rate limit comes with the router it sits in).
    Works with FastAPI's flattened routes and with its newer nested ``_IncludedRouter``s."""

    def walk(router: Any, context: Any) -> bool:
        for index, route in enumerate(router.routes):
            if hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
                inner = route.include_context if context is None else context.combine(
                    route.include_context)
                if walk(route.original_router, inner):
                    return True
                continue
            if not (isinstance(route, APIRoute) and "GET" in route.methods):
                continue
            full = route.path if context is None else context.path_for(route)
            if full != path:
                continue
            router.routes[index] = APIRoute(
                route.path, endpoint, methods=["GET"], name=route.name,
                response_model=route.response_model, dependencies=list(route.dependencies),
                responses=route.responses, tags=route.tags,
                dependency_overrides_provider=route.dependency_overrides_provider or app,
            )
            mark_changed = getattr(router, "_mark_routes_changed", None)
            if mark_changed is not None:
                mark_changed()
            return True
        return False

    if not walk(app.router, None):
        raise LookupError(f"no GET {path} in the real app")


def _claims(token: str) -> security.AccessClaims:
    try:
        return security.decode_access_token(token)
    except security.InvalidToken as exc:
        raise Unauthorized("The access token is invalid or expired.") from exc


def _remember(request: Request, principal: Principal) -> Principal:
    """What the real api_request_checks does besides the lookup (checks_for sets it again)."""
    request.state.principal = principal
    set_actor(principal.actor)
    return principal


def _encode_cursor(values: list[Any]) -> str:
    # Same encoding as app.core.pagination (name and id: no dates in the bench's sort).
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values],
                     ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# --- a'. the real app with session slots -----------------------------------------------------

def pool_capacity(engine: Any) -> int | None:
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", None)
    if callable(size) and isinstance(overflow, int):
        return int(size()) + max(overflow, 0)
    return None  # NullPool / StaticPool: nothing to wait for


def slots_app() -> FastAPI:
    from app.core import db as core_db

    app = _real_app()
    capacity = pool_capacity(core_db.get_engine()) or 1_000_000
    holder: dict[str, anyio.Semaphore] = {}

    async def get_db_in_slot() -> AsyncIterator[core_db.Db]:
        # A request's Db inside a slot held until the request ends (hence a generator, which
        # app.core.db.get_db no longer is): at most `capacity` sessions exist, so a pooled
        # connection is always free for the one holding a limiter token.
        slots = holder.get("s") or holder.setdefault("s", anyio.Semaphore(capacity))
        async with slots:
            session = core_db.new_session()
            try:
                yield core_db.Db(session)
            finally:
                if session.in_transaction():
                    await core_db.run_in_db_thread(session.close)
                else:
                    session.close()

    app.dependency_overrides[core_db.get_db] = get_db_in_slot
    return app


# --- b. def endpoints, sync Session, FastAPI's thread pool ---------------------------------

def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _request_checks(identify: Callable[..., Any]) -> Callable[..., Awaitable[None]]:
    """The app's API-wide checks with the caller identified by this variant's own dependency
    (the app identifies it inside ``api_request_checks``)."""

    async def checks(request: Request,
                     principal: Annotated[Principal | None, Depends(identify)]) -> None:
        await deps.checks_for(request, principal)

    return checks


def sync_optional_principal(
    request: Request, session: SessionDep,
    authorization: Annotated[str | None, Depends(deps.oauth2_scheme)],
) -> Principal | None:
    token = deps.bearer_token(authorization)
    if token is None:
        return None
    return _remember(request, tokens.principal_for(session, _claims(token)))


def def_list_alliances(
    request: Request, response: Response, session: SessionDep, principal: AllianceReader,
    page: PageDep, state: StateCode | None = None,
    status_: Annotated[AllianceStatus | None, Query(alias="status")] = None,
    level: AllianceLevel | None = None, q: Search = None, sort: service.SortField = "name",
) -> Page[AllianceRead]:
    items, cursor, total = service.list_alliances(
        session, page, principal, state=state, status=status_, level=level, q=q, sort=sort)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


def def_get_alliance(alliance_id: int, session: SessionDep, principal: AllianceReader,
                     response: Response) -> AllianceRead:
    alliance = service.read_alliance(session, alliance_id, principal)
    set_etag(response, "alliance", alliance.id, alliance.version)
    return alliance


def def_app() -> FastAPI:
    app = _real_app()
    app.dependency_overrides[deps.api_request_checks] = _request_checks(sync_optional_principal)
    _swap_get(app, GET_LIST, def_list_alliances)
    _swap_get(app, GET_ONE, def_get_alliance)
    return app


# --- c. async def + AsyncSession -----------------------------------------------------------

def async_url(url: str) -> str:
    if url.startswith("sqlite"):
        return url.replace("sqlite://", "sqlite+aiosqlite://", 1)
    return url.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1).replace(
        "postgresql://", "postgresql+asyncpg://", 1)


def _async_engine() -> Any:
    settings = get_settings()
    url = async_url(settings.database_url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=5000",
                           "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return engine
    size = settings.db_pool_size
    return create_async_engine(url, pool_size=size, max_overflow=size, pool_pre_ping=True)


_sessions: dict[str, async_sessionmaker[AsyncSession]] = {}


async def get_async_session() -> AsyncIterator[AsyncSession]:
    if "s" not in _sessions:
        _sessions["s"] = async_sessionmaker(_async_engine(), expire_on_commit=False)
    async with _sessions["s"]() as session:
        yield session


AsyncSessionDep = Annotated[AsyncSession, Depends(get_async_session)]
EAGER = (selectinload(Alliance.partners), selectinload(Alliance.contacts))


async def async_optional_principal(
    request: Request, session: AsyncSessionDep,
    authorization: Annotated[str | None, Depends(deps.oauth2_scheme)],
) -> Principal | None:
    # tokens.principal_for for people, on the AsyncSession.
    token = deps.bearer_token(authorization)
    if token is None:
        return None
    claims = _claims(token)
    if claims.subject_kind != "user":
        raise Unauthorized("bench variant: access tokens of people only")
    user = await session.get(User, claims.subject_id)
    if user is None or not user.is_active or user.erased_at is not None:
        raise Unauthorized("The account is not active.")
    if claims.session_id is not None:
        auth_session = await session.get(AuthSession, claims.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            raise Unauthorized("The session was ended; sign in again.")
    return _remember(request, Principal.of_user(user, session_id=claims.session_id, jti=claims.jti))


async def async_list_alliances(
    request: Request, response: Response, session: AsyncSessionDep, principal: AllianceReader,
    page: PageDep, sort: service.SortField = "name",
) -> Page[AllianceRead]:
    key = service._sort_key(sort)
    query = select(Alliance).options(*EAGER)
    if principal.is_client and principal.allowed_alliance_ids is not None:
        query = query.where(Alliance.id.in_(principal.allowed_alliance_ids))
    if page.cursor:
        query = query.where(key.after(page.cursor))
    rows = list((await session.scalars(query.order_by(*key.order_by()).limit(page.limit + 1))).all())
    cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        cursor = _encode_cursor([service._sort_value(rows[-1], sort), rows[-1].id])
    items = [service.to_read(a, with_contacts=principal.acts_for(a.id or 0)) for a in rows]
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=None)


async def async_get_alliance(alliance_id: int, session: AsyncSessionDep,
                             principal: AllianceReader, response: Response) -> AllianceRead:
    service.ensure_client_reach(principal, alliance_id)
    alliance = await session.get(Alliance, alliance_id, options=EAGER)
    if alliance is None:
        raise AllianceNotFound(f"No alliance {alliance_id}.")
    result = service.to_read(alliance, with_contacts=principal.acts_for(alliance_id))
    set_etag(response, "alliance", result.id, result.version)
    return result


def async_app() -> FastAPI:
    app = _real_app()
    app.dependency_overrides[deps.api_request_checks] = _request_checks(async_optional_principal)
    _swap_get(app, GET_LIST, async_list_alliances)
    _swap_get(app, GET_ONE, async_get_alliance)
    return app


# --- d. the probe: raw driver + orjson -------------------------------------------------------

ALLIANCE_COLUMNS = ("id", "name", "slug", "ags", "municipality", "district", "state", "region",
                    "level", "legal_form", "founded_on", "website", "description", "status",
                    "listed_in_finder", "version", "created_at", "updated_at")
_A = ", ".join(ALLIANCE_COLUMNS)
_USER_SQL = "SELECT id, role, is_active, erased_at FROM user_account WHERE id = {p}"
_ONE_SQL = f"SELECT {_A} FROM alliance WHERE id = {{p}}"
_LIST_SQL = f"SELECT {_A} FROM alliance ORDER BY name, id LIMIT {{p}}"
# ?status=active&level=city (the filtered list scenario): the same query with a WHERE.
_FILTERED_SQL = (f"SELECT {_A} FROM alliance WHERE status = {{p1}} AND level = {{p2}} "
                 f"ORDER BY name, id LIMIT {{p3}}")
_ME_SQL = "SELECT id, full_name, email, role, alliance_id FROM user_account WHERE id = {p}"


def _me(values: Any) -> bytes:
    return orjson.dumps({"kind": "user", "id": values[0], "name": values[1], "email": values[2],
                         "role": values[3], "alliance_id": values[4], "scopes": []})
_PARTNERS_SQL = "SELECT alliance_id, id, name, sector FROM alliance_partner WHERE alliance_id {cond} ORDER BY id"
_CONTACTS_SQL = ("SELECT alliance_id, id, name, function, email, phone, accepts_mail "
                 "FROM alliance_contact "
                 "WHERE alliance_id {cond} ORDER BY id")


def _sqlite_ts(value: str | None) -> str | None:
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; pydantic writes ISO 8601 with Z.
    if value is None:
        return None
    return value.replace(" ", "T", 1).removesuffix(".000000") + "Z"


def _assemble(rows: list[dict[str, Any]], partners: list[Any], contacts: list[Any]) -> list[dict[str, Any]]:
    by_id = {}
    for row in rows:
        row["partner_count"] = 0
        row["partners"] = []
        row["contacts"] = []
        by_id[row["id"]] = row
    for p in partners:
        by_id[p[0]]["partners"].append({"id": p[1], "name": p[2], "sector": p[3]})
    for c in contacts:
        by_id[c[0]]["contacts"].append(
            {"id": c[1], "name": c[2], "function": c[3], "email": c[4], "phone": c[5],
             "accepts_mail": bool(c[6])})
    for row in rows:
        row["partner_count"] = len(row["partners"])
    return rows


def _page(rows: list[dict[str, Any]], limit: int) -> bytes:
    cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        cursor = _encode_cursor([rows[-1]["name"], rows[-1]["id"]])
    return orjson.dumps({"items": rows, "next_cursor": cursor, "total": None},
                        option=orjson.OPT_UTC_Z)


def _limit(request: Any) -> int:
    return min(max(int(request.query_params.get("limit", 20)), 1), 100)


def _probe_sqlite(path: str) -> Starlette:
    from starlette.responses import Response as RawResponse

    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA query_only=ON")
    admin_id = int(os.environ.get("BUENDNIS_BENCH_ADMIN_ID", "1"))
    user_id = int(os.environ.get("BUENDNIS_BENCH_USER_ID", "2"))

    def rows_of(sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        out = []
        for values in conn.execute(sql, args):
            row = dict(zip(ALLIANCE_COLUMNS, values, strict=True))
            row["listed_in_finder"] = bool(row["listed_in_finder"])
            row["created_at"] = _sqlite_ts(row["created_at"])
            row["updated_at"] = _sqlite_ts(row["updated_at"])
            out.append(row)
        return out

    def children(ids: list[int]) -> tuple[list[Any], list[Any]]:
        cond = f"IN ({', '.join('?' * len(ids))})"
        return (conn.execute(_PARTNERS_SQL.format(cond=cond), ids).fetchall(),
                conn.execute(_CONTACTS_SQL.format(cond=cond), ids).fetchall())

    async def one(request: Any) -> RawResponse:
        conn.execute(_USER_SQL.format(p="?"), (admin_id,)).fetchone()
        rows = rows_of(_ONE_SQL.format(p="?"), (int(request.path_params["alliance_id"]),))
        if not rows:
            return RawResponse(b'{"code":"not_found"}', 404, media_type="application/problem+json")
        row = _assemble(rows, *children([rows[0]["id"]]))[0]
        return RawResponse(orjson.dumps(row, option=orjson.OPT_UTC_Z), media_type="application/json",
                           headers={"ETag": f'"alliance-{row["id"]}-v{row["version"]}"'})

    async def many(request: Any) -> RawResponse:
        limit = _limit(request)
        conn.execute(_USER_SQL.format(p="?"), (admin_id,)).fetchone()
        status, level = request.query_params.get("status"), request.query_params.get("level")
        if status and level:
            rows = rows_of(_FILTERED_SQL.format(p1="?", p2="?", p3="?"), (status, level, limit + 1))
        else:
            rows = rows_of(_LIST_SQL.format(p="?"), (limit + 1,))
        rows = _assemble(rows, *children([r["id"] for r in rows]))
        return RawResponse(_page(rows, limit), media_type="application/json")

    async def me(request: Any) -> RawResponse:
        values = conn.execute(_ME_SQL.format(p="?"), (user_id,)).fetchone()
        return RawResponse(_me(values), media_type="application/json")

    async def rows(sql: str, *args: Any) -> list[Any]:
        return conn.execute(sql, args).fetchall()

    sqlite_driver = probe_reads.Driver(rows, sqlite=True)

    @asynccontextmanager
    async def driver() -> AsyncIterator[probe_reads.Driver]:
        yield sqlite_driver

    return Starlette(routes=[Route("/api/v1/alliances", many),
                             Route("/api/v1/alliances/{alliance_id:int}", one),
                             Route("/api/v1/me", me),
                             *probe_reads.routes(driver, admin_id)])


def _probe_postgres(url: str) -> Starlette:
    import asyncpg
    from starlette.responses import Response as RawResponse

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    admin_id = int(os.environ.get("BUENDNIS_BENCH_ADMIN_ID", "1"))
    user_id = int(os.environ.get("BUENDNIS_BENCH_USER_ID", "2"))
    size = get_settings().db_pool_size
    pool: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        pool["p"] = await asyncpg.create_pool(dsn, min_size=size, max_size=size)
        yield
        await pool["p"].close()

    async def fetch(one_id: int | None, limit: int,
                    filters: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        async with pool["p"].acquire() as conn:
            await conn.fetchrow(_USER_SQL.format(p="$1"), admin_id)
            if one_id is not None:
                records = await conn.fetch(_ONE_SQL.format(p="$1"), one_id)
            elif filters is not None:
                records = await conn.fetch(_FILTERED_SQL.format(p1="$1", p2="$2", p3="$3"),
                                           *filters, limit + 1)
            else:
                records = await conn.fetch(_LIST_SQL.format(p="$1"), limit + 1)
            rows = [dict(r) for r in records]
            if not rows:
                return rows
            ids = [r["id"] for r in rows]
            partners = await conn.fetch(_PARTNERS_SQL.format(cond="= ANY($1)"), ids)
            contacts = await conn.fetch(_CONTACTS_SQL.format(cond="= ANY($1)"), ids)
        return _assemble(rows, partners, contacts)

    async def one(request: Any) -> RawResponse:
        rows = await fetch(int(request.path_params["alliance_id"]), 1)
        if not rows:
            return RawResponse(b'{"code":"not_found"}', 404, media_type="application/problem+json")
        row = rows[0]
        return RawResponse(orjson.dumps(row, option=orjson.OPT_UTC_Z), media_type="application/json",
                           headers={"ETag": f'"alliance-{row["id"]}-v{row["version"]}"'})

    async def many(request: Any) -> RawResponse:
        limit = _limit(request)
        status, level = request.query_params.get("status"), request.query_params.get("level")
        rows = await fetch(None, limit, (status, level) if status and level else None)
        return RawResponse(_page(rows, limit), media_type="application/json")

    async def me(request: Any) -> RawResponse:
        async with pool["p"].acquire() as conn:
            values = await conn.fetchrow(_ME_SQL.format(p="$1"), user_id)
        return RawResponse(_me(values), media_type="application/json")

    @asynccontextmanager
    async def driver() -> AsyncIterator[probe_reads.Driver]:
        async with pool["p"].acquire() as conn:
            async def rows(sql: str, *args: Any) -> list[Any]:
                return await conn.fetch(probe_reads.numbered(sql), *args)

            yield probe_reads.Driver(rows, sqlite=False)

    return Starlette(routes=[Route("/api/v1/alliances", many),
                             Route("/api/v1/alliances/{alliance_id:int}", one),
                             Route("/api/v1/me", me),
                             *probe_reads.routes(driver, admin_id)],
                     lifespan=lifespan)


def probe_app() -> Starlette:
    url = get_settings().database_url
    if url.startswith("sqlite"):
        return _probe_sqlite(url.split(":///", 1)[1])
    return _probe_postgres(url)
