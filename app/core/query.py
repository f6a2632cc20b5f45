"""Unknown query parameters are refused, like unknown body fields; boolean ones are strict.

A mistyped filter (``?stauts=open``) would otherwise be ignored silently and the caller would get
everything. Mounted on the API router: every operation accepts exactly the query parameters it
declares (its own and its dependencies', pagination included) and answers 422 naming the others.

Operations people reach through a shared link or a calendar app (``LINK_TARGETS``) ignore
parameters they do not declare instead.

A boolean query parameter is ``true`` or ``false``, as the spec says, like a boolean in a body
(core/schemas.StrictInput): pydantic's lax reading would take ``yes``, ``on`` or ``1`` too, and
``?dry_run=ja`` must not quietly become a real import.
"""

from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from app.core.nul import declared_query, query_names

# Addresses people open from a link: a shared post, the certificate's QR code, a calendar app.
# Those add parameters of their own (fbclid, utm_*, a cache-buster) that must not turn the page
# or the file into a 422; every other operation refuses unknown parameters. Route names.
LINK_TARGETS = frozenset({"public-seals-verify", "public-events-calendar", "public-calendar-feed"})

MESSAGE = "Unknown query parameter"
ERROR_TYPE = "extra_forbidden"
BOOLEAN_VALUES = ("true", "false")
BOOLEAN_MESSAGE = "Input should be true or false"
BOOLEAN_ERROR_TYPE = "bool_parsing"


def _is_boolean(annotation: Any) -> bool:
    if annotation is bool:
        return True
    if get_origin(annotation) in (Union, UnionType):
        args = [arg for arg in get_args(annotation) if arg is not NoneType]
        return args == [bool]
    return False


def boolean_query(dependant: Dependant) -> frozenset[str]:
    """The boolean query parameters of an operation (its own and its dependencies')."""
    return query_names(dependant, "boolean",
                       lambda field: _is_boolean(field.field_info.annotation))


async def refuse_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    declared = declared_query(route.dependant)
    unknown = [] if route.name in LINK_TARGETS else [
        name for name in dict.fromkeys(request.query_params.keys()) if name not in declared]
    if unknown:
        raise RequestValidationError([
            {"loc": ("query", name), "msg": MESSAGE, "type": ERROR_TYPE} for name in unknown
        ])
    booleans = boolean_query(route.dependant)
    lax = [name for name, value in request.query_params.multi_items()
           if name in booleans and value not in BOOLEAN_VALUES]
    if lax:
        raise RequestValidationError([
            {"loc": ("query", name), "msg": BOOLEAN_MESSAGE, "type": BOOLEAN_ERROR_TYPE}
            for name in dict.fromkeys(lax)
        ])
