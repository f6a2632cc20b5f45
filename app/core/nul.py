"""No text input carries NUL (U+0000) or an unpaired surrogate (U+D800–U+DFFF).

PostgreSQL cannot store NUL in a text column (the driver refuses the statement: a 500), SQLite
would store it and pass it on to every list, export and e-mail. A surrogate is not a character
at all: JSON can still write one alone as an escape (``"\\ud800"``), and Python reads it into a
string no UTF-8 encoder takes, so the row was stored and every reply that carried it failed
(a 500 on the write that stored it and on every read after). No field of this API needs
either, so both are refused as invalid input on both databases, naming each field, like any
other validation error. Mounted on the API router; it looks at what the operation reads: the
path, its declared query parameters, and a JSON or form body it takes.
"""

import re
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
SURROGATE_MESSAGE = "Text may not contain unpaired surrogates (U+D800 to U+DFFF)"
SURROGATE_ERROR_TYPE = "string_surrogate"
_SURROGATE = re.compile("[\ud800-\udfff]")
# How a UTF-8 JSON body can spell a surrogate: as an escape (a pair is read into one
# character, a lone one is not), or as the bytes UTF-8 would give it, which ``json.loads``
# decodes with "surrogatepass". UTF-16 and UTF-32 bodies hold zero bytes and are walked anyway.
_SURROGATE_SPELLING = re.compile(rb"\\u[dD][89abcdefABCDEF]|\xed[\xa0-\xbf]")


def _may_hold_surrogate(body: bytes) -> bool:
    """Whether a JSON body can hold a surrogate. Substring tests first: they scan a 140 KB
    batch in a third of the time of the expression, which only runs when one of them hits."""
    if b"\x00" in body:
        return True
    return ((b"\\ud" in body or b"\\uD" in body or b"\xed" in body)
            and _SURROGATE_SPELLING.search(body) is not None)


Loc = tuple[str | int, ...]


def nul_locations(value: Any, loc: Loc) -> Iterator[Loc]:
    """Where in a parsed JSON value a string (or an object key) holds NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            name = _nameable(key)
            if isinstance(key, str) and NUL in key:
                yield (*loc, name)
            yield from nul_locations(item, (*loc, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_locations(item, (*loc, index))


def _nameable(key: Any) -> Any:
    """An object key as a problem reply can name it: unpaired surrogates as U+FFFD (the reply
    must be encodable itself). The key itself when it holds none."""
    if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
        return _SURROGATE.sub("\ufffd", key)
    return key


def surrogate_locations(value: Any, loc: Loc) -> Iterator[Loc]:
    """Where in a parsed JSON value a string (or an object key) holds an unpaired surrogate."""
    if isinstance(value, str):
        if not value.isascii() and _SURROGATE.search(value):
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            name = _nameable(key)
            if name is not key:
                yield (*loc, name)
            yield from surrogate_locations(item, (*loc, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from surrogate_locations(item, (*loc, index))


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


Fault = tuple[Loc, str, str]  # where, the error type, its message


def _nul_faults(locations: Iterator[Loc]) -> list[Fault]:
    return [(loc, ERROR_TYPE, MESSAGE) for loc in locations]


async def _body_faults(request: Request, route: APIRoute) -> list[Fault]:
    if route.body_field is None:
        return []
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()  # parsed already for the operation: cached
        # A form decodes its fields with the charset the request names (utf-7 spells a
        # surrogate too), so its text is looked at for both.
        texts = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        return _nul_faults(("body", name) for name, value in texts if NUL in value) + [
            (("body", _nameable(name)), SURROGATE_ERROR_TYPE, SURROGATE_MESSAGE)
            for name, value in texts if not value.isascii() and _SURROGATE.search(value)]
    if "json" in content_type and (body := await request.body()):
        # JSON can carry NUL only as the escape \u0000 (or, in a body that is not UTF-8, next
        # to a zero byte), and a surrogate only as ``_may_hold_surrogate`` finds it: a body
        # with none of them holds neither, and its parsed value is not walked.
        nul = b"\\u0000" in body or b"\x00" in body
        surrogate = _may_hold_surrogate(body)
        if not (nul or surrogate):
            return []
        try:
            parsed = await request.json()  # cached as well
        except ValueError:
            return []  # not JSON after all: the operation refuses the body itself
        faults = _nul_faults(nul_locations(parsed, ("body",))) if nul else []
        if surrogate:
            faults += [(loc, SURROGATE_ERROR_TYPE, SURROGATE_MESSAGE)
                       for loc in surrogate_locations(parsed, ("body",))]
        return faults
    return []


async def refuse_nul_characters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    faults = _nul_faults(("path", name) for name, value in request.path_params.items()
                         if isinstance(value, str) and NUL in value)
    if request.scope.get("query_string"):
        declared = declared_query(route.dependant)
        faults += _nul_faults(("query", name) for name, value in request.query_params.multi_items()
                              if name in declared and NUL in value)
    faults += await _body_faults(request, route)
    if faults:
        raise RequestValidationError([
            {"loc": loc, "msg": message, "type": kind}
            for loc, kind, message in dict.fromkeys(faults)
        ])
