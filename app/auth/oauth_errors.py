"""RFC 6749 section 5.2 error responses for the token endpoint.

OAuth2 client libraries (Authlib, oauthlib, openid-client …) read ``error`` and
``error_description`` and raise on them; a problem document without them would be stored as the
token. So every problem the token endpoint answers with carries both, beside the RFC 9457 fields,
with the status the RFC gives: 400 for invalid_request, invalid_grant, unsupported_grant_type and
invalid_scope; 401 with ``WWW-Authenticate: Basic`` for invalid_client.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.requests import Request
from starlette.responses import Response

from app.core.errors import AppError, ServiceUnavailable, request_language, validation_errors

OAUTH_ERRORS = ("invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                "unsupported_grant_type", "invalid_scope", "temporarily_unavailable")

# Our stable problem code -> (RFC 6749 error, status).
_BY_CODE: dict[str, tuple[str, int]] = {
    "invalid_request": ("invalid_request", 400),
    "validation_error": ("invalid_request", 400),
    "invalid_credentials": ("invalid_grant", 400),
    "invalid_refresh_token": ("invalid_grant", 400),
    "refresh_token_reused": ("invalid_grant", 400),
    "invalid_client": ("invalid_client", 401),
    "unsupported_grant_type": ("unsupported_grant_type", 400),
    "invalid_scope": ("invalid_scope", 400),
}
CLIENT_CHALLENGE = 'Basic realm="buendnisportal", charset="UTF-8"'


class TokenEndpointError(AppError):
    """A token endpoint refusal as RFC 6749 shapes it (status and headers set per instance)."""

    code, title = "invalid_request", "The token request is invalid"

    def __init__(self, source: AppError | None = None, *, detail: str | None = None,
                 errors: list[dict[str, Any]] | None = None, code: str | None = None) -> None:
        code = code or (source.code if source else "invalid_request")
        error, status = _BY_CODE.get(code, ("temporarily_unavailable", 0))
        status = status or (source.status if source else 400)
        if status < 500 and status != 429 and error == "temporarily_unavailable":
            error = "invalid_request"
        headers = dict(source.headers or {}) if source else {}
        if error == "invalid_client":
            headers["WWW-Authenticate"] = CLIENT_CHALLENGE
        elif status != 401:
            headers.pop("WWW-Authenticate", None)
        detail = detail or (source.detail if source else None) or (
            source.title if source else self.title)
        super().__init__(detail, errors=errors or (source.errors if source else None),
                         headers=headers or None, code=code,
                         **(source.extra if source else {}),
                         error=error, error_description=detail)
        self.status = status
        if source is not None:
            self.title = source.title


def _grant_type_unsupported(errors: list[dict[str, Any]]) -> bool:
    return any(err["loc"] == ["body", "grant_type"] and err["type"] != "missing"
               for err in errors)


class OAuthTokenRoute(APIRoute):
    """The token endpoint's route: its refusals speak RFC 6749 (see the module doc)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except TokenEndpointError:
                raise
            except RequestValidationError as exc:
                errors = validation_errors(exc, request_language(request))
                if _grant_type_unsupported(errors):
                    raise TokenEndpointError(
                        code="unsupported_grant_type", errors=errors,
                        detail="grant_type must be password, client_credentials or "
                               "refresh_token.") from exc
                fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
                raise TokenEndpointError(
                    code="invalid_request", errors=errors,
                    detail=f"Invalid token request at: {fields}" if fields else None) from exc
            except AppError as exc:
                raise TokenEndpointError(exc) from exc
            except OperationalError as exc:  # the database is gone: 503 temporarily_unavailable
                unavailable = ServiceUnavailable("The database is not reachable; retry shortly.",
                                                 code="database_unavailable",
                                                 headers={"Retry-After": "5"})
                raise TokenEndpointError(unavailable) from exc

        return handle
