"""The caller is identified once per request, by ``api_request_checks``, before any dependency
that reads it (app/auth/deps.py): every /api/v1 route runs that check first, no route outside
/api/v1 reads a principal, a principal dependency outside that order fails loudly, and a
request identifies its caller with exactly one database unit."""

import asyncio
import inspect
from typing import Any

import pytest
from starlette.requests import Request

from app.api import API_PREFIX
from app.auth import deps
from app.core import db as core_db
from app.core.errors import Unauthorized
from app.core.openapi import api_routes, dependency_calls
from app.cycles.deps import cycle_reader
from app.notices.router import alliance_member

PRINCIPAL_READERS = {
    deps.optional_principal, deps.current_principal, deps.current_user, deps.admin_user,
    deps.alliance_user, deps.user_or_client_with("alliances:read"),
    deps.admin_or_client_with("surveys:write"), cycle_reader, alliance_member,
}


def _reads_a_principal(call: Any) -> bool:
    return call is deps.optional_principal or getattr(call, deps.SIGNED_IN, False)


def _calls_in_order(dependant: Any) -> list[Any]:
    return [sub.call for sub in dependant.dependencies]


def test_every_api_route_identifies_the_caller_first(app):
    routes = [route for route in api_routes(app) if route.path_format.startswith(API_PREFIX)]
    assert len(routes) > 150
    for route in routes:
        assert _calls_in_order(route.dependant)[0] is deps.api_request_checks, route.path_format


def test_no_route_outside_the_api_reads_a_principal(app):
    for route in api_routes(app):
        if not route.path_format.startswith(API_PREFIX):
            assert not any(map(_reads_a_principal, dependency_calls(route))), route.path_format


def _checks_taking_only_the_request(app: Any) -> set[Any]:
    found = set()
    for route in api_routes(app):
        for call in dependency_calls(route):
            if inspect.iscoroutinefunction(call) and list(inspect.signature(call).parameters) == ["request"]:
                found.add(call)
    return found


def test_a_check_that_refuses_an_anonymous_caller_is_marked_for_the_spec(app):
    """Found, not listed: every dependency of every route that takes only the request is run
    for an anonymous caller; one that answers 401 must carry ``SIGNED_IN``, or the spec would
    call its operations public (app/auth/openapi.py)."""
    refusing = []
    for call in _checks_taking_only_the_request(app):
        request = Request({"type": "http", "method": "GET", "path": "/api/v1/x", "headers": [],
                           "query_string": b"", "state": {"principal": None}})
        try:
            asyncio.run(call(request))
        except Unauthorized:
            refusing.append(call)
            assert getattr(call, deps.SIGNED_IN, False), call.__qualname__
    assert len(refusing) >= 6, [call.__qualname__ for call in refusing]


def test_every_principal_dependency_is_marked_for_the_spec():
    """The spec's security requirements find a route's principal checks by their marks
    (app/auth/openapi.py); an unmarked check would make its operation look public."""
    for reader in PRINCIPAL_READERS - {deps.optional_principal}:
        assert getattr(reader, deps.SIGNED_IN, False), reader.__qualname__
    assert getattr(deps.current_user, deps.PEOPLE_ONLY, False)
    assert getattr(deps.alliance_user, deps.PEOPLE_ONLY, False)
    assert getattr(alliance_member, deps.PEOPLE_ONLY, False)


@pytest.mark.parametrize("reader", sorted(PRINCIPAL_READERS, key=lambda f: f.__qualname__),
                         ids=lambda f: f.__qualname__)
def test_a_principal_dependency_before_the_check_is_a_programming_error(reader):
    request = Request({"type": "http", "method": "GET", "path": "/elsewhere", "headers": [],
                       "query_string": b"", "state": {}})
    with pytest.raises(RuntimeError, match="api_request_checks"):
        asyncio.run(reader(request))


def test_a_signed_in_request_reads_its_caller_once(client, admin, monkeypatch):
    units: list[str] = []
    real_run, real_read = core_db.Db.run, core_db.Db.read

    async def counting_run(self, fn, *args, **kwargs):
        units.append(getattr(fn, "__name__", "?"))
        return await real_run(self, fn, *args, **kwargs)

    async def counting_read(self, fn, *args, **kwargs):
        units.append(getattr(fn, "__name__", "?"))
        return await real_read(self, fn, *args, **kwargs)

    monkeypatch.setattr(core_db.Db, "run", counting_run)
    monkeypatch.setattr(core_db.Db, "read", counting_read)
    # /alliances/{id} asks for its principal through three dependencies (the API check, the
    # reader check and the route), /me through two.
    assert client.get("/api/v1/me", headers=admin).status_code == 200
    assert client.get("/api/v1/alliances/2147483647", headers=admin).status_code == 404
    assert units == ["user_principal", "user_principal", "read_alliance"]
