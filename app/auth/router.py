import base64
import binascii
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from fastapi import Depends, Form, Header, Query, Request, Response, status

from app.auth import pats, service, tokens
from app.auth.deps import AdminUser, CurrentPrincipal, CurrentUser, admin_user
from app.auth.models import Role
from app.auth.oauth_errors import OAuthTokenRoute
from app.auth.schemas import (
    AcceptInvitation,
    ClientCreate,
    ClientRead,
    ClientUpdate,
    ClientWithSecret,
    Me,
    PatCreate,
    PatCreated,
    PatRead,
    RefreshRequest,
    TokenResponse,
    UserCreate,
    UserCreated,
    UserRead,
    UserUpdate,
)
from app.core.deps import DbDep
from app.core.errors import BadRequest, problem_responses
from app.core.etags import IfMatch, SetETag
from app.core.ids import RowId
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter

router = ApiRouter(tags=["auth"])
users_router = ApiRouter(prefix="/users", tags=["users"], dependencies=[Depends(admin_user)],
                         responses=problem_responses(401, 403))
clients_router = ApiRouter(prefix="/clients", tags=["clients"], dependencies=[Depends(admin_user)],
                           responses=problem_responses(401, 403))
PageDep = Annotated[PageParams, Depends(page_params)]


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = raw.partition(":")
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before they are joined.
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else None


token_router = ApiRouter(tags=["auth"], route_class=OAuthTokenRoute)


