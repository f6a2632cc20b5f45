"""The concurrency-sensitive paths through two server processes at once.

Two ``uvicorn app.main:app`` processes share one PostgreSQL database and one Redis (conftest):
every scenario sends its requests at the same moment, alternating between the processes, and
asserts the exact outcome: the last places and the waiting list, one idempotent batch, one
refresh token, one rate limit, and two ``buendnis worker`` processes draining one outbox.
What a single process's locks or memory could fake, two processes cannot.
"""

import asyncio
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from app.auth.models import AuthSession, Role
from app.core.idempotency_models import IdempotencyRecord
from app.events.models import EventDelegate
from app.mail import outbox
from app.mail.models import OutboxMessage, OutboxStatus
from app.surveys.models import ResponseRevision, SurveyResponse
from tests import dbsetup, factories
from tests.mail.smtp import Collector, running_smtp_server
from tests.processes.cluster import (
    REQUEST_TIMEOUT,
    USER_LIMIT_PER_MINUTE,
    Cluster,
    stop_all,
)

AT_ONCE = 8


def at_once(calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Run every call in its own thread and connection, released together by a barrier;
    the replies in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[httpx.Client], httpx.Response]) -> httpx.Response:
        with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
            barrier.wait(timeout=30)
            return call(client)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls, timeout=90))


def positions(delegates: list[dict[str, Any]]) -> dict[str, int | None]:
    return {d["email"]: d["waiting_position"] for d in delegates}


# --- 1. the last places and the waiting list ---------------------------------------------------

CAPACITY = 3


