"""/metrics: Prometheus text that prometheus-client's own parser reads, by route template and
status, with the pool and the outbox; only with the metrics token."""

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.core import db as core_db
from app.core.thread_connection import held_connections
from app.mail import outbox
from tests import dbsetup
from tests.utils.problems import assert_problem
from tests.utils.settings import reload_settings

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scraper(database_url, monkeypatch):
    from app.main import app

    monkeypatch.setenv("BUENDNIS_METRICS_TOKEN", TOKEN)
    reload_settings()
    core_db.get_engine.cache_clear()
    app.dependency_overrides.clear()
    with TestClient(app) as client:
        yield client
    for engine in core_db.pools().values():
        engine.dispose()
    core_db.get_engine.cache_clear()
    reload_settings()


def scrape(client) -> dict[str, list]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def test_metrics_are_parsed_by_prometheus_client(scraper):
    with core_db.new_session() as session:
        message = outbox.enqueue(session, "kontakt@buendnis.example.org", "Betreff", "Text")
        session.commit()
    try:
        scraper.get("/api/v1/public/alliances")
        scraper.get("/api/v1/public/seals")  # a read on the read-only pool
        scraper.get("/api/v1/alliances/999999")  # 401 by the template, not the raw path
        scraper.get("/no/such/path/12345")
        samples = scrape(scraper)
    finally:
        with core_db.new_session() as session:
            session.delete(session.get(type(message), message.id))
            session.commit()

    requests = {(s.labels["method"], s.labels["route"], s.labels["status"]): s.value
                for s in samples["buendnis_http_requests_total"]}
    assert requests[("GET", "/api/v1/public/alliances", "200")] >= 1
    assert requests[("GET", "/api/v1/alliances/{alliance_id}", "401")] >= 1
    assert requests[("GET", "unmatched", "404")] >= 1
    assert not any("999999" in route or "12345" in route for _, route, _ in requests)
    buckets = [s for s in samples["buendnis_http_request_duration_seconds_bucket"]
               if s.labels["route"] == "/api/v1/public/alliances"]
    assert buckets and buckets[-1].labels["le"] == "+Inf" and buckets[-1].value >= 1
    pools = {(s.labels["pool"], s.labels["state"]): s.value
             for s in samples["buendnis_db_pool_connections"]}
    states = {"checked_out", "idle", "overflow", "size"}
    # On a SQLite file the reads run in the event loop, on a pool of their own (``read_loop``).
    read_pools = ("read", "read_loop") if dbsetup.lane() == "sqlite" else ("read",)
    assert {(pool, state) for pool in ("request", *read_pools) for state in states} <= pools.keys()
    assert all(value >= 0 for value in pools.values()), pools  # QueuePool's overflow starts below 0
    # Nothing is left checked out but the connections the threads keep for their reads
    # (app/core/thread_connection.py): the event loop's on ``read_loop``, a worker's on ``read``.
    held = {name: held_connections(engine) for name, engine in core_db.pools().items()}
    assert all(pools[(pool, "checked_out")] == held.get(pool, 0) for pool in read_pools), (pools,
                                                                                           held)
    assert sum(pools[(pool, "idle")] + pools[(pool, "checked_out")] for pool in read_pools) >= 1
    assert samples["buendnis_database_up"][0].value == 1
    assert samples["buendnis_outbox_backlog"][0].value >= 1
    assert samples["buendnis_outbox_oldest_age_seconds"][0].value >= 0


def test_metrics_need_the_token(scraper):
    assert_problem(scraper.get("/metrics"), 401)
    assert_problem(scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401)
    assert_problem(scraper.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}), 401)


def test_metrics_are_off_without_a_token(client):
    assert_problem(client.get("/metrics", headers={"Authorization": "Bearer anything"}), 404)


def test_every_route_is_labelled_with_the_full_template_fastapi_matches_it_by() -> None:
    """The label table unfolds included routers by their prefixes (cheap at the first request);
    it must name every route as FastAPI's own effective route contexts do."""
    from fastapi.routing import APIRoute

    from app.core import metrics
    from app.main import create_app
    from tests.utils.routes import walk_routes

    application = create_app()
    labels = metrics._templates(application)
    expected = {}
    for context in walk_routes(application.routes):
        route = getattr(context, "original_route", context)
        if isinstance(route, APIRoute):
            expected.setdefault(id(route), context.path)
    assert len(expected) > 100
    assert {route_id: labels.get(route_id) for route_id in expected} == expected
