"""No text input carries NUL (U+0000).

PostgreSQL cannot store it in a text column (the driver refuses the statement: a 500), SQLite
would store it and pass it on to every list, export and e-mail. No field of this API needs it,
so it is refused as invalid input on both databases, naming each field, like any other
validation error. Mounted on the API router; it looks at what the operation reads: the path,
its declared query parameters, and a JSON or form body it takes.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Request
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

NUL = "\x00"
MESSAGE = "Text may not contain NUL characters (U+0000)"
ERROR_TYPE = "string_nul"

Loc = tuple[str | int, ...]


def nul_locations(value: Any, loc: Loc) -> Iterator[Loc]:
    """Where in a parsed JSON value a string (or an object key) holds NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                yield (*loc, key)
            yield from nul_locations(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_locations(item, (*loc, index))


def _collect(dependant: Dependant, wanted: Callable[[ModelField], bool]) -> frozenset[str]:
    names = {field.alias for field in dependant.query_params if wanted(field)}
    for sub in dependant.dependencies:
        names |= _collect(sub, wanted)
    return frozenset(names)


# A route's dependant is built once and never changes: each answer is kept, keyed by identity
# and kind (the dependant is kept alongside, so a reused id can never answer for another one).
_KEPT: dict[tuple[int, str], tuple[Dependant, frozenset[str]]] = {}


def query_names(dependant: Dependant, kind: str,
                wanted: Callable[[ModelField], bool]) -> frozenset[str]:
    """The names of the query parameters of an operation (its own and its dependencies') that
    ``wanted`` picks, worked out once per dependant and ``kind``."""
    cached = _KEPT.get((id(dependant), kind))
    if cached is not None and cached[0] is dependant:
        return cached[1]
    names = _collect(dependant, wanted)
    _KEPT[(id(dependant), kind)] = (dependant, names)
    return names


def declared_query(dependant: Dependant) -> frozenset[str]:
    """The query parameters an operation reads: its own and its dependencies'."""
    return query_names(dependant, "declared", lambda _field: True)


async def _body_locations(request: Request, route: APIRoute) -> list[Loc]:
    if route.body_field is None:
        return []
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()  # parsed already for the operation: cached
        return [("body", name) for name, value in form.multi_items()
                if isinstance(value, str) and NUL in value]
    if "json" in content_type and (body := await request.body()):
        # JSON can carry NUL only as the escape \u0000 (or, in a body that is not UTF-8, next
        # to a zero byte): a body with neither holds none, and its parsed value is not walked.
        if b"\\u0000" not in body and b"\x00" not in body:
            return []
        try:
            parsed = await request.json()  # cached as well
        except ValueError:
            return []  # not JSON after all: the operation refuses the body itself
        return list(nul_locations(parsed, ("body",)))
    return []


async def refuse_nul_characters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    locations: list[Loc] = [("path", name) for name, value in request.path_params.items()
                            if isinstance(value, str) and NUL in value]
    if request.scope.get("query_string"):
        declared = declared_query(route.dependant)
        locations += [("query", name) for name, value in request.query_params.multi_items()
                      if name in declared and NUL in value]
    locations += await _body_locations(request, route)
    if locations:
        raise RequestValidationError([
            {"loc": loc, "msg": MESSAGE, "type": ERROR_TYPE} for loc in dict.fromkeys(locations)
        ])
