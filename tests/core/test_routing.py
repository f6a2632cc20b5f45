"""Every /api/v1 router turns away, with one expression, exactly the paths none of its routes
match (app/core/routing.py): never fewer (a route would become unreachable), and the routes of
the other routers stay reachable through it. Tests of the routers' expressions take the
``app`` fixture: building the app is what serves each router under /api/v1."""

import random
import re

import pytest
from starlette.routing import Match, compile_path

from app.api import API_PREFIX, API_ROUTERS
from app.core.routing import ApiRouter, any_route_pattern
from tests.utils.problems import assert_problem

_PARAM = re.compile(r"\{[^}]+\}")


def _route_regexes(router: ApiRouter) -> list[re.Pattern[str]]:
    """Each route's expression as Starlette compiles it for the mounted path (the reference:
    what matching route by route accepts)."""
    return [compile_path(API_PREFIX + route.path)[0]
            for route in router.routes if hasattr(route, "path_regex")]


def _concrete(path: str, value: str) -> str:
    return API_PREFIX + _PARAM.sub(value, path)


def _sample_paths() -> list[str]:
    """Every route's path with its parameters filled in several ways, near misses of each
    (a segment more, a trailing slash, a letter changed) and random paths of their segments."""
    routes = [route for router in API_ROUTERS for route in router.routes if hasattr(route, "path")]
    paths: set[str] = set()
    for route in routes:
        for value in ("1", "2024-25", "x.csv", "ä%20b"):
            path = _concrete(route.path, value)
            paths.update({path, path + "/", path + "/extra", path[:-1], path.replace("/", "//", 1),
                          path + "\n", path + "\n/x", "\n" + path})
    segments = sorted({part for route in routes for part in route.path.split("/") if part})
    rng = random.Random(12)
    for _ in range(3000):
        parts = [rng.choice(segments) for _ in range(rng.randint(1, 5))]
        paths.add(_concrete("/" + "/".join(parts), str(rng.randint(1, 99))))
    paths.update({"", "/", API_PREFIX, API_PREFIX + "/", "/healthz", "/api/v2/alliances"})
    return sorted(paths)


def _joined(router: ApiRouter) -> re.Pattern[str]:
    pattern = router._any_route()
    assert pattern is not None
    return pattern


def _scope(path: str) -> dict:
    return {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}


def test_every_api_router_is_an_api_router_that_filters(app):
    for router in API_ROUTERS:
        assert isinstance(router, ApiRouter)
        nested = any(not hasattr(route, "path_regex") for route in router.routes)
        # A router that includes another (auth: the token endpoint) cannot join its paths and
        # matches as FastAPI does; every other one filters.
        assert (router._any_route() is None) is nested, router.prefix


def test_the_joined_expression_matches_exactly_what_the_routes_match(app):
    paths = _sample_paths()
    for router in API_ROUTERS:
        joined = router._any_route()
        if joined is None:
            continue
        singles = _route_regexes(router)
        for path in paths:
            expected = any(single.match(path) for single in singles)
            assert (joined.match(path) is not None) is expected, (router.prefix, path)


def test_a_router_turns_away_other_routers_paths_and_takes_its_own(app):
    alliances = next(r for r in API_ROUTERS if r.prefix == "/alliances")
    seals = next(r for r in API_ROUTERS if r.prefix == "/public/seals")
    assert alliances.matches(_scope(f"{API_PREFIX}/public/seals"))[0] is Match.NONE
    assert seals.matches(_scope(f"{API_PREFIX}/alliances/1"))[0] is Match.NONE
    assert _joined(alliances).match(f"{API_PREFIX}/alliances/1")
    assert _joined(seals).match(f"{API_PREFIX}/public/seals")


def test_parameters_of_the_same_name_in_several_routes_join():
    pattern = any_route_pattern("/p", [type("R", (), {"path_regex": re.compile(
        rf"^/a/(?P<id>[^/]+){tail}$")})() for tail in ("", "/b")])
    assert pattern is not None
    assert pattern.match("/p/a/7/b") and pattern.match("/p/a/7")
    assert pattern.match("/p/a/7/c") is None


def test_a_router_not_yet_served_under_a_prefix_matches_as_fastapi_does():
    router = ApiRouter(prefix="/things")

    @router.get("/{thing_id}")
    async def read_thing(thing_id: int) -> int:
        return thing_id

    assert router._any_route() is None
    router.serve_under("/api")
    assert _joined(router).match("/api/things/3")

    @router.get("/{thing_id}/parts")
    async def read_parts(thing_id: int) -> int:
        return thing_id

    # A route added later is seen: the expression is rebuilt.
    assert _joined(router).match("/api/things/3/parts")


@pytest.mark.parametrize("url", ["/api/v1/public/seals", "/api/v1/public/workgroup-results",
                                 "/api/v1/public/faq"])
def test_routes_of_late_routers_answer(client, url):
    assert client.get(url).status_code == 200


def test_a_wrong_method_on_a_late_router_is_still_405_with_allow(client):
    response = client.delete("/api/v1/public/seals")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("url", ["/api/v1/nowhere", "/api/v1/public/sealsx",
                                 "/api/v1/alliances/1/nowhere", "/api/v1"])
def test_a_path_no_router_takes_is_a_404_problem(client, admin, url):
    assert_problem(client.get(url, headers=admin), 404, "not_found")


def test_a_trailing_slash_still_redirects_to_the_route(client):
    response = client.get("/api/v1/public/seals/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/api/v1/public/seals")
