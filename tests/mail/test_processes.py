"""Dispatchers in several processes, the background task and ``buendnis send-mail``.

These tests need rows other connections can see, so they commit for real and delete their
rows afterwards (the other tests run inside a rolled-back transaction).
"""

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app import cli
from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.core.logging import set_actor
from app.mail import outbox
from app.mail.models import OutboxMessage, OutboxStatus
from app.main import create_app
from tests.utils.settings import reload_settings


@pytest.fixture
def committed(engine: Engine) -> Iterator[Callable[[int], list[int]]]:
    """Commit n queued messages; remove every message the test created afterwards."""
    created: list[int] = []

    def make(n: int) -> list[int]:
        with Session(engine, expire_on_commit=False) as session:
            rows = [outbox.new_message(f"person{i}@example.org", "Bündnisumfrage", "Grüße")
                    for i in range(n)]
            session.add_all(rows)
            session.commit()
            ids = [r.id for r in rows if r.id is not None]
        created.extend(ids)
        return ids

    yield make
    with Session(engine) as session:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(created)))
        session.commit()


def _rows(engine: Engine, ids: list[int]) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))).all())


def test_concurrent_dispatchers_never_claim_the_same_message(engine, committed):
    ids = committed(40)
    now = utcnow()

    def worker(_: int) -> list[int]:
        claimed: list[int] = []
        with Session(engine, expire_on_commit=False) as session:
            while batch := outbox.claim_due(session, now, limit=3, claim_seconds=600):
                claimed += [m.id for m in batch if m.id is not None]
        return claimed

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(worker, range(4)))

    everything = [i for claimed in results for i in claimed]
    assert sorted(everything) == sorted(ids), "each message claimed exactly once"
    assert all(r.attempts == 1 for r in _rows(engine, ids))


def test_background_dispatcher_runs_in_the_app_lifespan(engine, committed, smtp_server):
    [message_id] = committed(1)
    settings = Settings(
        database_url=get_settings().database_url, mail_dispatch=True,
        mail_dispatch_interval_seconds=0.05, smtp_host=smtp_server.host,
        smtp_port=smtp_server.port, smtp_timeout_seconds=5,
    )

    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 10
        while not smtp_server.received and time.monotonic() < deadline:
            time.sleep(0.05)

    assert [r.rcpt_tos for r in smtp_server.received] == [["person0@example.org"]]
    [row] = _rows(engine, [message_id])
    assert row.status == OutboxStatus.sent


def test_no_background_dispatcher_unless_enabled(engine, committed, smtp_server):
    [message_id] = committed(1)
    settings = Settings(database_url=get_settings().database_url, mail_dispatch=False,
                        smtp_host=smtp_server.host, smtp_port=smtp_server.port)

    with TestClient(create_app(settings)):
        time.sleep(0.3)

    assert smtp_server.received == []
    assert _rows(engine, [message_id])[0].status == OutboxStatus.queued


def test_send_mail_command_runs_one_pass(engine, committed, smtp_server, monkeypatch, capsys):
    ids = committed(2)
    with Session(engine) as session:  # one of them is not due yet
        later = session.get(OutboxMessage, ids[1])
        assert later is not None
        later.next_attempt_at = utcnow() + timedelta(hours=1)
        session.add(later)
        session.commit()
    monkeypatch.setenv("BUENDNIS_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("BUENDNIS_SMTP_PORT", str(smtp_server.port))
    reload_settings()
    try:
        assert cli.main(["send-mail"]) == 0
    finally:
        monkeypatch.undo()
        reload_settings()
        set_actor(None)

    assert "mail: 1 sent, 0 to retry later, 0 failed" in capsys.readouterr().out
    assert len(smtp_server.received) == 1
    statuses = {r.id: r.status for r in _rows(engine, ids)}
    assert statuses == {ids[0]: OutboxStatus.sent, ids[1]: OutboxStatus.queued}


def test_a_claim_takes_at_most_the_batch_size(engine, committed):
    """On PostgreSQL a single ``UPDATE … IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` once
    claimed every due message at once: one dispatcher took the whole outbox."""
    ids = committed(7)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        batches = [[m.id for m in outbox.claim_due(session, now, limit=3, claim_seconds=600)]
                   for _ in range(4)]
    assert batches == [ids[:3], ids[3:6], ids[6:], []]
