"""X-Forwarded-For counts only from configured proxies (issue 11, finding 3): otherwise any
local process, or a proxy passing the header through, picks the address that the login
throttle and the anonymous inquiry limit count."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import cli
from app.core.config import Settings
from app.main import create_app
from tests.inquiries.helpers import filing, url
from tests.utils.problems import assert_problem
from tests.utils.settings import reload_settings

WRONG = "definitely not the password"


def forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_forwarded_for_from_an_unconfigured_local_peer_is_ignored(app: FastAPI, limits) -> None:
    limits("inquiries_per_hour", 2)
    with TestClient(app, client=("127.0.0.1", 40000)) as local:
        replies = [local.post(url(), json=filing(), headers=forwarded(f"198.51.100.{n}"))
                   for n in range(3)]
    assert [r.status_code for r in replies[:2]] == [201, 201]
    assert_problem(replies[2], 429, "too_many_requests")


def test_login_throttle_counts_the_peer_not_the_forwarded_address(app: FastAPI, limits) -> None:
    limits("login_failures_per_address", 3)
    with TestClient(app, client=("127.0.0.1", 40000)) as local:
        for n in range(3):
            reply = local.post("/api/v1/auth/token", headers=forwarded(f"198.51.100.{n}"), data={
                "grant_type": "password", "username": f"niemand{n}@example.org", "password": WRONG})
            assert reply.status_code == 400, reply.text  # RFC 6749: invalid_grant
        reply = local.post("/api/v1/auth/token", headers=forwarded("198.51.100.99"), data={
            "grant_type": "password", "username": "noch-jemand@example.org", "password": WRONG})
    assert_problem(reply, 429, "too_many_requests")


def test_a_configured_proxy_is_believed(app: FastAPI, limits) -> None:
    limits("inquiries_per_hour", 1)
    trusted = create_app(Settings(trusted_proxies=["127.0.0.1"]))
    trusted.dependency_overrides = app.dependency_overrides
    with TestClient(trusted, client=("127.0.0.1", 40000)) as proxy:
        first = proxy.post(url(), json=filing(), headers=forwarded("198.51.100.1"))
        other = proxy.post(url(), json=filing(), headers=forwarded("198.51.100.2"))
        again = proxy.post(url(), json=filing(), headers=forwarded("198.51.100.1"))
    assert (first.status_code, other.status_code) == (201, 201)
    assert_problem(again, 429, "too_many_requests")
    with TestClient(trusted, client=("192.0.2.9", 40000)) as stranger:
        # Not a configured proxy: its header is ignored, its own address counts.
        assert stranger.post(url(), json=filing(), headers=forwarded("198.51.100.3")).status_code == 201
        assert_problem(stranger.post(url(), json=filing(), headers=forwarded("198.51.100.4")),
                       429, "too_many_requests")


def test_no_proxy_is_trusted_by_default() -> None:
    assert Settings().trusted_proxies == []


def test_serve_leaves_forwarded_headers_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    import uvicorn
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    reload_settings()
    assert cli.main(["serve"]) == 0
    assert seen["proxy_headers"] is False
