"""The worker loop: run each registered job when its interval has passed, until stopped.

SIGTERM/SIGINT set the stop event: the job running finishes its current item (mail: the
message on the wire is sent and recorded, the rest of the batch handed back), then the loop
ends. After every round the heartbeat file (``BUENDNIS_WORKER_HEARTBEAT_FILE``) is touched,
so a liveness probe can check its age."""

import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from app.core.config import Settings, get_settings
from app.core.db import new_session
from app.core.logging import set_actor
from app.core.tracing import configure_tracing, job_span, shutdown_tracing
from app.worker.jobs import Job, bind_stop, registered

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

logger = logging.getLogger("buendnis.worker")


def run_job(job: Job) -> None:
    with job_span(job.name), new_session() as session:
        try:
            outcome = job.fn(session)
        except Exception:
            # Type and frames only (see JsonFormatter): messages may quote personal data.
            logger.exception("job %s failed", job.name)
            return
        # An idle worker polls every few seconds: a pass that found nothing is not news.
        level = logging.DEBUG if _found_nothing(outcome) else logging.INFO
        logger.log(level, "job %s: %s", job.name, outcome)


def _found_nothing(outcome: object) -> bool:
    """A delivery pass (mail, webhooks) that had nothing to send."""
    counts = [getattr(outcome, name, None) for name in ("sent", "retrying", "failed")]
    return all(count == 0 for count in counts)


def heartbeat(path: str | None) -> None:
    if path:
        Path(path).touch()


def run_worker(stop: threading.Event, settings: Settings | None = None, *,
               jobs: list[Job] | None = None, until_idle: bool = False) -> None:
    """Run jobs until ``stop`` is set (``until_idle``: one round of every job, for tests)."""
    settings = settings or get_settings()
    set_actor("system")
    bind_stop(stop)
    jobs = jobs if jobs is not None else registered()
    next_run = {job.name: 0.0 for job in jobs}
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                break
            if time.monotonic() >= next_run[job.name]:
                run_job(job)
                next_run[job.name] = time.monotonic() + job.interval_seconds
        heartbeat(settings.worker_heartbeat_file)
        if until_idle:
            return
        wait = min(next_run.values(), default=time.monotonic() + settings.worker_poll_seconds)
        stop.wait(max(0.05, min(wait - time.monotonic(), settings.worker_poll_seconds)))
    logger.info("worker stopped")


def serve_metrics(settings: Settings) -> "tuple[WSGIServer, threading.Thread] | None":
    """The worker's counters over HTTP (a daemon thread), when a port is configured: the web
    processes' /metrics cannot see what this process counted."""
    if settings.worker_metrics_port is None:
        return None
    from prometheus_client import start_http_server

    from app.core.metrics import REGISTRY

    served = start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_address,
                               registry=REGISTRY)
    logger.info("worker metrics on %s:%d", settings.worker_metrics_address,
                settings.worker_metrics_port)
    return served


def _refusal(settings: Settings) -> str | None:
    """Why the worker must not start (a job could only do harm), or None."""
    from app.mail.senders import MailNotConfigured, sender_from_settings

    try:
        sender_from_settings(settings)
    except MailNotConfigured as exc:
        return str(exc)
    return None


def main(settings: Settings | None = None) -> int:
    import app.worker.builtin  # noqa: F401  (registers mail, webhooks and retention)

    if (refusal := _refusal(settings or get_settings())) is not None:
        logger.error("worker refuses to start: %s", refusal)
        print(f"worker: {refusal}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("worker: signal %d, finishing the current item", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    configure_tracing(settings or get_settings())
    serve_metrics(settings or get_settings())
    logger.info("worker started: %s", ", ".join(job.name for job in registered()))
    try:
        run_worker(stop, settings)
    finally:
        shutdown_tracing()  # sends the spans still buffered
    return 0
