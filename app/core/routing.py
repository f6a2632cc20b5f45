"""The router class every /api/v1 domain router is made with: it tells FastAPI at once when
none of its routes can match a path.

FastAPI 0.165 finds a request's route by asking each included router in turn, and each router
tries its routes one by one (a regular expression and some bookkeeping per route, ~2 µs). A
route late in ``app/api.py``'s list therefore paid for every route before it: the public seal
registry, fifteenth of thirty routers, spent a fifth of its event-loop time there
(docs/PERFORMANCE.md, "Route matching and the request's database handle"). Here each router
first tries one expression that joins all of its routes' paths; only a router that can match
walks its routes as before.
"""

import re
from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def _path_pattern(route: Any) -> str | None:
    regex = getattr(route, "path_regex", None)
    if regex is None:
        return None
    pattern: str = regex.pattern
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    # Unnamed, so that two routes' parameters of the same name can share one expression.
    return _NAMED_GROUP.sub("(?:", pattern[1:-1])


def any_route_pattern(prefix: str, routes: list[Any]) -> re.Pattern[str] | None:
    """One expression that matches every path any of ``routes`` (under ``prefix``) matches, or
    None when a route's path is not a plain expression (a nested router, a mount)."""
    patterns = [_path_pattern(route) for route in routes]
    if not patterns or any(pattern is None for pattern in patterns):
        return None
    alternatives = "|".join(dict.fromkeys(p for p in patterns if p is not None))
    # Anchored as Starlette anchors a route (``match`` with ``$``, which also takes a path
    # ending in a newline), so the router turns away exactly what its routes would.
    return re.compile(f"{re.escape(prefix)}(?:{alternatives})$")


class ApiRouter(APIRouter):
    """An ``APIRouter`` that refuses paths none of its routes can match before trying them one
    by one. ``serve_under(prefix)`` is called by app/api.py as it includes the router; until then (and
    for a router whose routes cannot be joined) it matches exactly as ``APIRouter`` does."""

    _served_under: str | None = None
    _pattern: re.Pattern[str] | None = None
    _pattern_for: int = -1

    def serve_under(self, prefix: str) -> None:
        self._served_under = prefix
        self._pattern_for = -1

    def _any_route(self) -> re.Pattern[str] | None:
        if self._served_under is None:
            return None
        if self._pattern_for != len(self.routes):  # routes added after the first request
            self._pattern = any_route_pattern(self._served_under, self.routes)
            self._pattern_for = len(self.routes)
        return self._pattern

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        pattern = self._any_route()
        if (pattern is not None and scope["type"] == "http"
                and pattern.match(get_route_path(scope)) is None):
            return Match.NONE, {}
        return super().matches(scope)
