"""RFC 9457 problem details: the error classes services raise and the one renderer."""

import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.i18n import DEFAULT_LANGUAGE, N_, negotiate, translate, validation_message
from app.core.logging import current_request_id
from app.core.schemas import ReadModel

logger = logging.getLogger("buendnis.errors")

PROBLEM_TYPE_BASE = "https://buendnisportal.de/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(ReadModel):
    loc: list[str | int] = Field(description="Path to the field at fault, e.g. ['body', 'ags']")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "not-found"])
    title: str = Field(examples=["Resource not found"])
    status: int = Field(examples=[404])
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path")
    code: str = Field(description="Stable machine-readable error code", examples=["not_found"])
    request_id: str | None = None
    errors: list[FieldError] | None = None
    # Extension members (RFC 9457 section 3.2), one naming style: snake_case, ``current_*`` for
    # the state the request ran into, ``allowed*`` for what would have been accepted.
    allowed: list[str] | None = Field(
        default=None, description="For state conflicts: the transitions allowed from here"
    )
    allowed_statuses: list[str] | None = Field(
        default=None, description="For state conflicts: the statuses in which this is allowed"
    )
    current_status: str | None = Field(
        default=None, description="For state conflicts: the status the resource is in now"
    )
    current_etag: str | None = Field(
        default=None, description="For 412: the resource's ETag now; reload and retry"
    )
    award_id: int | None = Field(default=None, description="For award_exists: the award")
    error: str | None = Field(
        default=None, description="Token endpoint only: the RFC 6749 section 5.2 error "
        "(invalid_request, invalid_client, invalid_grant, unsupported_grant_type, invalid_scope, "
        "temporarily_unavailable)", examples=["invalid_grant"],
    )
    error_description: str | None = Field(
        default=None, description="Token endpoint only: RFC 6749 error_description"
    )
    items: list[dict[str, Any]] | None = Field(
        default=None, description="For a rejected batch or import: every item's result "
        "(BatchItemResult), the rejected ones with their problem"
    )


class AppError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        if code is not None:
            self.code = code
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers
        self.extra = extra


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Resource not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict with the current state"


class Gone(AppError):
    status, code, title = 410, "gone", "No longer available"


class PreconditionFailed(AppError):
    status, code, title = 412, "precondition_failed", "The resource has changed (If-Match)"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class RuleViolation(AppError):
    status, code, title = 422, "rule_violation", "The request breaks a rule"


class UnknownReference(RuleViolation):
    """An id in the body names no row (an alliance, cycle, topic …): one problem type for every
    domain, with the field at fault in ``errors``."""

    code, title = ("unknown_reference",
                   "The input names an alliance, cycle or topic that does not exist")


class TooManyRequests(AppError):
    status, code, title = 429, "too_many_requests", "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service temporarily unavailable"


def field_error(loc: Sequence[str | int], msg: str, type_: str = "value_error") -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


STATUS_CODES = {
    400: ("bad_request", N_("Bad request")),
    401: ("unauthorized", N_("Authentication required")),
    403: ("forbidden", N_("Not allowed")),
    404: ("not_found", N_("Resource not found")),
    405: ("method_not_allowed", N_("Method not allowed")),
    406: ("not_acceptable", N_("Not acceptable")),
    409: ("conflict", N_("Conflict")),
    413: ("payload_too_large", N_("Request body too large")),
    415: ("unsupported_media_type", N_("Unsupported media type")),
    422: ("validation_error", N_("Invalid input")),
    429: ("too_many_requests", N_("Too many requests")),
}
HTTP_ERROR_TITLE = N_("HTTP error")
# Starlette's details for unmatched routes are bare reason phrases ("Not Found"): say what they
# mean, in words the catalog translates.
ROUTING_DETAILS = {
    404: N_("Nothing is found at this address; check the path."),
    405: N_("This address does not take this method; the Allow header lists the ones it takes."),
}


def request_language(request: Request | None) -> str:
    """The language a person asked for (``Accept-Language``), English for machines."""
    if request is None:
        return DEFAULT_LANGUAGE
    return negotiate(request.headers.get("accept-language"))


def scope_language(scope: Any) -> str:
    """``request_language`` for ASGI middleware that has only the scope."""
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            return negotiate(value.decode("latin-1"))
    return DEFAULT_LANGUAGE


