"""Registrations at the same moment, each on its own connection: the event's row lock lets
them through one at a time, so the capacity holds and an address is registered once."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.auth.models import Role
from app.events.models import Event, EventDelegate
from tests import factories
from tests.events.helpers import delegate_body, delegate_url, remove_committed_event
from tests.utils.racing import race

CAPACITY = 2
RACERS = 8


@dataclass
class Committed:
    event: Event
    headers: dict[str, str]


@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    """An invitation-only workshop with two places and an invited alliance's coordinator,
    committed for real; removed afterwards with everything the requests wrote (the audit
    trail stays: it is append-only, and the run's database is dropped at the end)."""
    with Session(engine, expire_on_commit=False) as setup:
        alliance = factories.make_alliance(setup)
        user = factories.make_user(setup, Role.alliance_user, alliance)
        event = factories.make_event(setup, capacity=CAPACITY, invited=[alliance])
    yield Committed(event, factories.user_headers(user))
    remove_committed_event(engine, event, user, alliance)


def _registered(engine: Engine, event: Event) -> list[EventDelegate]:
    with Session(engine) as check:
        return list(check.exec(select(EventDelegate).where(
            EventDelegate.event_id == event.id, EventDelegate.status == "registered")).all())


def _refusals_allowed(engine: Engine) -> set[int]:
    # SQLite has one writer: a request that cannot get the lock in time is a 503 (retry);
    # PostgreSQL queues them on the row lock, so every loser sees the full event.
    return {409} if engine.dialect.name == "postgresql" else {409, 503}


def test_concurrent_registrations_never_overbook(engine, committed, racing_client):
    """The ones that find the event full join the waiting list instead."""
    url = delegate_url(committed.event.id)
    bodies = iter([delegate_body(email=f"person{n}@example.org") for n in range(RACERS)])
    replies = race(RACERS, lambda: racing_client.post(url, headers=committed.headers,
                                                       json=next(bodies)))

    created = [r for r in replies if r.status_code == 201]
    refused = [r for r in replies if r.status_code != 201]
    placed = [r for r in created if r.json()["status"] == "registered"]
    waiting = [r for r in created if r.json()["status"] == "waitlisted"]
    assert len(_registered(engine, committed.event)) == len(placed) <= CAPACITY
    assert len(placed) + len(waiting) == len(created)
    assert sorted(r.json()["waiting_position"] for r in waiting) == list(
        range(1, len(waiting) + 1))
    if engine.dialect.name == "postgresql":
        assert (len(placed), len(waiting)) == (CAPACITY, RACERS - CAPACITY)
    assert {r.status_code for r in refused} <= _refusals_allowed(engine), [r.text for r in refused]


def test_one_address_sent_at_the_same_moment_is_registered_once(engine, committed,
                                                                racing_client):
    url = delegate_url(committed.event.id)
    replies = race(4, lambda: racing_client.post(url, headers=committed.headers,
                                                 json=delegate_body()))

    created = [r for r in replies if r.status_code == 201]
    refused = [r for r in replies if r.status_code != 201]
    assert len(created) <= 1 and len(_registered(engine, committed.event)) == len(created)
    if engine.dialect.name == "postgresql":
        assert len(created) == 1
    assert {r.status_code for r in refused} <= _refusals_allowed(engine), [r.text for r in refused]
    assert all(r.json()["code"] == "already_registered" for r in refused if r.status_code == 409)
