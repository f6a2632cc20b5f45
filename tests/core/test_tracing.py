"""Optional OpenTelemetry tracing (BUENDNIS_OTEL_ENDPOINT), through the API.

On: spans go to the in-memory exporter swapped in through ``tracing.use_exporter`` (never a
real endpoint); off: nothing is installed, nothing of OpenTelemetry's SDK imported, and log
lines carry no trace id.
"""

import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.core import tracing
from app.core.config import Settings, get_settings
from app.core.db import Db, get_db
from app.core.logging import JsonFormatter
from app.main import create_app
from tests import factories

pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind

# Never contacted: the in-memory exporter replaces OTLP (port 9 is "discard" anyway).
UNUSED_ENDPOINT = "http://127.0.0.1:9/v1/traces"


class Lines(logging.Handler):
    """The access log as the app writes it (JsonFormatter), one parsed line per record."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("buendnis.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def _app(settings: Settings, connection: Connection) -> FastAPI:
    application = create_app(settings)

    async def override_db() -> AsyncIterator[Db]:
        request_session = Session(bind=connection, join_transaction_mode="create_savepoint",
                                  expire_on_commit=False)
        try:
            yield Db(request_session)
        finally:
            request_session.close()

    application.dependency_overrides[get_db] = override_db
    return application


@dataclass
class Traced:
    client: TestClient
    exporter: InMemorySpanExporter

    def reset(self) -> None:
        """Forget the spans so far (the test's own set-up), queued ones included."""
        self.spans()
        self.exporter.clear()

    def spans(self) -> list[ReadableSpan]:
        provider = tracing.tracer_provider()
        assert provider is not None
        provider.force_flush()
        return list(self.exporter.get_finished_spans())


@pytest.fixture
def traced(engine: Engine, connection: Connection) -> Iterator[Traced]:
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    settings = get_settings().model_copy(update={"otel_endpoint": UNUSED_ENDPOINT,
                                                  "otel_service_name": "buendnis-test"})
    try:
        application = _app(settings, connection)
        assert tracing.enabled()
        tracing.instrument_engine(engine)  # the test engine predates the provider
        with TestClient(application, base_url="http://testserver") as client:
            yield Traced(client, exporter)
    finally:
        tracing.shutdown_tracing()
        tracing.use_exporter(None)


def _server_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [span for span in spans if span.kind is SpanKind.SERVER]


def test_a_request_gives_a_server_span_with_db_children_and_its_log_line_the_trace_id(
    traced: Traced, session: Session, admin: dict[str, str], access_log: Lines,
) -> None:
    alliance = factories.make_alliance(session)
    traced.reset()

    response = traced.client.get(f"/api/v1/alliances/{alliance.id}", headers=admin)

    assert response.status_code == 200
    spans = traced.spans()
    [server] = _server_spans(spans)
    assert server.name == "GET /api/v1/alliances/{alliance_id}"
    assert server.attributes is not None
    assert server.attributes.get("http.route") == "/api/v1/alliances/{alliance_id}"
    status = server.attributes.get("http.status_code",
                                   server.attributes.get("http.response.status_code"))
    assert status == 200
    assert server.attributes[tracing.REQUEST_ID_ATTRIBUTE] == response.headers["x-request-id"]
    assert server.resource.attributes["service.name"] == "buendnis-test"

    db_spans = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert db_spans, "no statement was traced"
    assert server.context is not None
    for span in db_spans:
        assert span.parent is not None and span.parent.span_id == server.context.span_id
        assert span.context is not None and span.context.trace_id == server.context.trace_id
    statements = " ".join(str((span.attributes or {}).get("db.statement", "")) for span in db_spans)
    assert "alliance" in statements.lower()

    [line] = [line for line in access_log.lines
              if line["request_id"] == response.headers["x-request-id"]]
    assert line["trace_id"] == trace.format_trace_id(server.context.trace_id)
    assert line["span_id"] == trace.format_span_id(server.context.span_id)


def test_probes_and_the_scrape_are_not_traced(traced: Traced) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        traced.client.get(path)
    assert _server_spans(traced.spans()) == []


def test_spans_carry_no_query_string_client_address_or_feed_secret(
    traced: Traced, session: Session, admin: dict[str, str],
) -> None:
    alliance = factories.make_alliance(session)
    _, secret = factories.make_calendar_feed(session, alliance)
    traced.reset()

    traced.client.get("/api/v1/alliances?q=Paula%20Privatmann", headers=admin)
    traced.client.get(f"/api/v1/public/calendar-feeds/{secret}.ics")

    servers = _server_spans(traced.spans())
    assert len(servers) == 2
    exported = json.dumps([dict(span.attributes or {}) for span in servers])
    assert "Paula" not in exported
    assert "Privatmann" not in exported
    assert secret not in exported
    for span in servers:
        attributes = span.attributes or {}
        address = attributes.get("net.peer.ip", attributes.get("client.address"))
        assert address == "redacted"


@pytest.fixture
def engine_spans(engine: Engine) -> Iterator[Callable[[], list[ReadableSpan]]]:
    """Tracing on and the test engine instrumented, without an app: call the result for the
    spans finished so far."""
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    settings = get_settings().model_copy(update={"otel_endpoint": UNUSED_ENDPOINT})
    try:
        assert tracing.configure_tracing(settings)
        tracing.instrument_engine(engine)

        def finished() -> list[ReadableSpan]:
            provider = tracing.tracer_provider()
            assert provider is not None
            provider.force_flush()
            return list(exporter.get_finished_spans())

        yield finished
    finally:
        tracing.shutdown_tracing()
        tracing.use_exporter(None)


def test_a_failed_statement_exports_no_exception_message(
    connection: Connection, engine_spans: Callable[[], list[ReadableSpan]],
) -> None:
    nested = connection.begin_nested()
    with pytest.raises(DBAPIError):  # SQLAlchemy's wrapper of either driver's error
        connection.exec_driver_sql("SELECT * FROM no_such_table_named_paula_privatmann")
    nested.rollback()
    failed = [span for span in engine_spans() if span.status.status_code is trace.StatusCode.ERROR]
    assert failed
    for span in failed:
        assert "paula" not in (span.status.description or "").lower()


def test_worker_job_statements_share_the_job_span(engine: Engine, connection: Connection) -> None:
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    settings = get_settings().model_copy(update={"otel_endpoint": UNUSED_ENDPOINT})
    try:
        tracing.configure_tracing(settings)
        tracing.instrument_engine(engine)
        with tracing.job_span("mail"):
            connection.exec_driver_sql("SELECT 1")
        provider = tracing.tracer_provider()
        assert provider is not None
        provider.force_flush()
        spans = exporter.get_finished_spans()
        [job] = [span for span in spans if span.name == "job mail"]
        [statement] = [span for span in spans if span.kind is SpanKind.CLIENT]
        assert job.context is not None and statement.parent is not None
        assert statement.parent.span_id == job.context.span_id
    finally:
        tracing.shutdown_tracing()
        tracing.use_exporter(None)


def test_unset_endpoint_installs_nothing_and_logs_no_trace_id(
    connection: Connection, session: Session, admin: dict[str, str], access_log: Lines,
) -> None:
    settings = get_settings()
    assert settings.otel_endpoint is None
    application = _app(settings, connection)
    assert not tracing.configure_tracing(settings)
    assert not tracing.enabled()
    assert tracing.tracer_provider() is None
    # OpenTelemetry's global provider is still the API's placeholder, not an SDK provider.
    assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
    alliance = factories.make_alliance(session)

    with TestClient(application, base_url="http://testserver") as client:
        response = client.get(f"/api/v1/alliances/{alliance.id}", headers=admin)

    assert response.status_code == 200
    [line] = [line for line in access_log.lines
              if line["request_id"] == response.headers["x-request-id"]]
    assert "trace_id" not in line
    assert "span_id" not in line


def test_import_app_main_with_tracing_off_imports_no_opentelemetry_sdk(tmp_path) -> None:
    # FastAPI itself imports the OpenTelemetry *API* (its native telemetry, inert without a
    # provider); the SDK, the exporter and the instrumentations must stay unloaded.
    code = (
        "import sys, json\n"
        "import app.main\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('opentelemetry'))))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "BUENDNIS_ENV": "development"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                            env=env, cwd=tmp_path, timeout=60, check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    heavy = [name for name in loaded
             if name.startswith(("opentelemetry.sdk", "opentelemetry.exporter",
                                 "opentelemetry.instrumentation"))]
    assert heavy == []


def test_the_otlp_exporter_sends_spans_to_the_configured_endpoint(tmp_path) -> None:
    """The production path, in a fresh interpreter: the endpoint from the environment, the
    global provider, the OTLP/HTTP exporter, to a receiver this test runs on 127.0.0.1."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    bodies: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    code = (
        "from fastapi.testclient import TestClient\n"
        "from app.core import tracing\n"
        "from app.main import app\n"
        "assert tracing.enabled()\n"
        "with TestClient(app) as client:\n"
        "    assert client.get('/openapi.json').status_code == 200\n"
        "    client.get('/healthz')\n"
        "tracing.shutdown_tracing()\n"
    )
    env = {"PATH": "/usr/bin:/bin", "BUENDNIS_ENV": "development",
           "BUENDNIS_OTEL_ENDPOINT": f"http://127.0.0.1:{server.server_port}/v1/traces",
           "BUENDNIS_OTEL_SERVICE_NAME": "buendnis-otlp-test",
           "BUENDNIS_OTEL_TIMEOUT_SECONDS": "5"}
    try:
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                       env=env, cwd=tmp_path, timeout=60, check=True)
    finally:
        server.shutdown()
        server.server_close()

    names, services = [], set()
    for body in bodies:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            services.update(attribute.value.string_value
                            for attribute in resource_spans.resource.attributes
                            if attribute.key == "service.name")
            names += [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert services == {"buendnis-otlp-test"}
    # One server span (FastAPI's native telemetry stands aside), none for the probe.
    assert names == ["GET /openapi.json"]


def test_fastapi_native_telemetry_records_nothing_under_a_foreign_global_provider(
    connection: Connection, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tracing off, and a tracer provider that something else installed globally (an
    auto-instrumentation agent, say): FastAPI's own telemetry, which would record every request
    with its query string and the client's address, stays off (``create_app``)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    exporter = InMemorySpanExporter()
    foreign = TracerProvider()
    foreign.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: foreign)
    settings = get_settings().model_copy(update={"otel_endpoint": None})
    with TestClient(_app(settings, connection), base_url="http://testserver") as client:
        assert client.get("/api/v1/public/alliances?q=Paula%20Privatmann").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert not tracing.enabled()
    assert list(exporter.get_finished_spans()) == []


def test_the_rows_a_batch_hands_to_the_driver_are_traced_as_statements(
    traced: Traced, session: Session,
) -> None:
    """The bulk writers bypass SQLAlchemy's execute (PostgreSQL: COPY); their statements still
    reach the tracer, under the request's span."""
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    alliances = [factories.make_alliance(session) for _ in range(2)]
    partner = factories.client_headers(factories.make_client(session, scopes=("surveys:write",)))
    traced.reset()

    response = traced.client.post(f"/api/v1/cycles/{cycle.slug}/responses:batch", headers=partner,
                                  json={"items": [{"alliance": a.id, "submit": True,
                                                   "answers": factories.GOOD_ANSWERS,
                                                   "wants_future_project": True,
                                                   "wants_seal": False}
                                                  for a in alliances]})

    assert response.status_code == 200 and response.json()["created"] == 2, response.text
    spans = traced.spans()
    [server] = _server_spans(spans)
    assert server.context is not None
    written = {str((span.attributes or {}).get("db.statement", "")).split("(")[0].strip()
               for span in spans if span.kind is SpanKind.CLIENT
               and span.parent is not None and span.parent.span_id == server.context.span_id}
    for table in ("survey_response", "response_revision", "audit_event"):
        assert any(statement.endswith(f" {table}") and statement.split()[0] in ("INSERT", "COPY")
                   for statement in written), f"{table}: {sorted(written)}"


def test_a_failed_bulk_insert_marks_its_span_as_failed(
    connection: Connection, session: Session, engine_spans: Callable[[], list[ReadableSpan]],
) -> None:
    """Rows handed to the driver (PostgreSQL: COPY, outside SQLAlchemy's execute) fail as any
    statement does: SQLAlchemy's error, and the tracer's span ended as an error."""
    from sqlalchemy.exc import IntegrityError

    from app.core.bulk import driver_converter, insert_rows
    from app.core.db import table_of
    from app.surveys.models import SurveyResponse

    cycle = factories.make_cycle(session)
    taken = factories.make_response(session, cycle, factories.make_alliance(session))
    table = table_of(SurveyResponse)
    stamp = driver_converter(table.c.created_at, connection.dialect)(taken.created_at)
    set_up = len(engine_spans())  # the factories' statements
    nested = connection.begin_nested()
    with pytest.raises(IntegrityError):
        insert_rows(connection, table, (
            "cycle_id", "alliance_id", "status", "answers", "wants_future_project", "mode",
            "entered_by", "score_breakdown", "version", "created_at", "updated_at",
        ), [(cycle.id, taken.alliance_id, "draft", "{}", True, "online", "user:0", "[]", 1,
             stamp, stamp)])
    nested.rollback()
    failed = [span for span in engine_spans()[set_up:]
              if "survey_response" in str((span.attributes or {}).get("db.statement", ""))]
    assert [span.status.status_code for span in failed] == [trace.StatusCode.ERROR]
