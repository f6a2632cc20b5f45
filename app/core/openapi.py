"""The contract every operation shares, written into the spec in one place.

Routers document what is particular to them (their 404, 409, 412, their bodies); everything an
operation inherits from the stack around it is added here, for every route in the route table, so
a route added later gets it without a word in its router:

* 429 with ``Retry-After`` wherever the rate limit applies, 503 (database unreachable) on every
  operation, 413 where a body is read, 422 where query parameters are checked (unknown ones are
  refused), 304 on reads that send an ``ETag``;
* response headers: ``X-Request-ID`` on every response, the IETF ``RateLimit`` and
  ``RateLimit-Policy`` fields on rate-limited ones, ``ETag``, ``Link``, ``Location``,
  ``Content-Disposition`` and ``Idempotent-Replayed`` where the operation sends them;
* the problem ``code`` as an enum of every code the code base raises;
* a description on every operation.

Which operations send which header is read from the route itself (its response model, its
parameters and dependencies, the helpers its endpoint calls), see ``RouteFacts``; the ETag from
the ``SetETag`` dependency every ETag goes through.
"""

import ast
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from app.core import errors
from app.core.errors import PROBLEM_MEDIA_TYPE, AppError
from app.core.etags import etag_writer

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (yours when you sent a valid one): quote it when "
        "reporting a problem.", "schema": {"type": "string", "maxLength": 128}},
    "RateLimit": {
        "description": "IETF RateLimit header field: the quota left in the current window, "
        "e.g. `\"default\";r=57;t=42` (57 requests left, window resets in 42 s).",
        "schema": {"type": "string"}},
    "RateLimit-Policy": {
        "description": "IETF RateLimit-Policy header field: the caller's quota, e.g. "
        "`\"default\";q=60;w=60` (60 requests per 60 s).", "schema": {"type": "string"}},
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1}},
    "ETag": {
        "description": "`\"<resource>-<id>-v<version>.<digest>\"`: the resource's version and a "
        "digest of this reply's whole body as you get it (counts, positions, per-caller and "
        "clock-driven fields included). As If-None-Match on a read: 304 only while the body "
        "would be the same. As If-Match on a write: compared by the version part only, so the "
        "write succeeds while nobody changed the resource itself, even if a computed value in "
        "the reply moved; a stale version gets 412 naming the current one.",
        "schema": {"type": "string"}},
    "Link": {
        "description": "RFC 8288 link to the next page (`rel=\"next\"`) while there is one.",
        "schema": {"type": "string"}},
    "Location": {"description": "The created resource.",
                 "schema": {"type": "string", "format": "uri-reference"}},
    "Content-Disposition": {"description": "`attachment` with the file name.",
                            "schema": {"type": "string"}},
    "Content-Language": {
        "description": "`de` when the request asked for German (`Accept-Language: de`, q-values "
        "weighed): the problem's title, detail and messages are German; `en` otherwise. Codes "
        "and field names stay English.", "schema": {"type": "string", "enum": ["de", "en"]}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored reply to an earlier request with the "
        "same Idempotency-Key.", "schema": {"type": "string", "enum": ["true"]}},
}

IF_NONE_MATCH: dict[str, Any] = {
    "name": "If-None-Match", "in": "header", "required": False,
    "description": "ETags from earlier reads: 304 without a body while one still matches",
    "schema": {"type": "string", "maxLength": 512},
}

STANDARD_RESPONSES: dict[str, str] = {
    "304": "Not modified: the ETag sent as If-None-Match still matches (no body).",
    "401": "Not authenticated: the token is missing, invalid or expired",
    "403": "Not allowed for this caller",
    "413": "Body too large",
    "422": "Invalid input (unknown query parameters included)",
    "429": "Rate limited: wait for Retry-After seconds",
    "503": "Temporarily unavailable (the database is not reachable): retry after Retry-After",
}

