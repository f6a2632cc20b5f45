"""``GET /metrics``: Prometheus text format, open only with ``BUENDNIS_METRICS_TOKEN`` as a
bearer token (unset: 404, the endpoint does not exist). Not an API operation, so not in the
OpenAPI document.

Besides the request and pool metrics of app.core.metrics it reports the outbox backlog and
the age of its oldest message, read at scrape time with the readiness probe's bounds; when the
database does not answer, ``buendnis_database_up`` is 0 and the outbox gauges are left out.
The webhook outbox is reported the same way (backlog of active endpoints, oldest pending age,
deliveries given up); the failed-attempt counter lives in app.core.metrics."""

import secrets
from collections.abc import Iterator
from datetime import datetime

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from app.core import db as core_db
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import problem_response
from app.core.metrics import REGISTRY
from app.mail import outbox
from app.webhooks import service as webhooks


def _backlogs() -> tuple[tuple[int, datetime | None], tuple[int, datetime | None, int]]:
    with core_db.new_session() as session:
        return outbox.backlog(session), webhooks.backlog(session)


def _age(oldest: datetime | None) -> float:
    return max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0


def _authorized(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.encode(), token.encode())


async def metrics(request: Request) -> Response:
    settings = get_settings()
    if not settings.metrics_token:
        return problem_response(request, status=404, code="not_found", title="Not found")
    if not _authorized(request, settings.metrics_token):
        return problem_response(request, status=401, code="unauthorized", title="Unauthorized",
                                headers={"WWW-Authenticate": "Bearer"})
    up = GaugeMetricFamily("buendnis_database_up", "The database answered this scrape")
    families = [up]
    try:
        with anyio.fail_after(settings.db_connect_timeout_seconds + 1):
            (count, oldest), (hooks, hooks_oldest, hooks_failed) = await anyio.to_thread.run_sync(
                _backlogs, abandon_on_cancel=True)
    except Exception:
        up.add_metric([], 0)
    else:
        up.add_metric([], 1)
        families.append(GaugeMetricFamily(
            "buendnis_outbox_backlog", "E-mails queued in the outbox, not yet sent", value=count))
        families.append(GaugeMetricFamily(
            "buendnis_outbox_oldest_age_seconds", "Age of the oldest queued e-mail (0: none)",
            value=_age(oldest)))
        families.append(GaugeMetricFamily(
            "buendnis_webhook_backlog", "Webhook deliveries pending for active endpoints",
            value=hooks))
        families.append(GaugeMetricFamily(
            "buendnis_webhook_oldest_age_seconds",
            "Age of the oldest pending webhook delivery of an active endpoint (0: none)",
            value=_age(hooks_oldest)))
        families.append(GaugeMetricFamily(
            "buendnis_webhook_failed_deliveries", "Webhook deliveries given up (status failed)",
            value=hooks_failed))
    body = generate_latest(REGISTRY) + generate_latest(_Scraped(families).registry())
    return Response(body, media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


class _Scraped(Collector):
    """Gauges read for this scrape only, rendered through a registry of their own."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.families

    def registry(self) -> CollectorRegistry:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(self)
        return registry
