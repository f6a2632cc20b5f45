"""JSON logs with the request id on every line (and the trace and span id when tracing is on).

Log lines carry ids, paths, status codes and timings only: never bodies, query strings,
headers, e-mail addresses, names or tokens (a test drives the API and scans the logs).
"""

import json
import logging
import re
import sys
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Who the current request (or command) acts as, e.g. "user:3", "client:1", "system"; read by
# the audit trail. It lives here, beside the request id, so middleware sets it without
# reaching up into a domain.
_actor: ContextVar[str | None] = ContextVar("audit_actor", default=None)


# Set by app/core/tracing.py when tracing is on: the current trace and span id, hex. Off, it
# stays None and this module never touches OpenTelemetry.
_trace_context_source: Callable[[], tuple[str, str] | None] | None = None


def set_trace_context_source(source: Callable[[], tuple[str, str] | None] | None) -> None:
    global _trace_context_source
    _trace_context_source = source


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def set_actor(actor: str | None) -> None:
    _actor.set(actor)


def current_actor() -> str:
    return _actor.get() or "anonymous"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key in ("trace_id", "span_id", "method", "path", "status", "duration_ms", "actor"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info and record.exc_info[0] is not None:
            # Type and frames only: exception messages may quote user input.
            entry["exception"] = record.exc_info[0].__name__
            entry["stack"] = self.formatStack(_frames_only(record.exc_info[2]))
        return json.dumps(entry, ensure_ascii=False)


def _frames_only(tb: Any) -> str:
    import traceback

    return "".join(traceback.format_tb(tb))


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # Stamp at creation: a handler may format the record after the request's context is gone.
    record = _base_factory(*args, **kwargs)
    record.request_id = _request_id.get()
    if _trace_context_source is not None and (ids := _trace_context_source()) is not None:
        record.trace_id, record.span_id = ids
    return record


logging.setLogRecordFactory(_record_with_request_id)


class _AppLogHandler(logging.StreamHandler):
    """The app's JSON lines on stdout; a class of its own, so that configuring again replaces
    it and leaves the handlers others installed (a test runner's capture) in place."""


def configure_logging(level: str = "INFO") -> None:
    handler = _AppLogHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _AppLogHandler)] + [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints query strings; ours does not.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


# Secrets that travel in a URL path (calendar feed URLs: calendar apps cannot send headers).
_PATH_SECRETS = re.compile(r"\b(bcal)_[A-Za-z0-9_-]+")


def loggable_path(path: str | None) -> str | None:
    """``path`` with secret URL segments masked, for the access log."""
    return _PATH_SECRETS.sub(r"\1_***", path) if path else path