# Framework codes rendered without an AppError subclass (errors.py and middleware).
FRAMEWORK_CODES = frozenset(
    {code for code, _ in errors.STATUS_CODES.values()}
    | {"http_error", "validation_error", "database_unavailable", "internal_error"}
)
_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def _subclasses(cls: type[AppError]) -> Iterator[type[AppError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@cache
def _codes_in_source(root: Path) -> frozenset[str]:
    """``code="…"`` keyword arguments: a service may raise a base class with its own code."""
    found: set[str] = set()
    for file in root.rglob("*.py"):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "code":
                # code="x", or code="x" if … else "y"
                found.update(value.value for value in ast.walk(node.value)
                             if isinstance(value, ast.Constant) and isinstance(value.value, str))
    return frozenset(found)


def problem_codes() -> list[str]:
    """Every problem ``code`` the API can answer with: each AppError subclass's, the codes
    services pass to a base class, and the framework's own."""
    codes = {AppError.code, *(sub.code for sub in _subclasses(AppError)), *FRAMEWORK_CODES}
    codes |= _codes_in_source(Path(__file__).resolve().parent.parent)
    return sorted(code for code in codes if _CODE_PATTERN.match(code))


def _problem(description: str, *headers: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}
    if headers:
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in headers}
    return response


@dataclass(frozen=True)
class RouteFacts:
    """What an operation inherits, read from its route."""

    rate_limited: bool
    checks_query: bool
    sends_etag: bool
    sends_link: bool
    sends_location: bool
    sends_file: bool
    idempotent: bool


def _endpoint_source(route: RouteContext) -> str:
    if route.endpoint is None:
        return ""
    try:
        return inspect.getsource(route.endpoint)
    except (OSError, TypeError):
        return ""


def route_facts(route: RouteContext, calls: set[Callable[..., Any]], *,
                rate_limiter: Callable[..., Any],
                query_checker: Callable[..., Any]) -> RouteFacts:
    source = _endpoint_source(route)
    headers = {param.alias.lower() for dep in _all_dependants(route)
               for param in dep.header_params}
    return RouteFacts(
        rate_limited=rate_limiter in calls,
        checks_query=query_checker in calls,
        # Not read from the source: an ETag is only ever set through the SetETag dependency
        # (core/etags.py), so a route that takes it is a route that sends one.
        sends_etag=etag_writer in calls,
        sends_link="set_link_header(" in source,
        sends_location='"Location"' in source,
        sends_file="Content-Disposition" in source,
        idempotent="idempotency-key" in headers,
    )


def _all_dependants(route: RouteContext) -> Iterator[Any]:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        yield dependant
        stack.extend(dependant.dependencies)


def dependency_calls(route: RouteContext) -> set[Callable[..., Any]]:
    return {dep.call for dep in _all_dependants(route) if dep.call is not None}


def _add_headers(response: dict[str, Any], names: Iterable[str]) -> None:
    headers = response.setdefault("headers", {})
    for name in names:
        headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})


def _description(operation: dict[str, Any]) -> str:
    summary = operation.get("summary") or operation["operationId"].replace("-", " ")
    return summary.rstrip(".") + "."


def complete_operation(operation: dict[str, Any], method: str, facts: RouteFacts) -> None:
    """Adds the inherited responses and headers to one operation of the spec."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if not operation.get("description"):
        operation["description"] = _description(operation)
    if facts.rate_limited:
        responses.setdefault("429", _problem(STANDARD_RESPONSES["429"], "Retry-After"))
        _add_headers(responses["429"], ["Retry-After"])
    responses.setdefault("503", _problem(STANDARD_RESPONSES["503"], "Retry-After"))
    _add_headers(responses["503"], ["Retry-After"])
    if "requestBody" in operation:
        responses.setdefault("413", _problem(STANDARD_RESPONSES["413"]))
    if facts.checks_query:
        responses.setdefault("422", _problem(STANDARD_RESPONSES["422"]))
    if method == "get" and facts.sends_etag:
        responses.setdefault("304", {"description": STANDARD_RESPONSES["304"]})
        _add_headers(responses["304"], ["ETag"])
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "If-None-Match" for p in parameters):
            parameters.append(IF_NONE_MATCH)
    for status in ("401", "403", "422", "429", "503", "413"):
        if status in responses and "content" not in responses[status]:
            responses[status]["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    for status, response in responses.items():
        names = ["X-Request-ID"]
        if facts.rate_limited:
            names += ["RateLimit", "RateLimit-Policy"]
        media_types = set(response.get("content", {}))
        if PROBLEM_MEDIA_TYPE in media_types or "text/html" in media_types:
            names.append("Content-Language")
        if status.startswith("2"):
            # A page for a browser (text/html) is shown, not downloaded.
            if facts.sends_file or media_types - {"application/json", "text/html"}:
                names.append("Content-Disposition")
            if facts.sends_etag:
                names.append("ETag")
            if facts.sends_link:
                names.append("Link")
            if facts.sends_location and status == "201":
                names.append("Location")
            if facts.idempotent:
                names.append("Idempotent-Replayed")
        _add_headers(response, names)


def api_routes(app: FastAPI) -> Iterator[RouteContext]:
    """The live route table: every API route as mounted (prefix and router dependencies)."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            yield route


