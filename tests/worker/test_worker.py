"""`buendnis worker`: its registry, graceful stop mid-batch (the message on the wire completes,
nothing is sent twice) and exactly-once delivery with two workers draining one outbox."""

import asyncio
import threading
from collections import Counter

import pytest
from sqlmodel import Session, select

from app.core import db as core_db
from app.core.config import Settings
from app.mail import outbox
from app.mail.dispatch import dispatch_due
from app.mail.models import OutboxMessage, OutboxStatus
from app.worker import jobs
from app.worker.runner import run_worker
from tests import dbsetup


class Recorder:
    """A sender that notes each outbox id; ``on_send`` runs after a message went out."""

    def __init__(self, on_send=None) -> None:
        self.sent: list[int] = []
        self.lock = threading.Lock()
        self.on_send = on_send

    async def send(self, message, *, outbox_id: int) -> None:
        await asyncio.sleep(0.002)  # on the wire: lets the other worker interleave
        with self.lock:
            self.sent.append(outbox_id)
        if self.on_send is not None:
            self.on_send(outbox_id)


def queue(count: int) -> list[int]:
    with core_db.new_session() as session:
        rows = [outbox.enqueue(session, f"kontakt{i}@buendnis.example.org", "Betreff", "Text")
                for i in range(count)]
        session.commit()
        return [row.id for row in rows if row.id is not None]


def statuses() -> Counter[OutboxStatus]:
    with core_db.new_session() as session:
        return Counter(row.status for row in session.exec(select(OutboxMessage)).all())


def mail_job(sender: Recorder, settings: Settings) -> jobs.Job:
    def deliver(session: Session) -> object:
        return asyncio.run(dispatch_due(session, sender, settings=settings,
                                        should_stop=jobs.stop_requested))
    return jobs.Job("mail", 0.01, deliver)


def test_the_builtin_jobs_are_mail_and_retention_and_one_line_adds_another(monkeypatch):
    import app.worker.builtin  # noqa: F401

    monkeypatch.setattr(jobs, "_registry", dict(jobs._registry))
    assert {"mail", "webhooks", "reminders", "retention"} <= {job.name for job in jobs.registered()}
    jobs.register("example", 3600, lambda session: "nothing due")
    assert jobs.registered()[-1] == jobs.Job("example", 3600.0, jobs.registered()[-1].fn)


def test_stop_mid_batch_finishes_the_message_on_the_wire_and_hands_back_the_rest(own_database):
    ids = queue(10)
    stop = threading.Event()
    first = Recorder(on_send=lambda outbox_id: stop.set() if outbox_id == ids[2] else None)
    settings = Settings(mail_batch_size=10)

    run_worker(stop, settings, jobs=[mail_job(first, settings)])

    assert first.sent == ids[:3], "the third message, on the wire at SIGTERM, completed"
    assert statuses() == {OutboxStatus.sent: 3, OutboxStatus.queued: 7}
    with core_db.new_session() as session:
        waiting = session.exec(select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.queued)).all()
        assert all(row.attempts == 0 for row in waiting), "handed back, no attempt counted"

    # The next worker (no lease to wait out) sends exactly the rest.
    second = Recorder()
    run_worker(threading.Event(), settings, jobs=[mail_job(second, settings)], until_idle=True)
    assert sorted(first.sent + second.sent) == ids
    assert statuses() == {OutboxStatus.sent: 10}


def test_two_workers_drain_one_outbox_exactly_once(own_database):
    if dbsetup.lane() != "postgresql":
        pytest.skip("concurrent claims are proven on PostgreSQL (FOR UPDATE SKIP LOCKED)")
    ids = queue(60)
    sender = Recorder()
    settings = Settings(mail_batch_size=4)
    stop = threading.Event()
    workers = [threading.Thread(target=run_worker, args=(stop, settings),
                                kwargs={"jobs": [mail_job(sender, settings)]}) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        for _ in range(300):
            if len(sender.sent) >= len(ids) and statuses() == {OutboxStatus.sent: len(ids)}:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    assert sorted(sender.sent) == ids, "every message once, none twice"
    assert statuses() == {OutboxStatus.sent: len(ids)}


def test_a_failing_job_is_logged_and_the_worker_goes_on(own_database, tmp_path, caplog):
    beat = tmp_path / "alive"
    ran: list[str] = []

    def broken(session: Session) -> object:
        raise RuntimeError("kontakt@buendnis.example.org")  # messages may quote personal data

    settings = Settings(worker_heartbeat_file=str(beat))
    run_worker(threading.Event(), settings, until_idle=True, jobs=[
        jobs.Job("broken", 1, broken), jobs.Job("after", 1, lambda s: ran.append("after"))])
    assert ran == ["after"]
    assert beat.exists(), "liveness: the heartbeat file is touched after each round"
    assert "job broken failed" in caplog.text


def test_the_worker_serves_its_own_counters_when_a_port_is_set():
    """Webhook attempts fail in the worker, whose counters no web process's /metrics sees."""
    import socket

    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from app.core.config import Settings
    from app.core.metrics import WEBHOOK_FAILURES
    from app.worker.runner import serve_metrics

    assert serve_metrics(Settings()) is None  # off unless configured
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = serve_metrics(Settings(worker_metrics_port=port))
    assert served is not None
    server, thread = served
    try:
        before = WEBHOOK_FAILURES.labels("retrying")._value.get()
        WEBHOOK_FAILURES.labels("retrying").inc()
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    samples = {(s.name, s.labels.get("outcome")): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("buendnis_webhook_delivery_failures_total", "retrying")] == before + 1


def test_an_idle_worker_logs_no_line_per_poll(own_database, caplog):
    """Idle passes log at DEBUG; a pass that delivered something logs at INFO."""
    import logging

    import app.worker.builtin  # noqa: F401
    from app.worker.runner import run_worker

    mail_job = [job for job in jobs.registered() if job.name == "mail"]
    with caplog.at_level(logging.INFO, logger="buendnis.worker"):
        run_worker(threading.Event(), jobs=mail_job, until_idle=True)
    assert not [r for r in caplog.records if r.getMessage().startswith("job mail")]


def test_a_pass_that_did_something_is_news():
    from app.mail.dispatch import DispatchReport
    from app.webhooks.delivery import SendReport
    from app.worker.runner import _found_nothing

    assert _found_nothing(DispatchReport()) and _found_nothing(SendReport())
    assert not _found_nothing(DispatchReport(sent=1))
    assert not _found_nothing(SendReport(failed=1))
    assert not _found_nothing("3 e-mail(s) anonymised")  # other jobs always report
