"""GDPR for event delegates and inquiry requesters: export, erasure everywhere, retention."""

from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from app.core.db import utcnow
from app.events.models import DelegateStatus, EventDelegate
from app.inquiries.models import InquiryMessage, InquiryStatus
from app.mail.models import OutboxMessage, OutboxStatus
from app.privacy.retention import RetentionPolicy, apply_retention
from tests import factories
from tests.utils.problems import assert_problem


def _mail_to(session, recipient, status=OutboxStatus.sent):
    message = OutboxMessage(recipient=recipient, subject="Anmeldung", body=f"Hallo {recipient}", status=status)
    session.add(message)
    session.commit()
    return message


def _trail(client, admin):
    return client.get("/api/v1/audit-events", headers=admin, params={"limit": 100}).text


def _messages_of(session, inquiry):
    return list(session.exec(
        select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id)
        .order_by(col(InquiryMessage.id)).execution_options(populate_existing=True)
    ).all())


def test_export_holds_the_alliances_delegates_and_inquiries_only(client, session, admin, alliance,
                                                                 other_alliance, alliance_user):
    event = factories.make_event(session, title="Zukunftswerkstatt Hamm", invited=[alliance, other_alliance])
    factories.make_delegate(session, event, alliance, name="Dora Delegiert", dietary_needs="vegan")
    factories.make_delegate(session, event, other_alliance, name="Fremde Delegierte")
    factories.make_inquiry(session, alliance, requester_name="Ina Anfrage", message="Bitte um Rückruf")
    factories.make_inquiry(session, other_alliance, requester_name="Fremde Anfrage")
    factories.make_inquiry(session, None, requester_name="Anonyme Anfrage")

    for headers in (admin, alliance_user(alliance)):
        r = client.get(f"/api/v1/alliances/{alliance.id}/personal-data", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert [(d["name"], d["event_title"], d["dietary_needs"]) for d in body["delegates"]] == [
            ("Dora Delegiert", "Zukunftswerkstatt Hamm", "vegan")]
        assert [i["requester_name"] for i in body["inquiries"]] == ["Ina Anfrage"]
        assert [m["body"] for m in body["inquiries"][0]["messages"]] == ["Bitte um Rückruf"]
        assert "Fremde" not in r.text and "Anonyme" not in r.text


def test_erasing_a_delegate_keeps_the_registration_and_names_no_value(client, session, admin, alliance):
    event = factories.make_event(session, invited=[alliance])
    delegate = factories.make_delegate(session, event, alliance, name="Dora Delegiert",
                                       email="dora@example.org", phone="+49 30 999", dietary_needs="vegan")
    confirmation = _mail_to(session, "dora@example.org")

    r = client.post(f"/api/v1/people/delegate/{delegate.id}:erase", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["delegates_anonymised"] == 1 and r.json()["messages_anonymised"] == 1

    session.refresh(delegate)
    session.refresh(confirmation)
    assert (delegate.name, delegate.email, delegate.phone, delegate.dietary_needs) == (
        "Gelöschte Person", None, None, None)
    assert delegate.status == DelegateStatus.registered and delegate.erased_at is not None, "still counts"
    assert "dora@example.org" not in confirmation.recipient + confirmation.body
    assert session.exec(select(func.count()).select_from(EventDelegate)
                        .where(EventDelegate.event_id == event.id)).one() == 1

    trail = _trail(client, admin)
    assert "person.erase" in trail
    assert "Dora" not in trail and "dora@example.org" not in trail and "vegan" not in trail
    assert_problem(client.post(f"/api/v1/people/delegate/{delegate.id}:erase", headers=admin), 409,
                   "already_erased")


def test_erasing_a_requester_clears_the_thread_but_keeps_it(client, session, admin, alliance):
    inquiry = factories.make_inquiry(session, alliance, requester_email="ina@example.org",
                                     subject="Keine Post für Ina", message="Ich bin Ina, Tel. 0171 123")
    session.add(InquiryMessage(inquiry_id=inquiry.id, author="servicebuero", body="Liebe Ina, …"))
    session.commit()
    receipt = _mail_to(session, "ina@example.org")

    r = client.post(f"/api/v1/people/requester/{inquiry.id}:erase", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["inquiries_anonymised"] == 1 and r.json()["messages_anonymised"] == 1

    session.refresh(inquiry)
    session.refresh(receipt)
    assert inquiry.requester_name == "Gelöschte Person" and inquiry.requester_email is None
    assert inquiry.requester_phone is None and "Ina" not in inquiry.subject
    assert inquiry.status == InquiryStatus.open and inquiry.erased_at is not None
    assert [m.body for m in _messages_of(session, inquiry)] == ["[gelöscht]", "[gelöscht]"], "count stays"
    assert "ina@example.org" not in receipt.recipient
    trail = _trail(client, admin)
    assert "Ina" not in trail and "ina@example.org" not in trail


def test_erasing_a_contact_reaches_their_registrations_and_inquiries(client, session, admin, alliance):
    contact = alliance.contacts[0]
    address = contact.email
    event = factories.make_event(session, invited=[alliance])
    delegate = factories.make_delegate(session, event, alliance, email=address)
    inquiry = factories.make_inquiry(session, alliance, requester_email=address)
    bystander = factories.make_delegate(session, event, alliance)

    r = client.post(f"/api/v1/people/contact/{contact.id}:erase", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["delegates_anonymised"] == 1 and r.json()["inquiries_anonymised"] == 1
    for row in (delegate, inquiry, bystander):
        session.refresh(row)
    assert delegate.email is None and inquiry.requester_email is None
    assert bystander.erased_at is None and bystander.email, "nobody else is touched"


def test_erasing_a_user_reaches_the_inquiries_they_filed(client, session, admin, alliance):
    user = factories.make_user(session, alliance=alliance, email="uwe@example.org", full_name="Uwe Nutzer")
    filed = factories.make_inquiry(session, alliance, requester_user_id=user.id,
                                   requester_email="uwe.privat@example.org", requester_name="Uwe Nutzer")
    r = client.post(f"/api/v1/people/user/{user.id}:erase", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["inquiries_anonymised"] == 1
    session.refresh(filed)
    assert filed.requester_name == "Gelöschte Person" and filed.requester_email is None


@pytest.mark.parametrize("kind", ["delegate", "requester"])
def test_erase_refuses_wrong_callers_and_unknown_rows(client, session, admin, alliance, alliance_user,
                                                      partner, kind):
    event = factories.make_event(session, invited=[alliance])
    row_id = (factories.make_delegate(session, event, alliance) if kind == "delegate"
              else factories.make_inquiry(session, alliance)).id
    url = f"/api/v1/people/{kind}/{row_id}:erase"
    assert_problem(client.post(url), 401)
    assert_problem(client.post(url, headers=alliance_user(alliance)), 403)
    assert_problem(client.post(url, headers=partner), 403)
    assert_problem(client.post(f"/api/v1/people/{kind}/999999:erase", headers=admin), 404)


def _ended(session, months_ago, alliance):
    ends = utcnow() - timedelta(days=30 * months_ago)
    event = factories.make_event(session, starts_at=ends - timedelta(hours=5), ends_at=ends,
                                 invited=[alliance])
    return factories.make_delegate(session, event, alliance)


def test_retention_erases_delegates_of_long_ended_events_and_old_closed_inquiries(session, alliance):
    old_delegate = _ended(session, 13, alliance)
    recent_delegate = _ended(session, 11, alliance)
    old_closed = factories.make_inquiry(session, alliance, status=InquiryStatus.closed,
                                        closed_at=utcnow() - timedelta(days=30 * 25))
    old_but_open = factories.make_inquiry(session, alliance, created_at=utcnow() - timedelta(days=30 * 30))
    recent_closed = factories.make_inquiry(session, alliance, status=InquiryStatus.closed,
                                           closed_at=utcnow() - timedelta(days=30))
    policy = RetentionPolicy(mail_months=24, delegate_months=12, inquiry_months=24)

    report = apply_retention(session, policy, dry_run=True)
    assert (report.delegates, report.events, report.inquiries) == (1, 1, 1)
    session.refresh(old_delegate)
    assert old_delegate.erased_at is None, "a dry run changes nothing"

    apply_retention(session, policy, dry_run=False)
    for row in (old_delegate, recent_delegate, old_closed, old_but_open, recent_closed):
        session.refresh(row)
    assert old_delegate.erased_at is not None and old_delegate.email is None
    assert old_delegate.status == DelegateStatus.registered, "attendance still counts"
    assert recent_delegate.erased_at is None
    assert old_closed.erased_at is not None and old_closed.requester_email is None
    assert old_but_open.erased_at is None, "an open case is still being worked on"
    assert recent_closed.erased_at is None
    again = apply_retention(session, policy, dry_run=True)
    assert (again.delegates, again.inquiries) == (0, 0), "idempotent"
