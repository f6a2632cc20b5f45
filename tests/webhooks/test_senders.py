"""Senders outside the test's transaction: two at once deliver every event exactly once (row
claims, SKIP LOCKED on PostgreSQL), ``buendnis send-webhooks`` and the worker's job.

These tests need rows other connections can see, so they commit for real (through Core, so
no audit rows are left behind) and delete their rows afterwards."""

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, delete, insert
from sqlmodel import Session, col, select

from app import cli
from app.core.config import get_settings
from app.core.db import utcnow
from app.webhooks import signing
from app.webhooks.delivery import SendReport, send_due
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.worker import jobs
from tests.webhooks.helpers import verify
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.usefixtures("private_addresses_allowed")
SECRET = signing.new_secret()


@pytest.fixture
def committed(engine: Engine, receiver: Receiver) -> Iterator[Callable[[int], int]]:
    """An endpoint at the receiver with n pending deliveries, committed; removed afterwards."""
    endpoint_ids: list[int] = []

    def make(n: int) -> int:
        now = utcnow()
        with engine.begin() as connection:
            endpoint_id = connection.execute(insert(WebhookEndpoint.__table__).values(
                url=receiver.url(), event_types=["award.confirmed"], description="",
                is_active=True, secret=SECRET, consecutive_failures=0, version=1,
                created_by="user:0", created_at=now, updated_at=now,
            ).returning(WebhookEndpoint.__table__.c.id)).scalar_one()
            connection.execute(insert(WebhookDelivery.__table__), [{
                "endpoint_id": endpoint_id, "message_id": f"msg_test{endpoint_id}x{i}",
                "event_type": "award.confirmed", "payload": json.dumps({"type": "award.confirmed",
                                                                         "data": {"n": i}}),
                "status": DeliveryStatus.pending, "attempts": 0, "next_attempt_at": now,
                "created_at": now} for i in range(n)])
        endpoint_ids.append(endpoint_id)
        return int(endpoint_id)

    yield make
    with engine.begin() as connection:
        connection.execute(delete(WebhookDelivery.__table__).where(
            WebhookDelivery.__table__.c.endpoint_id.in_(endpoint_ids)))
        connection.execute(delete(WebhookEndpoint.__table__).where(
            WebhookEndpoint.__table__.c.id.in_(endpoint_ids)))


def _rows(engine: Engine, endpoint_id: int) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id).order_by(col(WebhookDelivery.id))).all())


def test_two_concurrent_senders_deliver_each_event_exactly_once(engine, committed, receiver,
                                                                 monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_batch_size", 3)
    receiver.delay_seconds = 0.01  # so that neither sender is through before the other starts
    endpoint_id = committed(30)

    def sender(_: int) -> SendReport:
        with Session(engine, expire_on_commit=False) as session:
            return send_due(session)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(sender, range(2)))

    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(ids) == 30 and len(set(ids)) == 30, "every event once, none twice"
    assert sum(r.sent for r in reports) == 30
    assert all(r.sent > 0 for r in reports), f"both senders took a share: {reports}"
    rows = _rows(engine, endpoint_id)
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.succeeded, 1)}
    verify(SECRET, receiver.requests[0])


def test_send_webhooks_command(engine, committed, receiver, capsys):
    endpoint_id = committed(2)
    assert cli.main(["send-webhooks"]) == 0
    assert "webhooks: 2 sent, 0 to retry, 0 failed" in capsys.readouterr().out
    assert len(receiver.requests) == 2
    assert {r.status for r in _rows(engine, endpoint_id)} == {DeliveryStatus.succeeded}


def test_the_worker_runs_a_webhooks_job(engine, committed, receiver):
    import app.worker.builtin  # noqa: F401  (registers the jobs)

    [job] = [job for job in jobs.registered() if job.name == "webhooks"]
    assert job.interval_seconds == get_settings().worker_poll_seconds
    endpoint_id = committed(1)
    with Session(engine, expire_on_commit=False) as session:
        report = job.fn(session)
    assert isinstance(report, SendReport) and report.sent == 1
    assert [r.status for r in _rows(engine, endpoint_id)] == [DeliveryStatus.succeeded]


def test_metrics_report_the_backlog_the_given_up_and_the_failures(engine, committed, receiver,
                                                                   monkeypatch):
    from fastapi.testclient import TestClient
    from prometheus_client.parser import text_string_to_metric_families

    from app.core import db as core_db
    from app.main import app
    from tests.utils.settings import reload_settings

    endpoint_id = committed(3)
    with engine.begin() as connection:  # one of them was given up earlier
        connection.execute(WebhookDelivery.__table__.update().where(
            WebhookDelivery.__table__.c.id == _rows(engine, endpoint_id)[0].id,
        ).values(status=DeliveryStatus.failed))
    receiver.statuses.extend([500, 204])
    with Session(engine, expire_on_commit=False) as session:
        report = send_due(session)
    assert (report.sent, report.retrying) == (1, 1)

    monkeypatch.setenv("BUENDNIS_METRICS_TOKEN", "metrics-token-for-tests")
    reload_settings()
    core_db.get_engine.cache_clear()
    app.dependency_overrides.clear()
    try:
        with TestClient(app) as client:
            scraped = client.get("/metrics",
                                 headers={"Authorization": "Bearer metrics-token-for-tests"})
    finally:
        core_db.get_engine().dispose()
        core_db.get_engine.cache_clear()
        reload_settings()
    assert scraped.status_code == 200, scraped.text
    samples = {sample.name: sample for family in text_string_to_metric_families(scraped.text)
               for sample in family.samples
               if sample.name != "buendnis_webhook_delivery_failures_total"
               or sample.labels.get("outcome") == "retrying"}
    assert samples["buendnis_webhook_backlog"].value >= 1
    assert samples["buendnis_webhook_oldest_age_seconds"].value >= 0
    assert samples["buendnis_webhook_failed_deliveries"].value >= 1
    assert samples["buendnis_webhook_delivery_failures_total"].value >= 1