@token_router.post(
    "/auth/token", name="auth-token", response_model=TokenResponse,
    responses=problem_responses(400, 401, 429),
    summary="Get an access token (password, client credentials or refresh token grant)",
)
async def issue_token(
    request: Request,
    db: DbDep,
    grant_type: Annotated[Literal["password", "client_credentials", "refresh_token"], Form()],
    username: Annotated[str | None, Form(max_length=320)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    """The OAuth 2.0 token endpoint (RFC 6749): people use `grant_type=password` (section 4.3)
    and then `grant_type=refresh_token` (section 6: single use, rotated); partner systems use
    `grant_type=client_credentials` (section 4.4) with `client_id`/`client_secret` in the form
    or as HTTP Basic. Refusals are problem documents that also carry the RFC's `error` and
    `error_description`: 400 invalid_request, invalid_grant (wrong password, bad refresh
    token), unsupported_grant_type, invalid_scope; 401 invalid_client with
    `WWW-Authenticate: Basic`."""
    address = _client_address(request)
    if grant_type == "password":
        if not username or not password:
            raise BadRequest("username and password are required for the password grant.",
                             code="invalid_request")
        return await db.run(tokens.password_grant, username, password, address)
    if grant_type == "refresh_token":
        if not refresh_token:
            raise BadRequest("refresh_token is required for the refresh_token grant.",
                             code="invalid_request")
        return await db.run(tokens.refresh_grant, refresh_token)
    basic = _basic_credentials(authorization)
    if basic:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise BadRequest("client_id and client_secret (form or HTTP Basic) are required.",
                         code="invalid_request")
    return await db.run(tokens.client_credentials_grant, client_id, client_secret, scope, address)


router.include_router(token_router)


@router.post("/auth/refresh", name="auth-refresh", response_model=TokenResponse,
             responses=problem_responses(401, 422), summary="Rotate a refresh token (JSON)")
async def refresh_token(body: RefreshRequest, db: DbDep) -> TokenResponse:
    """The same as `grant_type=refresh_token` on /auth/token, with a JSON body; kept for
    existing clients. OAuth2 libraries use the token endpoint."""
    return await db.run(tokens.refresh_grant, body.refresh_token)


@router.post("/auth/logout", name="auth-logout", status_code=status.HTTP_204_NO_CONTENT,
             responses=problem_responses(401, 403), summary="End this session")
async def logout(principal: CurrentUser, db: DbDep) -> Response:
    if principal.session_id is not None:
        await db.run(tokens.revoke_session, principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/accept-invitation", name="auth-accept-invitation",
             status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422),
             summary="Set a password with an invitation token")
async def accept_invitation(body: AcceptInvitation, db: DbDep) -> Response:
    await db.run(service.accept_invitation, body.token, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", name="me-get", response_model=Me, tags=["auth"],
            responses=problem_responses(401), summary="Who am I")
async def get_me(principal: CurrentPrincipal, db: DbDep) -> Me:
    # The principal was read from the database in this request: no second thread hop.
    known = service.me_without_query(principal)
    if known is not None:
        return known
    return await db.run(lambda session: service.me(principal, session))


# --- users (admin) ---------------------------------------------------------------------------

@users_router.get("", name="users-list", response_model=Page[UserRead], responses=problem_responses(422))
async def list_users(
    request: Request, response: Response, db: DbDep, page: PageDep,
    role: Role | None = None, alliance_id: RowId | None = None, is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[UserRead]:
    items, cursor, total = await db.run(
        service.list_users, page, role=role, alliance_id=alliance_id, is_active=is_active, q=q
    )
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@users_router.post("", name="users-create", response_model=UserCreated,
                   status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 422))
async def create_user(body: UserCreate, db: DbDep, response: Response, etag: SetETag) -> UserCreated:
    created = await db.run(service.create_user, body)
    response.headers["Location"] = f"/api/v1/users/{created.id}"
    etag.row("user", created.id, created.version, created)
    return created


@users_router.get("/{user_id}", name="users-get", response_model=UserRead,
                  responses=problem_responses(404))
async def get_user(user_id: RowId, db: DbDep, etag: SetETag) -> UserRead:
    user = await db.run(service.get_user, user_id)
    etag.row("user", user.id, user.version, user)
    return user


@users_router.patch("/{user_id}", name="users-update", response_model=UserRead,
                    responses=problem_responses(404, 409, 412, 422))
async def update_user(
    user_id: RowId, body: UserUpdate, db: DbDep, etag: SetETag, actor: AdminUser,
    if_match: IfMatch = None,
) -> UserRead:
    user = await db.run(service.update_user, user_id, body, if_match, actor)
    etag.row("user", user.id, user.version, user)
    return user


@users_router.post("/{user_id}/invitation", name="users-reissue-invitation",
                   response_model=UserCreated, responses=problem_responses(404, 409))
async def reissue_invitation(user_id: RowId, db: DbDep, etag: SetETag) -> UserCreated:
    reissued = await db.run(service.reissue_invitation, user_id)
    etag.row("user", reissued.id, reissued.version, reissued)
    return reissued


# --- machine clients (admin) -----------------------------------------------------------------

@clients_router.get("", name="clients-list", response_model=Page[ClientRead],
                    responses=problem_responses(422))
async def list_clients(request: Request, response: Response, db: DbDep, page: PageDep) -> Page[ClientRead]:
    items, cursor, total = await db.run(service.list_clients, page)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@clients_router.post("", name="clients-create", response_model=ClientWithSecret,
                     status_code=status.HTTP_201_CREATED, responses=problem_responses(422))
async def create_client(body: ClientCreate, db: DbDep, response: Response, etag: SetETag) -> ClientWithSecret:
    created = await db.run(service.create_client, body)
    response.headers["Location"] = f"/api/v1/clients/{created.id}"
    etag.row("client", created.id, created.version, created)
    return created


@clients_router.get("/{client_pk}", name="clients-get", response_model=ClientRead,
                    responses=problem_responses(404))
async def get_client(client_pk: RowId, db: DbDep, etag: SetETag) -> ClientRead:
    client = await db.run(service.get_client, client_pk)
    etag.row("client", client.id, client.version, client)
    return client


@clients_router.patch("/{client_pk}", name="clients-update", response_model=ClientRead,
                      responses=problem_responses(404, 412, 422))
async def update_client(
    client_pk: RowId, body: ClientUpdate, db: DbDep, etag: SetETag, if_match: IfMatch = None
) -> ClientRead:
    client = await db.run(service.update_client, client_pk, body, if_match)
    etag.row("client", client.id, client.version, client)
    return client


@clients_router.post("/{client_pk}/secret", name="clients-rotate-secret",
                     response_model=ClientWithSecret, responses=problem_responses(404))
async def rotate_secret(client_pk: RowId, db: DbDep, etag: SetETag) -> ClientWithSecret:
    rotated = await db.run(service.rotate_client_secret, client_pk)
    etag.row("client", rotated.id, rotated.version, rotated)
    return rotated


@clients_router.delete("/{client_pk}", name="clients-revoke", status_code=status.HTTP_204_NO_CONTENT,
                       responses=problem_responses(404, 412))
async def revoke_client(client_pk: RowId, db: DbDep, if_match: IfMatch = None) -> Response:
    await db.run(service.revoke_client, client_pk, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- personal access tokens (admins' scripts) ----------------------------------------------

@router.post("/me/tokens", name="me-tokens-create", response_model=PatCreated,
             status_code=status.HTTP_201_CREATED, dependencies=[Depends(admin_user)],
             responses=problem_responses(401, 403, 422),
             summary="Create a personal access token (shown once)")
async def create_token(body: PatCreate, db: DbDep, owner: AdminUser) -> PatCreated:
    return await db.run(pats.create_pat, owner, body)


@router.get("/me/tokens", name="me-tokens-list", response_model=Page[PatRead],
            dependencies=[Depends(admin_user)], responses=problem_responses(401, 403),
            summary="My personal access tokens with their last use")
async def list_tokens(db: DbDep, owner: AdminUser) -> Page[PatRead]:
    """The one list envelope of every listing; an admin has few tokens, so one page holds all
    (`next_cursor` is always null)."""
    items = await db.run(pats.list_pats, owner)
    return Page(items=items, next_cursor=None, total=None)


@router.delete("/me/tokens/{token_id}", name="me-tokens-revoke",
               status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(admin_user)],
               responses=problem_responses(401, 403, 404), summary="Revoke a personal access token")
async def revoke_token(token_id: RowId, db: DbDep, owner: AdminUser) -> Response:
    await db.run(pats.revoke_pat, owner, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
