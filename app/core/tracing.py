"""Optional OpenTelemetry tracing (``BUENDNIS_OTEL_ENDPOINT``), through the FastAPI and
SQLAlchemy instrumentations, exported over OTLP/HTTP.

Off (the default) nothing of OpenTelemetry's SDK or instrumentations is imported: every
import below sits inside a function that returns early, so ``import app.main`` stays fast
and works without the ``otel`` extra. On, ``configure_tracing`` installs one TracerProvider
(service name from settings, a BatchSpanProcessor with the OTLP exporter, its timeout from
settings); ``instrument_app`` and ``instrument_engine`` attach the instrumentations, and log
lines carry the current trace and span id (app/core/logging.py).

What leaves the process is held to the log rules: the query string and the client address
are not recorded, calendar feed secrets in paths are masked, and a failed statement's span
carries the exception type, never its message (PostgreSQL quotes the offending values).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.core.config import Settings
from app.core.logging import loggable_path, set_trace_context_source

if TYPE_CHECKING:  # pragma: no cover
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy import Engine

logger = logging.getLogger("buendnis.tracing")

# Probes and the scrape are not traced (every few seconds, nothing to learn).
EXCLUDED_URLS = r"^https?://[^/]+/(healthz|readyz|metrics)/?$"
REQUEST_ID_ATTRIBUTE = "buendnis.request_id"
# Span attributes that could carry personal data (query strings, the client's address).
_QUERY_KEYS = ("url.query",)
_ADDRESS_KEYS = ("net.peer.ip", "net.peer.port", "client.address", "client.port",
                 "http.client_ip")
_REDACTED = "redacted"


@dataclass
class _State:
    provider: TracerProvider | None = None
    # Test hook: an exporter used instead of OTLP (the in-memory one). Never a real endpoint.
    exporter_override: SpanExporter | None = None
    engines: list[Any] = field(default_factory=list)
    apps: list[Any] = field(default_factory=list)


_state = _State()


def use_exporter(exporter: SpanExporter | None) -> None:
    """Test hook: the next ``configure_tracing`` exports to ``exporter`` (not OTLP) and leaves
    OpenTelemetry's global provider alone, so tests can switch tracing on and off."""
    _state.exporter_override = exporter


def enabled() -> bool:
    return _state.provider is not None


def tracer_provider() -> TracerProvider | None:
    return _state.provider


def configure_tracing(settings: Settings) -> bool:
    """Install the tracer provider when ``otel_endpoint`` is set; True when tracing is on.
    Idempotent: a second call keeps the first provider."""
    if not settings.otel_endpoint:
        return False
    if _state.provider is not None:
        return True
    from opentelemetry import trace
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name}))
    provider.add_span_processor(_scrubbing_processor())
    exporter = _state.exporter_override
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint,
                                    timeout=settings.otel_timeout_seconds)
        trace.set_tracer_provider(provider)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _state.provider = provider
    set_trace_context_source(_current_ids)
    # The endpoint may hold credentials in its user part; the service name is enough.
    logger.info("tracing on: service %s", settings.otel_service_name)
    return True


def instrument_app(app: FastAPI) -> None:
    """Server spans named by route template, without the probes and the scrape."""
    if _state.provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_state.provider, excluded_urls=EXCLUDED_URLS,
        server_request_hook=_scrub_server_span, exclude_spans=["receive", "send"],
    )
    _state.apps.append(app)


def instrument_engine(engine: Engine) -> None:
    """A span per statement on ``engine`` (the statement text with placeholders, no values)."""
    if _state.provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import __version__
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    # The instrumentor itself instruments once per process; the web app, the worker and the
    # tests make several engines, so each gets its own EngineTracer (what instrument() builds).
    tracer = _state.provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
    usage = get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    _state.engines.append(EngineTracer(tracer, engine, usage))


def set_request_id(request_id: str) -> None:
    """Put the request id on the current (server) span, so a trace leads to its log lines."""
    if _state.provider is None:
        return
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


@contextmanager
def job_span(name: str) -> Iterator[None]:
    """A root span around one worker job, so its statements share a trace."""
    if _state.provider is None:
        with nullcontext():
            yield
        return
    tracer = _state.provider.get_tracer("buendnis.worker")
    with tracer.start_as_current_span(f"job {name}", attributes={"buendnis.job": name},
                                      record_exception=False):
        yield


def shutdown_tracing() -> None:
    """Flush and stop: remove the instrumentations and forget the provider (tests, exit)."""
    provider = _state.provider
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    for app in _state.apps:
        FastAPIInstrumentor.uninstrument_app(app)
    EngineTracer.remove_all_event_listeners()
    provider.shutdown()
    set_trace_context_source(None)
    _state.provider = None
    _state.engines.clear()
    _state.apps.clear()


def _current_ids() -> tuple[str, str] | None:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def _scrub_server_span(span: Any, scope: dict[str, Any]) -> None:
    """Server request hook: the path with secrets masked and without the query string, no
    client address (the access log records neither)."""
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    path = loggable_path(scope.get("path")) or ""
    for key in ("http.target", "url.path"):
        if key in attributes:
            span.set_attribute(key, path)
    for key in ("http.url", "url.full"):
        if key in attributes:
            span.set_attribute(key, f"{scope.get('scheme', 'http')}://{_host(scope)}{path}")
    for key in (*_QUERY_KEYS, *_ADDRESS_KEYS):
        if key in attributes:
            span.set_attribute(key, _REDACTED)


def _host(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return str(value.decode("latin-1"))
    server = scope.get("server")
    return f"{server[0]}:{server[1]}" if server else ""


def _scrubbing_processor() -> Any:
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
    from opentelemetry.trace import Status

    class ScrubbingProcessor(SpanProcessor):
        """Keeps exception messages out of exported spans: the SQLAlchemy instrumentation puts
        ``str(exception)`` in a failed statement's status, and PostgreSQL quotes the offending
        values there (``Key (email)=(…) already exists``). Added before the exporting
        processor, so it runs first."""

        def on_end(self, span: ReadableSpan) -> None:
            status = span.status
            if status.description:
                # ReadableSpan has no setter; the status is replaced before the export sees it.
                span._status = Status(status.status_code, _REDACTED)

    return ScrubbingProcessor()
