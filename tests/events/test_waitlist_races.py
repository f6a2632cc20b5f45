"""Withdrawals and registrations at the same moment, each on its own connection: promotion
happens under the event's row lock in the withdrawal's own transaction, so the event is never
overbooked and each freed place goes to exactly one delegate, the first in line, once."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.auth.models import Role
from app.events.models import Event, EventDelegate
from app.mail.models import OutboxMessage
from tests import factories
from tests.events.helpers import delegate_body, delegate_url, remove_committed_event
from tests.utils.racing import race

CAPACITY = 3
WAITING = 4
NEWCOMERS = 4


@dataclass
class Line:
    event: Event
    headers: dict[str, str]
    holders: list[int]
    waiting: list[int]  # in order of arrival


@pytest.fixture
def line(engine: Engine) -> Iterator[Line]:
    """A full event with three places and four delegates waiting, committed for real."""
    with Session(engine, expire_on_commit=False) as setup:
        alliance = factories.make_alliance(setup)
        user = factories.make_user(setup, Role.alliance_user, alliance)
        event = factories.make_event(setup, capacity=CAPACITY, invited=[alliance])
        holders = [factories.make_delegate(setup, event, alliance).id for _ in range(CAPACITY)]
        waiting = [factories.make_delegate(setup, event, alliance, status="waitlisted").id
                   for _ in range(WAITING)]
    yield Line(event, factories.user_headers(user), holders, waiting)  # type: ignore[arg-type]
    remove_committed_event(engine, event, user, alliance)


def test_concurrent_withdrawals_and_registrations_promote_each_once_and_never_overbook(
        engine, line, racing_client):
    calls = [lambda d=d: racing_client.post(delegate_url(line.event.id, d, "/withdraw"),
                                            headers=line.headers) for d in line.holders]
    calls += [lambda n=n: racing_client.post(delegate_url(line.event.id), headers=line.headers,
                                             json=delegate_body(email=f"neu{n}@example.org"))
              for n in range(NEWCOMERS)]
    pending = iter(calls)
    replies = race(len(calls), lambda: next(pending)())

    assert {r.status_code for r in replies} <= (
        {200, 201} if engine.dialect.name == "postgresql" else {200, 201, 503}), \
        [r.text for r in replies]
    with Session(engine) as check:
        rows = {d.id: d for d in check.exec(select(EventDelegate).where(
            EventDelegate.event_id == line.event.id)).all()}
        promotions = check.exec(select(OutboxMessage.recipient).where(
            col(OutboxMessage.recipient).in_([d.email for d in rows.values()]),
            col(OutboxMessage.subject).startswith("Platz frei"))).all()
    registered = [d for d in rows.values() if d.status == "registered"]
    assert len(registered) <= CAPACITY
    assert len(promotions) == len(set(promotions))  # nobody is promoted (mailed) twice
    promoted = [i for i in line.waiting if rows[i].status == "registered"]
    assert sorted(promotions) == sorted(rows[i].email for i in promoted)
    assert promoted == line.waiting[:len(promoted)]  # the head of the line, in order
    if engine.dialect.name == "postgresql":
        # Every withdrawal got through and handed its place on in the same transaction:
        # newcomers always found the event full.
        assert len(registered) == CAPACITY and promoted == line.waiting[:CAPACITY]
        newcomers = [d for d in rows.values() if d.id not in line.holders + line.waiting]
        assert len(newcomers) == NEWCOMERS and all(d.status == "waitlisted" for d in newcomers)
