"""Cross-cutting conventions: problem+json, request ids, CORS, health, logs."""

import json
import logging
import re
import secrets

import pytest
from fastapi.testclient import TestClient

from app.core import db as core_db
from app.core.config import Settings
from app.core.db import make_engine
from app.main import create_app
from tests.utils.problems import assert_problem


def test_unknown_route_is_problem_json(client):
    body = assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert body["instance"] == "/api/v1/nothing-here"


def test_wrong_method_is_problem_json(client):
    assert_problem(client.put("/healthz"), 405, "method_not_allowed")


def test_validation_error_names_the_field(client, admin):
    r = client.post("/api/v1/alliances", headers=admin, json={"name": "X", "level": "galaxy"})
    body = assert_problem(r, 422, "validation_error")
    locs = [tuple(e["loc"]) for e in body["errors"]]
    assert ("body", "level") in locs
    assert ("body", "name") in locs
    assert all("input" not in e for e in body["errors"]), "inputs may hold secrets"


def test_unknown_body_field_is_rejected(client, admin):
    r = client.post("/api/v1/alliances", headers=admin,
                    json={"name": "Bündnis Test", "level": "city", "state": "DE-BY", "role": "admin"})
    body = assert_problem(r, 422)
    assert ["body", "role"] in [e["loc"] for e in body["errors"]]


def test_malformed_json_is_problem_json(client, admin):
    r = client.post("/api/v1/alliances", headers={**admin, "Content-Type": "application/json"},
                    content=b"{not json")
    assert_problem(r, 422)


def test_unhandled_error_is_500_with_request_id_and_no_trace():
    app = create_app()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom", headers={"X-Request-ID": "trace-me-123"})
    body = assert_problem(r, 500, "internal_error")
    assert body["request_id"] == "trace-me-123"
    assert "hunter2" not in r.text and "Traceback" not in r.text


def test_request_id_is_echoed_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = [client.get("/healthz").headers["x-request-id"] for _ in range(50)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", one) for one in generated), generated[:3]
    assert len(set(generated)) == 50
    # Header injection attempts are replaced, not echoed.
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert replaced.headers["x-request-id"] != "bad id with spaces"


def test_log_lines_are_json_with_request_id(client, caplog):
    from app.core.logging import JsonFormatter

    with caplog.at_level(logging.INFO, logger="buendnis.access"):
        client.get("/healthz?email=someone@example.org", headers={"X-Request-ID": "log-check-1"})
    records = [r for r in caplog.records if r.name == "buendnis.access"]
    assert records
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["request_id"] == "log-check-1"
    assert line["path"] == "/healthz" and line["status"] == 200
    assert "someone@example.org" not in json.dumps(line), "query strings stay out of logs"


def test_cors_allows_configured_origin_and_exposes_headers(client):
    r = client.options("/api/v1/alliances", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    })
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://localhost:5173"
    r = client.get("/healthz", headers={"Origin": "http://localhost:5173"})
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "link", "retry-after"} <= exposed


def test_cors_ignores_foreign_origin(client):
    r = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_ready_is_503_problem_when_database_is_gone(client, monkeypatch):
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1", null_pool=True)
    monkeypatch.setattr(core_db, "get_engine", lambda: dead)
    body = assert_problem(client.get("/readyz"), 503, "database_unavailable")
    assert "nobody" not in json.dumps(body)


def test_production_refuses_default_or_short_secret():
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(env="production")
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(env="production", jwt_secret="too-short")
    assert Settings(env="production", jwt_secret="ab" * 32 + secrets.token_hex(32)).env == "production"


def test_app_imports_with_no_environment():
    assert create_app().title == "Bündnisportal API"
