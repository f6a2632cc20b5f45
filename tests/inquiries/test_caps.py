"""Inquiries cannot turn the Servicebüro into a mailer (issue 11, finding 5): confirmations to
one address are capped per day however often it is named (and from however many client
addresses), and an alliance's people file a bounded number of inquiries per day."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import Role, User
from app.inquiries.models import Inquiry, InquiryMessage
from app.mail.models import OutboxMessage
from tests import factories
from tests.inquiries.helpers import filing, member_filing, url
from tests.utils.mail import mail_to
from tests.utils.problems import assert_problem
from tests.utils.racing import race

VICTIM = "opfer@example.org"


def test_confirmations_to_one_address_are_capped_per_day(app, session, limits):
    limits("inquiry_confirmations_per_recipient", 2)
    for n in range(4):  # from four client addresses, so the per-address limit never bites
        with TestClient(app, client=(f"203.0.113.{n + 1}", 40000)) as caller:
            reply = caller.post(url(), json=filing(requester_email=VICTIM.upper() if n % 2 else VICTIM))
            assert reply.status_code == 201, reply.text

    assert len(session.exec(select(Inquiry)).all()) == 4, "every inquiry is still filed"
    confirmations = [m for m in session.exec(select(OutboxMessage)).all()
                     if m.recipient.lower() == VICTIM]
    assert len(confirmations) == 2


def test_the_confirmation_cap_is_per_address(client, session, limits):
    limits("inquiry_confirmations_per_recipient", 1)
    assert client.post(url(), json=filing(requester_email=VICTIM)).status_code == 201
    assert client.post(url(), json=filing(requester_email="jemand@example.org")).status_code == 201

    assert len(mail_to(session, "jemand@example.org")) == 1


def test_the_confirmation_cap_starts_over_after_a_day(client, session, limits):
    limits("inquiry_confirmations_per_recipient", 1)
    assert client.post(url(), json=filing(requester_email=VICTIM)).status_code == 201
    for message in session.exec(select(OutboxMessage)).all():
        message.created_at -= timedelta(days=1, minutes=1)
        session.add(message)
    session.commit()

    assert client.post(url(), json=filing(requester_email=VICTIM)).status_code == 201

    assert len([m for m in session.exec(select(OutboxMessage)).all()
                if m.recipient.lower() == VICTIM]) == 2


def test_an_alliance_files_a_bounded_number_of_inquiries_per_day(client, session, member_headers,
                                                                 limits):
    limits("inquiries_per_alliance_per_day", 2)
    for _ in range(2):
        assert client.post(url(), headers=member_headers, json=member_filing()).status_code == 201

    refused = client.post(url(), headers=member_headers, json=member_filing())

    assert_problem(refused, 429, "too_many_requests")
    assert 1 <= int(refused.headers["retry-after"]) <= 86400
    assert len(session.exec(select(Inquiry)).all()) == 2


def test_the_alliance_cap_leaves_other_alliances_and_the_servicebuero_alone(
        client, member_headers, other_alliance, alliance_user, admin, limits):
    limits("inquiries_per_alliance_per_day", 1)
    assert client.post(url(), headers=member_headers, json=member_filing()).status_code == 201
    assert client.post(url(), headers=member_headers, json=member_filing()).status_code == 429

    other = alliance_user(other_alliance)
    assert client.post(url(), headers=other, json=member_filing()).status_code == 201
    assert client.post(url(), headers=admin, json=filing()).status_code == 201


@pytest.fixture
def committed_member(engine: Engine) -> Iterator[dict[str, str]]:
    """A person acting for an alliance, committed for real (the racing requests have their own
    sessions); removed afterwards with the inquiries they filed."""
    with Session(engine, expire_on_commit=False) as setup:
        alliance = factories.make_alliance(setup)
        user = factories.make_user(setup, Role.alliance_user, alliance)
    yield factories.user_headers(user)
    with engine.begin() as connection:
        filed = select(Inquiry.id).where(Inquiry.alliance_id == alliance.id)
        connection.execute(delete(InquiryMessage).where(col(InquiryMessage.inquiry_id).in_(filed)))
        connection.execute(delete(Inquiry).where(col(Inquiry.alliance_id) == alliance.id))
        connection.execute(delete(OutboxMessage).where(col(OutboxMessage.recipient) == user.email))
        connection.execute(delete(User).where(col(User.id) == user.id))
        connection.execute(delete(Alliance).where(col(Alliance.id) == alliance.id))


def test_concurrent_filings_never_pass_the_alliance_cap(engine, committed_member, racing_client,
                                                         limits):
    limits("inquiries_per_alliance_per_day", 2)
    replies = race(6, lambda: racing_client.post(url(), headers=committed_member,
                                                 json=member_filing()))
    created = [r for r in replies if r.status_code == 201]
    # PostgreSQL queues the filings on the alliance's row lock: exactly the cap gets through.
    # SQLite has one writer; a filing that cannot get the lock in time is a 503 (retry).
    allowed = {201, 429} if engine.dialect.name == "postgresql" else {201, 429, 503}
    assert {r.status_code for r in replies} <= allowed, [r.text for r in replies]
    if engine.dialect.name == "postgresql":
        assert len(created) == 2
    else:
        assert len(created) <= 2
