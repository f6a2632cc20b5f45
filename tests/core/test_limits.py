"""Limits against abuse: body size, rate per caller, shared counters, security headers."""

import uuid

from app.core.ratelimit import MemoryCounterStore, RedisCounterStore
from tests.utils.problems import assert_problem


def test_body_over_the_limit_is_413_by_content_length(client, admin, limits):
    limits("max_body_bytes", 1000)
    r = client.post("/api/v1/alliances", headers=admin,
                    json={"name": "x" * 2000, "level": "city", "state": "DE-BY"})
    assert_problem(r, 413, "payload_too_large")


def test_streamed_body_over_the_limit_is_413(client, admin, limits):
    limits("max_body_bytes", 1000)

    def chunks():
        for _ in range(10):
            yield b"x" * 500

    r = client.post("/api/v1/alliances", headers={**admin, "Content-Type": "application/json"},
                    content=chunks())
    assert_problem(r, 413, "payload_too_large")


def test_user_rate_limit_gives_429_with_retry_after(client, admin, limits):
    limits("requests_per_minute_user", 3)
    statuses = [client.get("/api/v1/me", headers=admin).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    r = client.get("/api/v1/me", headers=admin)
    assert_problem(r, 429, "too_many_requests")
    assert 1 <= int(r.headers["retry-after"]) <= 60


def test_clients_and_users_are_counted_separately(client, admin, partner, limits):
    limits("requests_per_minute_user", 2)
    limits("requests_per_minute_client", 5)
    for _ in range(3):
        client.get("/api/v1/me", headers=admin)
    assert client.get("/api/v1/me", headers=admin).status_code == 429
    assert client.get("/api/v1/me", headers=partner).status_code == 200


def test_anonymous_callers_are_limited_per_address(client, limits):
    limits("requests_per_minute_anonymous", 2)
    codes = [client.get("/api/v1/public/alliances").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_page_size_is_capped(client, admin):
    r = client.get("/api/v1/alliances", headers=admin, params={"limit": 101})
    body = assert_problem(r, 422)
    assert ["query", "limit"] in [e["loc"] for e in body["errors"]]


def test_security_headers_on_every_response(client, admin):
    for response in (client.get("/healthz"), client.get("/api/v1/me", headers=admin),
                     client.get("/api/v1/nothing"), client.get("/api/v1/me")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
    assert client.get("/api/v1/me", headers=admin).headers["cache-control"] == "no-store"


def test_docs_page_can_load_its_assets(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert "content-security-policy" not in r.headers


def test_memory_counter_windows():
    store = MemoryCounterStore()
    assert store.hit("k", 60)[0] == 1
    assert store.hit("k", 60)[0] == 2
    assert store.peek("k")[0] == 2
    store.reset("k")
    assert store.peek("k") == (0, 0)


def test_redis_counters_are_shared_between_processes():
    prefix = f"buendnis-test:{uuid.uuid4().hex}:"
    first, second = RedisCounterStore("redis://127.0.0.1:6379/0", prefix), RedisCounterStore(
        "redis://127.0.0.1:6379/0", prefix)
    try:
        assert first.hit("caller", 60)[0] == 1
        count, ttl = second.hit("caller", 60)
        assert count == 2 and 1 <= ttl <= 60
        assert first.peek("caller")[0] == 2
    finally:
        first.reset("caller")


def test_unreachable_redis_falls_back_to_counting_in_memory():
    store = RedisCounterStore("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert store.hit("caller", 60)[0] == 1
    assert store.hit("caller", 60)[0] == 2, "limits stay in force while Redis is down"
    assert store.peek("caller")[0] == 2
    store.reset("caller")
    assert store.peek("caller")[0] == 0