def operations(app: FastAPI, schema: dict[str, Any]) -> Iterator[tuple[RouteContext, str, dict[str, Any]]]:
    """Each operation of the spec with the route it came from."""
    paths = schema.get("paths", {})
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        item = paths.get(route.path_format)
        if item is None:
            continue
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is not None:
                yield route, method.lower(), operation


def complete_spec(app: FastAPI, schema: dict[str, Any], *,
                  rate_limiter: Callable[..., Any],
                  query_checker: Callable[..., Any]) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    problem = components.get("schemas", {}).get("Problem")
    if problem is not None:
        problem["properties"]["code"]["enum"] = problem_codes()
    for route, method, operation in operations(app, schema):
        facts = route_facts(route, dependency_calls(route), rate_limiter=rate_limiter,
                            query_checker=query_checker)
        complete_operation(operation, method, facts)


# --- named shapes ---------------------------------------------------------------------------
# Pydantic names models and enum classes; a Literal, a discriminated union or a model the spec
# only reaches through a hand-written schema stays inline, repeated wherever it is used, and a
# generated client then makes one anonymous type per place. These are named once here.

_KEEP_BESIDE_REF = ("description", "default", "examples", "deprecated")


@dataclass(frozen=True)
class NamedShapes:
    """``enums``: component name -> (values, description); every inline enum with exactly these
    values (in any order) becomes a reference, and so does an inline copy of an enum component
    pydantic already made. ``unions``: component name -> (member component names,
    description); a ``oneOf`` of exactly these references becomes one. ``models``: components
    to add from pydantic models the spec only references by name."""

    enums: dict[str, tuple[tuple[str, ...], str]]
    unions: dict[str, tuple[frozenset[str], str]]
    models: dict[str, Any]


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _as_reference(node: dict[str, Any], name: str) -> None:
    kept = {key: node[key] for key in _KEEP_BESIDE_REF if key in node}
    node.clear()
    node["$ref"] = _ref(name)
    node.update(kept)


def _union_members(node: dict[str, Any]) -> frozenset[str] | None:
    options = node.get("oneOf")
    if not isinstance(options, list) or not options:
        return None
    refs = [option.get("$ref") for option in options if isinstance(option, dict)]
    names = [ref.rsplit("/", 1)[1] for ref in refs if isinstance(ref, str)]
    return frozenset(names) if len(names) == len(options) else None


def name_shapes(schema: dict[str, Any], shapes: NamedShapes) -> None:
    components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in shapes.models.items():
        model_schema = model.model_json_schema(ref_template=_ref("{model}"))
        for def_name, definition in model_schema.pop("$defs", {}).items():
            components.setdefault(def_name, definition)
        components[name] = model_schema
    by_values: dict[frozenset[str], str] = {}
    for name, component in components.items():
        if isinstance(component.get("enum"), list):
            by_values.setdefault(frozenset(map(str, component["enum"])), name)
    for name, (values, description) in shapes.enums.items():
        components[name] = {"type": "string", "enum": list(values), "title": name,
                            "description": description}
        by_values[frozenset(values)] = name
    by_members = {members: name for name, (members, _) in shapes.unions.items()}
    union_bodies: dict[str, dict[str, Any]] = {}

    def walk(node: Any, owner: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, owner)
            return
        if not isinstance(node, dict):
            return
        enum = node.get("enum")
        if isinstance(enum, list) and "$ref" not in node:
            name = by_values.get(frozenset(map(str, enum)))
            if name is not None and name != owner:
                _as_reference(node, name)
                return
        members = _union_members(node)
        if members is not None and members in by_members:
            name = by_members[members]
            union_bodies.setdefault(name, {key: value for key, value in node.items()
                                           if key in ("oneOf", "discriminator")})
            _as_reference(node, name)
            return
        for value in node.values():
            walk(value, owner)

    for name, component in list(components.items()):
        walk(component, name)
    walk(schema.get("paths", {}), None)
    for name, (_, description) in shapes.unions.items():
        if name in union_bodies:
            components[name] = {**union_bodies[name], "title": name, "description": description}
