"""The outermost ASGI middleware: request id, access log, and the last-resort 500."""

import logging
import random
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response, scope_language
from app.core.logging import bind_request_id, loggable_path, set_actor, unbind_request_id
from app.core.tracing import set_request_id as trace_request_id

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_logger = logging.getLogger("buendnis.access")
error_logger = logging.getLogger("buendnis.errors")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _REQUEST_ID_PATTERN.match(candidate) else None
    return None


def new_request_id() -> str:
    """128 random bits as 32 hex digits, the form ``uuid4().hex`` gave. A request id only has
    to be unique, not secret: drawn from the random module's generator (seeded from
    ``os.urandom`` and reseeded in a forked child), not from ``os.urandom`` itself, whose
    system call was ~3 % of a small GET's CPU."""
    return f"{random.getrandbits(128):032x}"


class RequestContextMiddleware:
    """Accepts or creates ``X-Request-ID``, echoes it, writes one access line per request, and
    turns an unhandled exception into a 500 problem that names the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or new_request_id()
        token = bind_request_id(request_id)
        trace_request_id(request_id)
        set_actor(None)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error_logger.exception("unhandled error", exc_info=exc)
            if response_started:
                raise
            response = problem_response(
                None, status=500, code="internal_error", title="Internal server error",
                detail="An unexpected error occurred; quote the request id when reporting it.",
                extra={"instance": scope.get("path")}, language=scope_language(scope),
            )
            await response(scope, receive, send_with_id)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": loggable_path(scope.get("path")),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            unbind_request_id(token)
