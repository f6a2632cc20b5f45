"""Who is calling: the principal dependencies every domain router uses."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2

from app.auth import pats, tokens
from app.auth.principal import Principal
from app.auth.scopes import SCOPES
from app.core import security
from app.core.db import Db
from app.core.deps import DbDep
from app.core.errors import Forbidden, Unauthorized
from app.core.limits import enforce_rate_limit
from app.core.logging import set_actor
from app.core.nul import refuse_nul_characters
from app.core.query import refuse_unknown_query

TOKEN_URL = "/api/v1/auth/token"

oauth2_scheme = OAuth2(
    flows=OAuthFlows(
        password=OAuthFlowPassword(tokenUrl=TOKEN_URL, scopes={}),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes=SCOPES),
    ),
    scheme_name="OAuth2",
    description="People sign in with the password grant, partner systems with client "
    "credentials. Send the access token as `Authorization: Bearer <token>`. Admins' scripts "
    "may send a personal access token (`bpat_…`, see /api/v1/me/tokens) the same way.",
    auto_error=False,
)

def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _identify(request: Request, db: Db, authorization: str | None) -> Principal | None:
    token = bearer_token(authorization)
    if token is None:
        return None
    if pats.is_pat(token):
        return await db.run(pats.principal_for_pat, token, request.method)
    try:
        claims = security.decode_access_token(token)
    except security.InvalidToken as exc:
        raise Unauthorized("The access token is invalid or expired.") from exc
    # A person's check only selects columns: a plain connection does (``Db.read``).
    return await (db.read(tokens.user_principal, claims) if claims.subject_kind == "user"
                  else db.run(tokens.principal_for, claims))


async def api_request_checks(request: Request, db: DbDep) -> None:
    """Mounted on every /api/v1 router (app/api.py), in this order: the caller is identified (401
    for a bad token) and counted against its rate limit, then NUL characters and unknown or lax
    query parameters are refused (422).

    The caller is identified here, once, and kept on the request for the principal dependencies
    below, which take nothing but the request: FastAPI solves a dependency's whole subtree on
    every request, even where the value is cached, so each level costs CPU on every call. For
    the same reason the bearer token is read from the header here, not through
    ``Depends(oauth2_scheme)``: that security dependency cost 15–18 µs a request,
    1.3–1.6 times a plain one (docs/PERFORMANCE.md, "Fewer dependencies per request"); the spec
    still names the scheme (app/auth/openapi.py)."""
    await checks_for(request, await _identify(request, db, request.headers.get("authorization")))


async def checks_for(request: Request, principal: Principal | None) -> None:
    """``api_request_checks`` once the caller is known (bench/variants.py identifies it in
    other ways and then runs these)."""
    request.state.principal = principal
    if principal is None:
        enforce_rate_limit(request, None)
    else:
        set_actor(principal.actor)
        enforce_rate_limit(request, principal.actor, machine=principal.is_client)
    await refuse_nul_characters(request)
    await refuse_unknown_query(request)


def _identified(request: Request) -> Principal | None:
    try:
        principal: Principal | None = request.state.principal
    except AttributeError:
        # A programming error, not the caller's: the route is not behind api_request_checks.
        raise RuntimeError(f"{request.url.path}: a principal dependency needs "
                           "api_request_checks on its router (app/api.py)") from None
    return principal


async def optional_principal(request: Request) -> Principal | None:
    """The caller ``api_request_checks`` identified, or None without a token."""
    return _identified(request)


# Each principal dependency below takes the request itself and checks the caller in one step,
# not through ``CurrentPrincipal`` one level down: every level FastAPI solves costs ~10 µs a
# request (bench/dependency_cost.py; docs/PERFORMANCE.md, "Fewer dependencies per request").
# ``SIGNED_IN`` marks the ones that refuse an anonymous caller (401), ``PEOPLE_ONLY`` those that
# also refuse machine clients (403); the spec's security requirements read these marks
# (app/auth/openapi.py), as they read ``client_scopes``.
SIGNED_IN = "requires_signed_in_caller"
PEOPLE_ONLY = "refuses_machine_clients"


PrincipalCheck = Callable[[Request], Awaitable[Principal]]
Check = TypeVar("Check", bound=Callable[..., Awaitable[Principal]])


def signed_in_caller(request: Request) -> Principal:
    """The caller, or 401: the first step of every check that needs one."""
    principal = _identified(request)
    if principal is None:
        raise Unauthorized("Sign in and send the access token as a bearer token.")
    return principal


def _person(request: Request) -> Principal:
    principal = signed_in_caller(request)
    if principal.kind != "user":
        raise Forbidden("This endpoint is for people, not machine clients.")
    return principal


def _marked(*marks: str) -> Callable[[Check], Check]:
    def mark(dependency: Check) -> Check:
        for name in marks:
            setattr(dependency, name, True)
        return dependency

    return mark


def principal_check(dependency: Check) -> Check:
    """Marks a dependency that refuses an anonymous caller (it starts with
    ``signed_in_caller``), so that the spec lists its operation as needing a token."""
    return _marked(SIGNED_IN)(dependency)


def person_check(dependency: Check) -> Check:
    """Marks a dependency that lets only signed-in people pass, never machine clients (401,
    then 403), so that the spec says so."""
    return _marked(SIGNED_IN, PEOPLE_ONLY)(dependency)


@principal_check
async def current_principal(request: Request) -> Principal:
    return signed_in_caller(request)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


@person_check
async def current_user(request: Request) -> Principal:
    return _person(request)


@principal_check
async def admin_user(request: Request) -> Principal:
    principal = signed_in_caller(request)
    if not principal.is_admin:
        raise Forbidden("Only the Servicebüro (admin) may do this.")
    return principal


@person_check
async def alliance_user(request: Request) -> Principal:
    principal = _person(request)
    if principal.is_admin or principal.alliance_id is None:
        raise Forbidden("Only a person acting for an alliance has a membership; the "
                        "Servicebüro uses …/members.")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
AllianceUser = Annotated[Principal, Depends(alliance_user)]


def client_scopes(*alternatives: str) -> Callable[[Check], Check]:
    """Marks a principal dependency with the scopes a machine client needs (any one of them):
    the spec names them in the operation's security requirement (app/auth/openapi.py)."""

    def mark(dependency: Check) -> Check:
        dependency.client_scopes = alternatives  # type: ignore[attr-defined]
        return principal_check(dependency)  # a scope is checked on a signed-in caller only

    return mark


def user_or_client_with(scope: str) -> PrincipalCheck:
    """People pass (the service decides what they see); clients need ``scope``."""

    @client_scopes(scope)
    async def dependency(request: Request) -> Principal:
        principal = signed_in_caller(request)
        if principal.is_client and scope not in principal.scopes:
            raise Forbidden(f"This client lacks the scope {scope!r}.", code="insufficient_scope")
        return principal

    return dependency


def admin_or_client_with(scope: str) -> PrincipalCheck:
    """The Servicebüro, or a machine client holding ``scope``; alliance users never (they
    are refused before the body is even read)."""

    @client_scopes(scope)
    async def dependency(request: Request) -> Principal:
        principal = signed_in_caller(request)
        if principal.is_admin:
            return principal
        if principal.is_client:
            if scope not in principal.scopes:
                raise Forbidden(f"This client lacks the scope {scope!r}.", code="insufficient_scope")
            return principal
        raise Forbidden("Only the Servicebüro and partner systems may call this.")

    return dependency


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
