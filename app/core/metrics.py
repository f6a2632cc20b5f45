"""Prometheus metrics (prometheus-client, the maintained reference client): requests by route
template, method and status with latency histograms, and the database pool's use.

Labels are route *templates* (``/api/v1/alliances/{alliance_id}``), never raw paths, so ids
cannot blow up the series count; unmatched paths share the label ``unmatched``. One registry per
process: with ``buendnis serve --workers N`` each worker keeps its own counters (scrape each
process, or run one worker per container as the README's production section does)."""

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "buendnis_http_requests", "HTTP requests by method, route template and status",
    ["method", "route", "status"], registry=REGISTRY,
)
LATENCY = Histogram(
    "buendnis_http_request_duration_seconds", "HTTP request latency by method and route template",
    ["method", "route"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[Any, str]]:
    """(route, full path template) for every route. An included router is unfolded through its
    include prefix, not through FastAPI's effective route contexts: building those compiles
    every route's dependencies (~0.5 s for the whole table), which the first request paid.
    tests/core/test_metrics.py checks the result against the effective contexts."""
    for route in routes:
        include = getattr(route, "include_context", None)
        included = getattr(route, "original_router", None)
        if include is not None and included is not None:
            yield from _walk(included.routes, prefix + include.prefix)
        elif hasattr(route, "routes"):
            yield from _walk(route.routes, prefix)
        elif isinstance(getattr(route, "path", None), str):
            yield route, prefix + route.path


def _templates(app: Any) -> dict[int, str]:
    """Each route object's full path template (an included route knows only its own part)."""
    table: dict[int, str] = getattr(app, "_buendnis_route_templates", None) or {}
    if not table:
        for route, template in _walk(getattr(app, "routes", ())):
            table.setdefault(id(route), template)
        app._buendnis_route_templates = table
    return table


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        return "unmatched"
    template = _templates(scope.get("app")).get(id(route)) or getattr(route, "path", None)
    return template if isinstance(template, str) else "unmatched"


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route, method = route_template(scope), scope.get("method", "")
            counter, histogram = _series(method, route, status)
            counter.inc()
            histogram.observe(time.perf_counter() - started)


_Series = tuple[Counter, Histogram]
_series_by_labels: dict[tuple[str, str, int], _Series] = {}


_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _series(method: str, route: str, status: int) -> _Series:
    """The request counter's and the latency histogram's children for these labels, looked up
    once per label set: ``labels()`` checks and converts its arguments and takes a lock on
    every call (~1 % of a small GET's CPU). Only the standard methods are kept: route
    templates (or "unmatched") and status codes are bounded, but under h11 any token is a
    method, and a made-up one must not grow this table (it still gets its series, as before)."""
    key = (method, route, status)
    found = _series_by_labels.get(key)
    if found is None:
        found = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        if method in _KNOWN_METHODS:
            _series_by_labels[key] = found
    return found


class PoolCollector(Collector):
    """The database pools at scrape time, by pool (``request``: units of work; ``read``: the
    read-only pool of ``Db.read`` in the worker threads; ``read_loop``: its reads in the event
    loop, on a SQLite file): connections in use, idle, overflow and the size."""

    def __init__(self, engines: Callable[[], Mapping[str, Engine]]) -> None:
        self.engines = engines

    def describe(self) -> Iterable[GaugeMetricFamily]:
        # Without it the registry would collect once on registering, at import: building the
        # engines before the settings a test or the CLI chooses.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("buendnis_db_pool_connections",
                                   "Database pool connections by pool and state",
                                   labels=["pool", "state"])
        for name, engine in self.engines().items():
            for state, reader in (("checked_out", "checkedout"), ("idle", "checkedin"),
                                  ("overflow", "overflow"), ("size", "size")):
                read = getattr(engine.pool, reader, None)
                if callable(read):
                    # QueuePool counts overflow from -size up; below the pool size none is in use.
                    family.add_metric([name, state], max(0.0, float(read())))
        yield family


def install_pool_collector(engines: Callable[[], Mapping[str, Engine]]) -> None:
    """Register the pool collector once per process (create_app may run several times)."""
    if not getattr(REGISTRY, "_buendnis_pool", False):
        REGISTRY.register(PoolCollector(engines))
        REGISTRY._buendnis_pool = True  # type: ignore[attr-defined]


DB_READ_RETRIES = Counter(
    "buendnis_db_read_retries",
    "Reads run once more because their pooled connection was dead (the read pool does not "
    "ping; app/core/db.py): a steady rate means the server or a proxy closes idle connections",
    registry=REGISTRY,
)

DB_LOOP_READ_WAITS = Counter(
    "buendnis_db_loop_read_waits",
    "SQLite reads that found the database locked in the event loop and waited for it in a "
    "worker thread instead (app/core/db.py): a steady rate means something holds the file "
    "exclusively (a restore, another program)",
    registry=REGISTRY,
)

WEBHOOK_FAILURES = Counter(
    "buendnis_webhook_delivery_failures",
    "Failed webhook delivery attempts by outcome (retrying: another attempt is scheduled; "
    "failed: the delivery was given up)",
    ["outcome"], registry=REGISTRY,
)
