"""Security requirements in the spec, derived from each route's principal dependencies.

FastAPI derives an operation's requirement from security dependencies, and the app has none:
the API-wide checks on every router (``api_request_checks``) read the bearer token themselves
to identify the (optional) caller, and the principal checks carry marks instead
(``SIGNED_IN``, ``PEOPLE_ONLY``, ``client_scopes``; app/auth/deps.py). So the OAuth2 scheme is
written into the spec here (``add_security_scheme``), and each operation gets what it really
needs:

* no principal dependency (token, refresh, invitations, the public registry): ``security: []``;
* ``OptionalPrincipal`` only: ``[{}, {"OAuth2": []}]``, anonymous or with a token;
* a required principal: ``[{"OAuth2": []}]``, or one requirement per scope a machine client may
  hold to pass (``client_scopes`` on the dependency), e.g. ``[{"OAuth2": ["alliances:read"]}]``.

The checks' own subtree is not looked into: they identify the caller for the routes, to count
it and to hand it on; what a route needs shows in its own principal dependencies.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.routing import RouteContext

from app.auth.deps import (
    PEOPLE_ONLY,
    SIGNED_IN,
    admin_user,
    api_request_checks,
    oauth2_scheme,
    optional_principal,
)
from app.core.errors import PROBLEM_MEDIA_TYPE

SCHEME = "OAuth2"
_PROBLEM = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _calls(route: RouteContext) -> Iterator[Callable[..., Any]]:
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if dependant.call is None:
            continue
        yield dependant.call
        if dependant.call is not api_request_checks:
            stack.extend(dependant.dependencies)


def _any_marked(calls: set[Callable[..., Any]], mark: str) -> bool:
    """A principal dependency in ``calls`` carries ``mark`` (app/auth/deps.py)."""
    return any(getattr(call, mark, False) for call in calls)


def requirement(route: RouteContext) -> tuple[list[dict[str, list[str]]], str]:
    """The operation's security requirement and a sentence naming who may call it."""
    calls = set(_calls(route))
    if not _any_marked(calls, SIGNED_IN):
        if optional_principal in calls:
            return [{}, {SCHEME: []}], "Anyone; a token is optional and may change the answer."
        return [], "Anyone, without a token."
    scopes = sorted({scope for call in calls for scope in getattr(call, "client_scopes", ())})
    if admin_user in calls and not scopes:
        return [{SCHEME: []}], "The Servicebüro (admin) only."
    if _any_marked(calls, PEOPLE_ONLY):
        return [{SCHEME: []}], "Signed-in people only, not machine clients."
    if scopes:
        needs = " or ".join(f"`{scope}`" for scope in scopes)
        return ([{SCHEME: [scope]} for scope in scopes],
                f"Signed-in callers; machine clients need the scope {needs}.")
    return [{SCHEME: []}], "Signed-in callers."


def _restricted(route: RouteContext) -> bool:
    calls = set(_calls(route))
    return admin_user in calls or _any_marked(calls, PEOPLE_ONLY) or any(
        getattr(call, "client_scopes", ()) for call in calls)


def add_security_scheme(schema: dict[str, Any]) -> None:
    """The OAuth2 scheme the requirements name. FastAPI lists a scheme only when a route depends
    on it; ``api_request_checks`` reads the bearer token itself (app/auth/deps.py), so the
    scheme is written here, as FastAPI would write it."""
    components = schema.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    schemes[oauth2_scheme.scheme_name] = jsonable_encoder(
        oauth2_scheme.model, by_alias=True, exclude_none=True)


def _set_after(operation: dict[str, Any], anchor: str, key: str, value: Any) -> None:
    """``operation[key] = value``, a new key placed right after ``anchor``: the security of each
    operation reads before its parameters, as in a spec FastAPI derives itself."""
    if key in operation or anchor not in operation:
        operation[key] = value
        return
    items = list(operation.items())
    operation.clear()
    for name, item in items:
        operation[name] = item
        if name == anchor:
            operation[key] = value


def apply_security(operation: dict[str, Any], route: RouteContext, method: str) -> None:
    security, callers = requirement(route)
    # Where FastAPI puts a requirement it derives: after ``deprecated``, else ``operationId``.
    anchor = "deprecated" if "deprecated" in operation else "operationId"
    _set_after(operation, anchor, "security", security)
    base = operation.get("description") or (
        (operation.get("summary") or operation.get("operationId", "")).rstrip(".") + ".")
    operation["description"] = base.rstrip() + f"\n\n**Callers:** {callers}"
    responses = operation.setdefault("responses", {})
    if security:
        responses.setdefault("401", {"description": "Not authenticated: the token is missing, "
                                     "invalid or expired", "content": _PROBLEM})
    if (security and security[0]) and (_restricted(route) or method not in ("get", "head")):
        # Personal access tokens without api:write are refused on writes, too.
        responses.setdefault("403", {"description": "Not allowed for this caller",
                                     "content": _PROBLEM})
