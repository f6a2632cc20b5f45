"""GDPR: export, erasure without losing history, retention."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import SurveyNotice
from app.privacy.retention import RetentionPolicy, apply_retention
from tests import factories
from tests.utils.problems import assert_problem

TWO_YEARS = RetentionPolicy(mail_months=24, delegate_months=24, inquiry_months=24)


def _notice(session, cycle, alliance, recipient, **kw):
    message = OutboxMessage(recipient=recipient, subject="Bündnisumfrage", body=f"Hallo {recipient}",
                            status=kw.pop("message_status", OutboxStatus.sent))
    session.add(message)
    session.flush()
    notice = SurveyNotice(cycle_id=cycle.id, alliance_id=alliance.id, recipient=recipient,
                          status=message.status, outbox_message_id=message.id, requested_by="user:1", **kw)
    session.add(notice)
    session.commit()
    return notice, message


def test_export_lists_contacts_users_and_notices(client, session, admin, alliance, other_alliance):
    user = factories.make_user(session, alliance=alliance, full_name="Paula Privat")
    factories.make_user(session, alliance=other_alliance, full_name="Fremde Person")
    cycle = factories.make_cycle(session)
    _notice(session, cycle, alliance, alliance.contacts[0].email)

    r = client.get(f"/api/v1/alliances/{alliance.id}/personal-data", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["email"] for c in body["contacts"]] == [alliance.contacts[0].email]
    assert [u["full_name"] for u in body["users"]] == ["Paula Privat"]
    assert body["notices"][0]["recipient"] == alliance.contacts[0].email
    assert "Fremde Person" not in r.text

    own = client.get(f"/api/v1/alliances/{alliance.id}/personal-data", headers=factories.user_headers(user))
    assert own.status_code == 200
    assert session.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "alliance.personal_data_export")).one() == 2


@pytest.mark.parametrize("who,status", [("anonymous", 401), ("other", 404), ("client", 403)])
def test_export_refuses_wrong_callers(client, alliance, other_alliance, alliance_user, partner, who, status):
    headers = {"anonymous": {}, "other": alliance_user(other_alliance), "client": partner}[who]
    assert_problem(client.get(f"/api/v1/alliances/{alliance.id}/personal-data", headers=headers), status)


def test_erasing_a_contact_keeps_history_and_names_no_value(client, session, admin, alliance):
    contact = alliance.contacts[0]
    email, name = contact.email, contact.name
    cycle = factories.make_cycle(session)
    notice, message = _notice(session, cycle, alliance, email)

    r = client.post(f"/api/v1/people/contact/{contact.id}:erase", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["notices_anonymised"] == 1 and r.json()["messages_anonymised"] == 1

    detail = client.get(f"/api/v1/alliances/{alliance.id}", headers=admin).json()
    assert len(detail["contacts"]) == 1, "the person still counts"
    assert detail["contacts"][0]["name"] == "Gelöschte Person" and detail["contacts"][0]["email"] is None
    session.refresh(notice)
    session.refresh(message)
    assert notice.status == OutboxStatus.sent, "who was reached stays known"
    assert email not in notice.recipient and email not in message.recipient and name not in message.body

    trail = client.get("/api/v1/audit-events", headers=admin, params={"limit": 100}).text
    assert email not in trail and name not in trail
    assert "person.erase" in trail

    again = client.post(f"/api/v1/people/contact/{contact.id}:erase", headers=admin)
    assert_problem(again, 409, "already_erased")


def test_erasing_a_user_ends_access(client, session, admin, alliance):
    user = factories.make_user(session, alliance=alliance, email="weg@example.org")
    headers = factories.user_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    r = client.post(f"/api/v1/people/user/{user.id}:erase", headers=admin)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    login = client.post("/api/v1/auth/token", data={"grant_type": "password", "username": "weg@example.org",
                                                    "password": factories.PASSWORD})
    assert (login.status_code, login.json()["error"]) == (400, "invalid_grant")
    listed = client.get(f"/api/v1/users/{user.id}", headers=admin).json()
    assert listed["email"].endswith("@erased.invalid") and listed["is_active"] is False


def test_erase_refuses_self_wrong_caller_and_bad_kind(client, admin, admin_account, alliance, alliance_user):
    assert_problem(client.post(f"/api/v1/people/user/{admin_account.id}:erase", headers=admin), 403)
    assert_problem(client.post(f"/api/v1/people/contact/{alliance.contacts[0].id}:erase",
                               headers=alliance_user(alliance)), 403)
    assert_problem(client.post("/api/v1/people/contact/999999:erase", headers=admin), 404)
    body = assert_problem(client.post("/api/v1/people/martian/1:erase", headers=admin), 422)
    assert ["path", "kind"] in [e["loc"] for e in body["errors"]]


def test_retention_dry_run_changes_nothing_then_applies(session, alliance):
    cycle = factories.make_cycle(session)
    old_notice, old_message = _notice(session, cycle, alliance, "alt@example.org")
    old_message.created_at = old_notice.created_at = utcnow() - timedelta(days=800)
    session.commit()
    fresh_notice, _ = _notice(session, cycle, alliance, "neu@example.org")

    report = apply_retention(session, TWO_YEARS, dry_run=True)
    assert (report.messages, report.notices) == (1, 1)
    session.refresh(old_message)
    assert old_message.recipient == "alt@example.org"

    apply_retention(session, TWO_YEARS, dry_run=False)
    session.refresh(old_message)
    session.refresh(old_notice)
    session.refresh(fresh_notice)
    assert "alt@example.org" not in (old_message.recipient + old_notice.recipient + old_message.body)
    assert fresh_notice.recipient == "neu@example.org"
    assert apply_retention(session, TWO_YEARS, dry_run=True).messages == 0, "idempotent"


def test_erasing_stops_queued_mail_and_the_notice_says_so(client, session, admin, alliance):
    contact = alliance.contacts[0]
    cycle = factories.make_cycle(session)
    notice, message = _notice(session, cycle, alliance, contact.email, message_status=OutboxStatus.queued)
    assert client.post(f"/api/v1/people/contact/{contact.id}:erase", headers=admin).status_code == 200
    session.refresh(message)
    session.refresh(notice)
    assert message.status == OutboxStatus.failed
    assert notice.status == OutboxStatus.failed, "the notice follows its message"
