"""The application factory: middleware, error handlers, routers, OpenAPI."""

# Start-up makes ~280,000 objects that live as long as the process (routes, pydantic and
# SQLModel classes, SQLAlchemy mappers). The cyclic collector, running while they are made,
# traverses them again and again for nothing: ~0.15 s of a 1.1 s import. It is paused until the
# app is built, and what start-up made is then frozen out of later collections, so that a full
# collection while serving no longer walks it either (docs/PERFORMANCE.md, "The garbage
# collector, start-up and the partner batch").
import gc

_COLLECTOR_WAS_ON = gc.isenabled()


def _collector_back_on() -> None:
    if _COLLECTOR_WAS_ON:
        gc.enable()


gc.disable()
try:
    import json
    from collections.abc import AsyncIterator, Callable
    from contextlib import AbstractAsyncContextManager, asynccontextmanager
    from typing import Any

    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.routing import APIRoute
    from fastapi.telemetry import TelemetryConfig
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from app import models  # noqa: F401  (registers every table before the first query)
    from app.api import NAMED_SHAPES, TAGS, include_api
    from app.auth.deps import api_request_checks
    from app.auth.openapi import add_security_scheme, apply_security
    from app.core import db as core_db
    from app.core.config import Settings, get_settings
    from app.core.errors import FieldError, Problem, install_error_handlers
    from app.core.etags import ETagMiddleware
    from app.core.limits import SecurityMiddleware
    from app.core.logging import configure_logging
    from app.core.metrics import MetricsMiddleware, install_pool_collector
    from app.core.middleware import RequestContextMiddleware
    from app.core.openapi import complete_spec, name_shapes, operations
    from app.core.thread_connection import release_all as release_read_connections
    from app.core.tracing import configure_tracing, instrument_app
    from app.health.metrics import metrics
    from app.health.router import router as health_router
    from app.mail.dispatch import mail_lifespan
    from app.webhooks import spec as webhook_spec
except BaseException:
    _collector_back_on()  # a failed import must not leave the process without a collector
    raise


API_VERSION = "1.0.0"
DESCRIPTION = """
Backend of the federal initiative **„Lokale Bündnisse für Familie“**: alliances, the yearly
Bündnisumfrage, the seal „Ausgezeichnetes Bündnis“, Projekt Zukunft.

* Errors are RFC 9457 `application/problem+json` with a stable `code` and, for invalid input,
  `errors[]` naming each field at fault.
* Lists use cursor pagination: `limit` (≤ 100), `cursor` from `next_cursor`, and an RFC 8288
  `Link` header; `include_total=true` adds `total`.
* Single resources carry an `ETag`; send it as `If-Match` on PATCH/DELETE to avoid overwriting
  someone else's change (412 when it no longer matches). If-Match is optional.
* Every response carries `X-Request-ID` (send your own to correlate).
"""


# Not open source (the frontend check's package.json says UNLICENSED as well).
LICENSE = {"name": "Proprietary, all rights reserved", "identifier": "LicenseRef-Proprietary"}
SERVERS = [{"url": "/", "description": "This server (the API lives under /api/v1)"}]
NATIVE_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def operation_id(route: APIRoute) -> str:
    return route.name


def app_lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The mail dispatcher's lifespan; at shutdown the read connections the threads keep go back
    to their pools (app/core/thread_connection.py), so that the engines close every one."""
    mail = mail_lifespan(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with mail(app):
                yield
        finally:
            release_read_connections()

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    configure_tracing(settings)  # off unless BUENDNIS_OTEL_ENDPOINT; before the first engine
    app = FastAPI(
        title="Bündnisportal API",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=app_lifespan(settings),
        generate_unique_id_function=operation_id,
        separate_input_output_schemas=False,
        contact={"name": "Servicebüro Lokale Bündnisse für Familie",
                 "email": "info@lokale-buendnisse-fuer-familie.de"},
        license_info=LICENSE,
        servers=SERVERS,
        # Tracing is app/core/tracing.py's (scrubbed spans, probes left out). FastAPI's own
        # telemetry would record unscrubbed spans and metrics whenever something else installs
        # a global provider (an auto-instrumentation agent, say), and asks on every request
        # whether one is there (~2 % of a small GET's CPU).
        telemetry=NATIVE_TELEMETRY_OFF,
    )
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match",
                       "Idempotency-Key", "X-Request-ID"],
        expose_headers=["ETag", "Link", "Retry-After", "Location", "X-Request-ID", "X-Outcome",
                        "Content-Disposition", "Idempotent-Replayed", "RateLimit",
                        "RateLimit-Policy"],
        max_age=600,
    )
    app.add_middleware(ETagMiddleware)
    app.add_middleware(SecurityMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(MetricsMiddleware)
    install_pool_collector(core_db.pools)
    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    if settings.trusted_proxies:
        # Outermost: the client address every limit and log line sees is the forwarded one,
        # but only when the peer is a configured proxy (never "127.0.0.1" by default).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.include_router(health_router)
    include_api(app)
    webhook_spec.install(app)
    _install_openapi(app)
    instrument_app(app)
    return app


def _generated_name(name: str) -> str | None:
    """Readable names for schemas FastAPI and pydantic name mechanically:
    "Body_auth-token" -> "AuthTokenForm", "Page_AllianceRead_" -> "AllianceList"."""
    if name.startswith("Body_"):
        return "".join(part.capitalize() for part in name[5:].split("-")) + "Form"
    if name.startswith("Page_") and name.endswith("_"):
        return name[5:-1].removesuffix("Read") + "List"
    return None


def _rename_generated_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema["components"]["schemas"]
    renames = {old: new for old in components if (new := _generated_name(old))}
    if not renames:
        return schema
    for old, new in renames.items():
        components[new] = components.pop(old)
        components[new]["title"] = new
    text = json.dumps(schema)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed: dict[str, Any] = json.loads(text)
    return renamed


def _install_openapi(app: FastAPI) -> None:
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components["Problem"].pop("$defs", None)
        components["FieldError"] = FieldError.model_json_schema()
        # FastAPI's own 422 schema is replaced by our problem document.
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if "422" in responses:
                    responses["422"] = {
                        "description": "Invalid input",
                        "content": {"application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}}},
                    }
        add_security_scheme(schema)
        for route, method, operation in operations(app, schema):
            apply_security(operation, route, method)
        complete_spec(app, schema, rate_limiter=api_request_checks, query_checker=api_request_checks)
        name_shapes(schema, NAMED_SHAPES)
        webhook_spec.tidy(schema)
        app.openapi_schema = _rename_generated_schemas(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


try:
    app = create_app()
except BaseException:
    _collector_back_on()
    raise

# The ~1,300 cycles start-up leaves as garbage are frozen with the rest rather than collected:
# one full collection here would cost ~0.1 s, most of what pausing saved.
gc.freeze()
# A request makes thousands of short-lived objects; collecting the young generation after
# 10,000 allocations instead of 700 does it a fourteenth as often (a list page of 50: -15 % CPU
# per request in-process; 50,000 measured slower again; docs/PERFORMANCE.md, "The garbage
# collector, start-up and the partner batch").
gc.set_threshold(10_000, 10, 10)
_collector_back_on()
