"""Every route of an app, included routers unfolded (for the tests that walk the route table)."""

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute


def walk_routes(routes: list[Any]) -> Iterator[Any]:
    """APIRoutes, and for FastAPI's included routers their route contexts (each carries
    path, methods and name)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
        elif hasattr(route, "routes"):
            yield from walk_routes(route.routes)
