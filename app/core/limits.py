"""Limits against abuse (OWASP API4): body size, security headers, request rate per caller.

All numbers come from one settings group (``BUENDNIS_LIMIT_*``); counters are shared through
Redis when ``BUENDNIS_REDIS_URL`` is set, so several server processes enforce one limit.
"""

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.errors import TooManyRequests, problem_response, scope_language
from app.core.ratelimit import get_counter_store

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-site"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
]
# Swagger UI and ReDoc load their assets from a CDN and run inline scripts.
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_PATHS = ("/docs", "/redoc")
WINDOW_SECONDS = 60
_NO_STORE_PREFIXES = ("/api/v1/auth", "/api/v1/me", "/api/v1/users", "/api/v1/clients")
_NO_STORE_FLAG = "buendnis_no_store"


async def no_store(request: Request) -> None:
    """Route dependency for responses with personal data (contacts, delegates, requesters,
    audit events, exports): ``SecurityMiddleware`` sends ``Cache-Control: no-store`` with them,
    streamed exports included. tests/core/test_no_store.py finds routes that forget it.
    ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, a thread hop per
    request for setting a flag."""
    request.state.__setattr__(_NO_STORE_FLAG, True)


NoStore = Depends(no_store)
"""``dependencies=[NoStore]`` on a route or router whose responses carry personal data."""


class SecurityMiddleware:
    """Adds security headers to every response and refuses bodies above the size limit (413),
    whether announced by Content-Length or streamed without one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = get_settings().limits.max_body_bytes
        path: str = scope.get("path", "")
        # The routes' ``no_store`` dependency marks this dict (shared by every copy of scope).
        state: dict[str, object] = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if not path.startswith(_DOCS_PATHS) and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", _API_CSP))
                if path.startswith(_NO_STORE_PREFIXES) or state.get(_NO_STORE_FLAG):
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                headers.extend(rate_limit_headers(scope))
                message["headers"] = headers
            await send(message)

        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._too_large(scope, receive, send_with_headers, limit)
                return

        received = 0
        rejected = False

        async def guarded_send(message: Message) -> None:
            if not rejected:  # after a 413 the app's own reply is dropped
                await send_with_headers(message)

        async def counting_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now and tell the app the client is gone: it stops reading.
                    await self._too_large(scope, receive, send_with_headers, limit)
                    rejected = True
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not rejected:
                raise

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            None, status=413, code="payload_too_large", title="Request body too large",
            detail=f"The body exceeds {limit} bytes.", extra={"instance": scope.get("path")},
            language=scope_language(scope),
        )
        await response(scope, receive, send)


RATE_LIMIT_STATE = "rate_limit"
POLICY = "default"


def rate_limit_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The IETF RateLimit and RateLimit-Policy fields (draft-ietf-httpapi-ratelimit-headers)
    for a request the rate limit counted: quota, window, what is left and when it resets."""
    counted = scope.get("state", {}).get(RATE_LIMIT_STATE)
    if counted is None:
        return []
    limit, remaining, reset = counted
    return [
        (b"ratelimit-policy", f'"{POLICY}";q={limit};w={WINDOW_SECONDS}'.encode()),
        (b"ratelimit", f'"{POLICY}";r={remaining};t={reset}'.encode()),
    ]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce_rate_limit(request: Request, actor: str | None, *, machine: bool = False) -> None:
    """Fixed one-minute window per caller: per signed-in actor ("user:3", "client:1", with the
    machine clients' own limit), else per address."""
    limits = get_settings().limits
    if actor is None:
        key, limit = f"rate:addr:{client_address(request)}", limits.requests_per_minute_anonymous
    elif machine:
        key, limit = f"rate:{actor}", limits.requests_per_minute_client
    else:
        key, limit = f"rate:{actor}", limits.requests_per_minute_user
    count, retry_after = get_counter_store().hit(key, WINDOW_SECONDS)
    setattr(request.state, RATE_LIMIT_STATE, (limit, max(0, limit - count), retry_after))
    if count > limit:
        raise TooManyRequests(retry_after, f"More than {limit} requests per minute; slow down.")