def test_last_places_and_the_waiting_list_across_processes(cluster: Cluster):
    with Session(cluster.engine, expire_on_commit=False) as setup:
        alliance = factories.make_alliance(setup)
        people = [factories.make_user(setup, Role.alliance_user, alliance) for _ in range(AT_ONCE)]
        admin = factories.user_headers(factories.make_user(setup, Role.admin))
        event = factories.make_event(setup, capacity=CAPACITY, invited=[alliance])
    headers = [factories.user_headers(person) for person in people]
    delegates_url = f"/api/v1/events/{event.id}/delegates"
    emails = [f"delegierte{i}@example.org" for i in range(AT_ONCE)]

    def register(i: int, base: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.post(base + delegates_url, headers=headers[i], json={
            "name": f"Delegierte Person {i}", "function": "Sprecherin", "email": emails[i]})

    replies = at_once([register(i, base)
                       for i, base in zip(range(AT_ONCE), cluster.urls(), strict=False)])

    assert [r.status_code for r in replies] == [201] * AT_ONCE, [r.text for r in replies]
    created = [r.json() for r in replies]
    registered = [d for d in created if d["status"] == "registered"]
    waiting = sorted((d for d in created if d["status"] == "waitlisted"),
                     key=lambda d: d["waiting_position"])
    assert len(registered) == CAPACITY, "never overbooked, no place left empty"
    assert [d["waiting_position"] for d in waiting] == list(range(1, AT_ONCE - CAPACITY + 1))
    # Order of arrival (created_at, then id) decides: whoever holds a place came first.
    arrival = [(d["created_at"], d["id"]) for d in waiting]
    assert arrival == sorted(arrival)
    assert max((d["created_at"], d["id"]) for d in registered) < arrival[0]

    # Both processes tell the same story.
    views = [httpx.get(base + delegates_url, headers=admin, timeout=REQUEST_TIMEOUT).json()
             for base in islice(cluster.urls(), 2)]
    assert views[0] == views[1]
    assert positions(views[0]["items"]) == positions(created)

    # The three place holders and the last in line withdraw at once: exactly the first three
    # in line move up, each mailed once; the one who was fourth is now first.
    by_email = {d["email"]: i for i, d in zip(range(AT_ONCE), created, strict=True)}
    leaving = [*registered, waiting[-1]]

    def withdraw(d: dict[str, Any], base: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.post(f"{base}{delegates_url}/{d['id']}/withdraw",
                                headers=headers[by_email[d["email"]]])

    replies = at_once([withdraw(d, base)
                       for d, base in zip(leaving, cluster.urls(), strict=False)])
    assert [r.status_code for r in replies] == [200] * len(leaving), [r.text for r in replies]
    assert {r.json()["status"] for r in replies} == {"withdrawn"}

    after = {d["email"]: d for d in httpx.get(
        cluster.servers[1].base_url + delegates_url, headers=admin,
        timeout=REQUEST_TIMEOUT).json()["items"]}
    promoted = [d["email"] for d in waiting[:CAPACITY]]
    assert sorted(e for e, d in after.items() if d["status"] == "registered") == sorted(promoted)
    assert {e: d["waiting_position"] for e, d in after.items() if d["status"] == "waitlisted"} \
        == {waiting[CAPACITY]["email"]: 1}
    assert sorted(e for e, d in after.items() if d["status"] == "withdrawn") \
        == sorted(d["email"] for d in leaving)

    with Session(cluster.engine) as check:
        mails = check.exec(select(OutboxMessage.recipient).where(
            col(OutboxMessage.recipient).in_(emails),
            col(OutboxMessage.subject).startswith("Platz frei"))).all()
        rows = check.exec(select(func.count()).select_from(EventDelegate).where(
            EventDelegate.event_id == event.id)).one()
    assert Counter(mails) == Counter(promoted), "each promoted delegate mailed exactly once"
    assert rows == AT_ONCE


# --- 2. one idempotent batch -------------------------------------------------------------------

def test_one_idempotency_key_through_both_processes_writes_once(cluster: Cluster):
    with Session(cluster.engine, expire_on_commit=False) as setup:
        cycle = factories.make_cycle(setup)
        factories.make_questions(setup, cycle)
        alliances = [factories.make_alliance(setup) for _ in range(3)]
        partner = factories.client_headers(factories.make_client(setup))
    body = {"items": [{"alliance": a.slug, "ref": f"row-{i}", "answers": factories.GOOD_ANSWERS,
                       "wants_future_project": True, "wants_seal": True}
                      for i, a in enumerate(alliances)]}
    keyed = {**partner, "Idempotency-Key": "b7a1c0de-2f6e-4c1e-9d3a-0a1b2c3d4e5f"}
    path = f"/api/v1/cycles/{cycle.id}/responses:batch"

    def push(base: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.post(base + path, headers=keyed, json=body)

    replies = at_once([push(base) for base in islice(cluster.urls(), AT_ONCE)])

    # The app's promise (app/core/idempotency.py): a racing duplicate loses on the unique
    # (actor, key), rolls back and returns the winner's stored reply; nothing is 409.
    assert [r.status_code for r in replies] == [200] * AT_ONCE, [r.text for r in replies]
    assert all(r.json() == replies[0].json() for r in replies), "one result for every reply"
    assert replies[0].json()["created"] == len(alliances)
    fresh = [r for r in replies if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(fresh) == 1, "exactly one request wrote; the others replayed its reply"

    later = httpx.post(cluster.servers[0].base_url + path, headers=keyed, json=body,
                       timeout=REQUEST_TIMEOUT)
    assert later.status_code == 200 and later.headers["Idempotent-Replayed"] == "true"
    assert later.json() == replies[0].json()

    with Session(cluster.engine) as check:
        responses = check.exec(select(SurveyResponse).where(
            SurveyResponse.cycle_id == cycle.id)).all()
        revisions = check.exec(select(func.count()).select_from(ResponseRevision).where(
            col(ResponseRevision.response_id).in_([r.id for r in responses]))).one()
        records = check.exec(select(func.count()).select_from(IdempotencyRecord)).one()
    assert sorted(r.alliance_id for r in responses) == sorted(a.id for a in alliances)
    assert revisions == len(alliances), "one history entry per response, none duplicated"
    assert records == 1


# --- 3. one refresh token presented twice ------------------------------------------------------

def test_one_refresh_token_at_both_processes_wins_once_and_ends_the_session(cluster: Cluster):
    with Session(cluster.engine, expire_on_commit=False) as setup:
        person = factories.make_user(setup, Role.alliance_user, factories.make_alliance(setup))
    token_path = "/api/v1/auth/token"
    signed_in = httpx.post(cluster.servers[0].base_url + token_path, data={
        "grant_type": "password", "username": person.email, "password": factories.PASSWORD},
        timeout=REQUEST_TIMEOUT)
    assert signed_in.status_code == 200, signed_in.text
    refresh = signed_in.json()["refresh_token"]

    def present(base: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.post(base + token_path, data={"grant_type": "refresh_token",
                                                         "refresh_token": refresh})

    replies = at_once([present(base) for base in islice(cluster.urls(), AT_ONCE)])

    winners = [r for r in replies if r.status_code == 200]
    losers = [r for r in replies if r.status_code != 200]
    assert len(winners) == 1, [r.text for r in replies]
    assert {r.status_code for r in losers} == {400}
    assert {r.json()["error"] for r in losers} == {"invalid_grant"}
    codes = Counter(r.json()["code"] for r in losers)
    assert set(codes) <= {"refresh_token_reused", "invalid_refresh_token"}
    assert codes["refresh_token_reused"] >= 1, "the reuse was noticed"

    # README: presenting a rotated token again revokes the whole session, the winner's too.
    won = winners[0].json()
    for base in islice(cluster.urls(), 2):
        again = httpx.post(base + token_path, data={
            "grant_type": "refresh_token", "refresh_token": won["refresh_token"]},
            timeout=REQUEST_TIMEOUT)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        me = httpx.get(base + "/api/v1/me", timeout=REQUEST_TIMEOUT,
                       headers=factories.bearer(won["access_token"]))
        assert me.status_code == 401, me.text
    with Session(cluster.engine) as check:
        sessions = check.exec(select(AuthSession).where(AuthSession.user_id == person.id)).all()
    assert [s.revoked_reason for s in sessions] == ["refresh_reuse"]


# --- 4. one rate limit, counted in Redis -------------------------------------------------------

def test_the_rate_limit_is_one_count_across_processes(cluster: Cluster):
    with Session(cluster.engine, expire_on_commit=False) as setup:
        person = factories.make_user(setup, Role.alliance_user, factories.make_alliance(setup))
    headers = factories.user_headers(person)
    extra = 4

    def call(base: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.get(base + "/api/v1/me", headers=headers)

    replies = at_once([call(base)
                       for base in islice(cluster.urls(), USER_LIMIT_PER_MINUTE + extra)])

    statuses = Counter(r.status_code for r in replies)
    # Each process alone counts only half: with counters per process all would pass.
    assert statuses == {200: USER_LIMIT_PER_MINUTE, 429: extra}, statuses
    refused = [r for r in replies if r.status_code == 429]
    assert all(r.json()["code"] == "too_many_requests" for r in refused), refused[0].text
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refused)
    served_by = Counter(r.url.port for r in replies if r.status_code == 200)
    assert len(served_by) == 2, "both processes served (neither could alone take six)"


# --- 5. two worker processes, one outbox -------------------------------------------------------

MAILS = 40
_OUTBOX_ID = re.compile(r"outbox-(\d+)")
_DELIVERED = re.compile(r"mail (\d+) delivered via SMTP")


class SlowCollector(Collector):
    """A sink that takes a moment per message, as a real relay does: the batch outlasts a
    worker's start-up, so both workers are at the outbox together."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_two_worker_processes_deliver_every_mail_exactly_once(cluster: Cluster, tmp_path: Path):
    with Session(cluster.engine) as setup:
        for i in range(MAILS):
            outbox.enqueue(setup, f"kontakt{i}@buendnis.example.org", "Bündnisumfrage", "Grüße")
        setup.commit()
        # Earlier scenarios queued confirmations and promotions: the workers drain all of it.
        queued = set(setup.exec(select(OutboxMessage.id).where(
            OutboxMessage.status == OutboxStatus.queued)).all())
    assert len(queued) >= MAILS

    with running_smtp_server(SlowCollector()) as smtp:
        # INFO: each worker logs the outbox ids it delivered (ids only, no addresses).
        env = {**cluster.env, "BUENDNIS_LOG_LEVEL": "INFO",
               "BUENDNIS_SMTP_HOST": smtp.host, "BUENDNIS_SMTP_PORT": str(smtp.port),
               "BUENDNIS_SMTP_TIMEOUT_SECONDS": "5", "BUENDNIS_MAIL_BATCH_SIZE": "3",
               "BUENDNIS_WORKER_POLL_SECONDS": "0.1"}
        logs = [tmp_path / f"worker{i}.log" for i in range(2)]
        workers = []
        for log in logs:
            with log.open("wb") as out:
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "worker"], cwd=dbsetup.ROOT, env=env,
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT))
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and len(smtp.received) < len(queued):
                assert all(w.poll() is None for w in workers), _tails(logs)
                time.sleep(0.1)
            time.sleep(0.5)  # a duplicate would arrive now
        finally:
            stop_all(workers)
        assert [w.returncode for w in workers] == [0, 0], _tails(logs)
        delivered = Counter(int(_OUTBOX_ID.findall(r.message["Message-ID"])[0])
                            for r in smtp.received)

    assert set(delivered) == queued, "every queued mail delivered"
    assert set(delivered.values()) == {1}, "none twice"
    with Session(cluster.engine) as check:
        rows = check.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(queued))).all()
    assert {row.status for row in rows} == {OutboxStatus.sent}
    assert {row.attempts for row in rows} == {1}, "each claimed once"
    # Both processes worked, on disjoint parts (each logs the outbox ids it delivered).
    by_worker = [{int(n) for n in _DELIVERED.findall(log.read_text(errors="replace"))}
                 for log in logs]
    assert all(by_worker), _tails(logs)
    assert by_worker[0].isdisjoint(by_worker[1]) and by_worker[0] | by_worker[1] == queued


def _tails(logs: list[Path]) -> str:
    return "\n".join(f"{log.name}: {log.read_text(errors='replace')[-1500:]}" for log in logs)
