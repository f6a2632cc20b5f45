"""Helpers shared by the auth tests: logins, forged tokens and problem+json checks."""

import base64
import json
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from jose import jwt
from sqlmodel import Session

from app.auth.models import User
from app.core.config import get_settings
from tests.factories import PASSWORD, new_auth_session
from tests.utils.problems import assert_problem, error_locs

TOKEN_URL = "/api/v1/auth/token"
REFRESH_URL = "/api/v1/auth/refresh"
LOGOUT_URL = "/api/v1/auth/logout"
ACCEPT_URL = "/api/v1/auth/accept-invitation"
ME_URL = "/api/v1/me"




def assert_unauthorized(response: Response, code: str = "unauthorized") -> dict[str, Any]:
    if response.request.url.path == TOKEN_URL:
        return assert_token_refused(response, code)
    body = assert_problem(response, 401, code)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


def assert_token_refused(response: Response, code: str) -> dict[str, Any]:
    """The token endpoint's refusal as RFC 6749 section 5.2 shapes it: invalid_client is 401
    with a Basic challenge, a bad password or refresh token 400 invalid_grant."""
    if code == "invalid_client":
        body = assert_problem(response, 401, code)
        assert response.headers["www-authenticate"].startswith("Basic ")
        assert body["error"] == "invalid_client"
        return body
    body = assert_problem(response, 400, code)
    assert "www-authenticate" not in response.headers
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == body["detail"]
    return body




def assert_field_error(response: Response, *loc: str | int) -> dict[str, Any]:
    """422 whose errors[] names the field at ``loc`` (a prefix of the reported loc)."""
    body = assert_problem(response, 422)
    locs = error_locs(body)
    assert any(tuple(found[: len(loc)]) == loc for found in locs), locs
    return body


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body without the parts that differ per request."""
    return {key: value for key, value in body.items() if key not in ("request_id", "instance")}


def password_login(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    return client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = password_login(client, username, password)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def client_login(
    client: TestClient, client_id: str, secret: str, scope: str | None = None
) -> Response:
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope is not None:
        data["scope"] = scope
    return client.post(TOKEN_URL, data=data)


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_for(subject: str, **overrides: Any) -> dict[str, Any]:
    """Claims exactly like the app's own access tokens; ``overrides`` replace or add."""
    settings = get_settings()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "scope": "",
    }
    claims.update(overrides)
    return claims


def forge(
    claims: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256",
    drop: tuple[str, ...] = (),
) -> str:
    payload = {name: value for name, value in claims.items() if name not in drop}
    return jwt.encode(payload, key if key is not None else get_settings().jwt_secret,
                      algorithm=algorithm)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def unsigned(claims: dict[str, Any], alg: str = "none") -> str:
    """A token with ``alg: none`` (or any header) and an empty signature."""
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}."


def decode_unverified(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.get_unverified_claims(token)
    return claims


def user_claims(session: Session, user: User, **overrides: Any) -> dict[str, Any]:
    """Claims of a signed-in user's access token, bound to a new session of ``user``."""
    return claims_for(f"user:{user.id}", **{"sid": new_auth_session(session, user), **overrides})