def language_headers(language: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """``Content-Language`` and ``Vary: Accept-Language`` beside the given headers."""
    merged = dict(headers or {})
    vary = [part.strip() for part in merged.get("Vary", "").split(",") if part.strip()]
    if "accept-language" not in {part.lower() for part in vary}:
        vary.append("Accept-Language")
    merged["Vary"] = ", ".join(vary)
    merged["Content-Language"] = language
    return merged


def _translated_field(error: dict[str, Any], language: str) -> dict[str, Any]:
    """A field error with its message in ``language``; loc and type stay as they are."""
    msg = error.get("msg")
    return {**error, "msg": translate(msg, language)} if isinstance(msg, str) else error


def problem_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    language: str | None = None,
) -> JSONResponse:
    """The problem document; ``title`` and ``detail`` are given in English and answered in the
    language the request asks for (``Accept-Language``; ``language`` where there is no request)."""
    language = language or request_language(request)
    detail = detail or title
    if language != DEFAULT_LANGUAGE:
        title, detail = translate(title, language), translate(detail, language)
        if errors is not None:
            errors = [_translated_field(error, language) for error in errors]
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
        "code": code,
        "request_id": current_request_id(),
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=language_headers(language, headers),
                        media_type=PROBLEM_MEDIA_TYPE)


def error_loc(loc: Iterable[Any]) -> list[str | int]:
    """A pydantic error location as a problem's ``loc``: indexes stay numbers, the rest text."""
    return [part if isinstance(part, int) else str(part) for part in loc]


def validation_errors(exc: RequestValidationError,
                      language: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    # Pydantic's "input" and "ctx" may echo secrets (passwords) back: keep loc, msg and type only
    # (ctx only fills in the translated message's limits).
    return [
        {"loc": error_loc(err.get("loc", ())), "msg": validation_message(err, language),
         "type": err.get("type", "")}
        for err in exc.errors()
    ]


def _is_unreadable_body(exc: StarletteHTTPException) -> bool:
    """The framework's own 400 for a body it could not parse (bytes that are not UTF-8, broken
    multipart): it always chains the parser's exception; the app raises AppError, never this."""
    return exc.status_code == 400 and (exc.__cause__ or exc.__context__) is not None


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method the path supports. Starlette's 405 names only the first route whose pattern
    matches, though several routes share a path (GET and PATCH /users/{id})."""
    routes = request.app.router.routes
    allowed = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                      for route in routes)]
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")  # ETagMiddleware serves it
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(
            request, status=exc.status, code=exc.code, title=exc.title, detail=exc.detail,
            errors=exc.errors, headers=exc.headers, extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc, request_language(request))
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
        return problem_response(
            request, status=422, code="validation_error", title="Invalid input",
            detail=f"Invalid input at: {fields}" if fields else "Invalid input", errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if _is_unreadable_body(exc):
            # Invalid input like any other: 422 with errors[], as for a JSON syntax error.
            return problem_response(
                request, status=422, code="validation_error", title="Invalid input",
                detail="The request body could not be read: send UTF-8 JSON, or well-formed "
                       "form data where the operation takes a form.",
                errors=[field_error(["body"], "unreadable body", "body_unreadable")],
            )
        code, title = STATUS_CODES.get(exc.status_code, ("http_error", HTTP_ERROR_TITLE))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if detail == HTTPStatus(exc.status_code).phrase:
            detail = ROUTING_DETAILS.get(exc.status_code, title)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(
            request, status=exc.status_code, code=code, title=title, detail=detail,
            headers=headers,
        )

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        logger.error("database unavailable: %s", type(exc.orig).__name__)
        return problem_response(
            request, status=503, code="database_unavailable",
            title="Service temporarily unavailable",
            detail="The database is not reachable; retry shortly.", headers={"Retry-After": "5"},
        )

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(request: Request, exc: PoolTimeoutError) -> JSONResponse:
        # No pool connection within BUENDNIS_DB_POOL_TIMEOUT_SECONDS: the database is too slow
        # or gone; fail fast instead of queueing requests behind it.
        return await _database_unavailable(request, OperationalError("", {}, exc))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return await _database_unavailable(request, OperationalError("", {}, exc))
        raise exc  # the request middleware renders it as a 500 problem


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem+json errors."""
    descriptions = {
        400: "Bad request", 401: "Not authenticated", 403: "Not allowed for this caller",
        404: "Not found", 409: "Conflict with the current state", 412: "If-Match did not match",
        413: "Body too large", 422: "Invalid input", 429: "Rate limited",
        503: "Temporarily unavailable",
    }
    return {
        status: {
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
