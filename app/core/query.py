"""Unknown query parameters are refused, like unknown body fields.

A mistyped filter (``?stauts=open``) would otherwise be ignored silently and the caller would get
everything. Mounted on the API router: every operation accepts exactly the query parameters it
declares (its own and its dependencies', pagination included) and answers 422 naming the others.
"""

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from app.core.nul import declared_query

MESSAGE = "Unknown query parameter"
ERROR_TYPE = "extra_forbidden"


async def refuse_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    declared = declared_query(route.dependant)
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in declared]
    if unknown:
        raise RequestValidationError([
            {"loc": ("query", name), "msg": MESSAGE, "type": ERROR_TYPE} for name in unknown
        ])
