"""`buendnis worker` as a process: SIGTERM while a message is on the wire lets that message
complete and be recorded, hands the rest back, exits 0; the next pass sends only the rest."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from sqlmodel import select

from app.core import db as core_db
from app.mail import outbox
from app.mail.models import OutboxMessage, OutboxStatus
from tests import dbsetup
from tests.mail.smtp import Collector, running_smtp_server


class SlowCollector(Collector):
    """Takes a while per message, and says when the first one is on the wire."""

    on_wire = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.on_wire.set()
        await asyncio.sleep(0.8)
        return await super().handle_DATA(server, session, envelope)


def worker_env(url: str, port: int) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BUENDNIS_")}
    environment.update({
        "BUENDNIS_DATABASE_URL": url, "BUENDNIS_LOG_LEVEL": "WARNING",
        "BUENDNIS_SMTP_HOST": "127.0.0.1", "BUENDNIS_SMTP_PORT": str(port),
        "BUENDNIS_MAIL_BATCH_SIZE": "10", "BUENDNIS_WORKER_POLL_SECONDS": "0.2",
    })
    return environment


def test_sigterm_mid_batch_completes_the_current_message_and_sends_nothing_twice(
        own_database, monkeypatch):
    import tests.mail.smtp as smtp

    monkeypatch.setattr(smtp, "Collector", SlowCollector)
    SlowCollector.on_wire.clear()
    with core_db.new_session() as session:
        for i in range(6):
            outbox.enqueue(session, f"kontakt{i}@buendnis.example.org", "Betreff", "Text")
        session.commit()

    with running_smtp_server() as server:
        env = worker_env(own_database, server.port)
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], cwd=dbsetup.ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        try:
            assert SlowCollector.on_wire.wait(60), "the worker never sent"
            worker.send_signal(signal.SIGTERM)
            _, stderr = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, stderr
        first_round = len(server.received)
        assert 1 <= first_round < 6, "the message on the wire completed, the batch stopped"

        with core_db.new_session() as session:
            rows = session.exec(select(OutboxMessage)).all()
            sent = [row for row in rows if row.status == OutboxStatus.sent]
            assert len(sent) == first_round, "every delivered message is recorded as sent"
            assert all(row.attempts == 0 for row in rows if row.status == OutboxStatus.queued)

        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "send-mail"], cwd=dbsetup.ROOT, env=env,
            capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < 60, "handed back: no lease to wait out"
        recipients = [r.rcpt_tos[0] for r in server.received]
        assert sorted(recipients) == sorted(f"kontakt{i}@buendnis.example.org" for i in range(6))
