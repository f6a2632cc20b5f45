"""From the send request to the mailbox: real SMTP on 127.0.0.1, notices following the outbox."""

from datetime import UTC, datetime, timedelta
from functools import partial

import anyio
from sqlmodel import col, select

from app.core.config import get_settings
from app.core.db import utcnow
from app.mail.dispatch import dispatch_due
from app.mail.models import OutboxStatus
from app.notices.models import SurveyNotice
from tests import factories
from tests.mail.smtp import down_sender


def deliver(session, sender, now=None):
    return anyio.run(partial(dispatch_due, session, sender, now))


def send(client, admin, cycle, *alliances):
    r = client.post(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin,
                    json={"alliance_ids": [a.id for a in alliances]})
    assert r.status_code == 202, r.text
    return r.json()


def notice_of(session, alliance):
    return session.exec(
        select(SurveyNotice).where(SurveyNotice.alliance_id == alliance.id)
        .order_by(col(SurveyNotice.id).desc()).execution_options(populate_existing=True)
    ).first()


def test_the_notice_arrives_in_german_with_window_and_link(client, session, admin, smtp_server):
    cycle = factories.make_cycle(
        session, key="2031/32", slug="2031-32", seal_title="Ausgezeichnetes Bündnis 2031/32",
        opens_at=datetime(2031, 9, 30, 22, 0, tzinfo=UTC),
        closes_at=datetime(2031, 11, 30, 22, 59, tzinfo=UTC),
    )
    alliance = factories.make_alliance(session, name="Bündnis für Familie Fürth", contacts=[
        {"name": "Jürgen Größer", "email": "juergen.groesser@fuerth.example.org"}])
    send(client, admin, cycle, alliance)

    report = deliver(session, smtp_server.sender())

    assert report.sent == 1
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["juergen.groesser@fuerth.example.org"]
    assert mail.message["To"] == "juergen.groesser@fuerth.example.org"
    assert mail.message["Subject"] == (
        "Bündnisumfrage 2031/32: Ihre Chance auf das Siegel „Ausgezeichnetes Bündnis 2031/32“")
    text = mail.message.get_content()
    assert "Ihr Bündnis „Bündnis für Familie Fürth“" in text
    assert "vom 01.10.2031 bis zum 30.11.2031, 23:59 Uhr" in text
    assert f"{get_settings().public_base_url.rstrip('/')}/umfrage/2031-32" in text
    assert "Mit freundlichen Grüßen" in text
    assert "Jürgen" not in text, "the body names the alliance, not the person"
    assert mail.raw.isascii(), "umlauts are encoded (RFC 2047 and quoted-printable)"
    notice = notice_of(session, alliance)
    assert notice.status == OutboxStatus.sent
    assert notice.attempts == 1
    assert notice.sent_at is not None and notice.updated_at >= notice.created_at


def test_smtp_down_keeps_the_notice_queued_then_a_later_success_sends_it(
    client, session, admin, smtp_server, alliance,
):
    cycle = factories.make_cycle(session)
    send(client, admin, cycle, alliance)
    now = utcnow()

    deliver(session, down_sender(), now)

    notice = notice_of(session, alliance)
    assert notice.status == OutboxStatus.queued and notice.attempts == 1
    overview = client.get(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin,
                          params={"status": "queued"}).json()["items"]
    [row] = [i for i in overview if i["alliance_id"] == alliance.id]
    [shown] = row["notices"]
    assert shown["attempts"] == 1
    assert datetime.fromisoformat(shown["next_attempt_at"]) == now + timedelta(minutes=1)
    assert shown["last_error"]

    deliver(session, smtp_server.sender(), now + timedelta(minutes=1))

    notice = notice_of(session, alliance)
    assert notice.status == OutboxStatus.sent and notice.attempts == 2
    assert len(smtp_server.received) == 1


def test_after_the_last_attempt_the_notice_is_failed_and_the_alliance_missing(
    client, session, admin, alliance, alliance_user,
):
    cycle = factories.make_cycle(session)
    send(client, admin, cycle, alliance)
    now = utcnow()
    for wait in (0, 60, 300, 1800):
        now += timedelta(seconds=wait)
        deliver(session, down_sender(), now)
        assert notice_of(session, alliance).status == OutboxStatus.queued

    deliver(session, down_sender(), now + timedelta(hours=2))

    notice = notice_of(session, alliance)
    assert notice.status == OutboxStatus.failed and notice.attempts == 5
    mine = client.get(f"/api/v1/cycles/{cycle.slug}/notices/mine",
                      headers=alliance_user(alliance)).json()
    assert mine["status"] == "failed" and mine["reached"] is False
    missing = client.get(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin,
                         params={"status": "missing", "limit": 100}).json()["items"]
    assert alliance.id in {i["alliance_id"] for i in missing}


def test_seal_holders_and_dissolved_alliances_never_receive_mail(
    client, session, admin, smtp_server, seal,
):
    cycle = factories.make_cycle(session)
    eligible = factories.make_alliance(session)
    holder = factories.make_alliance(session)
    seal(holder)
    dissolved = factories.make_alliance(session, status="dissolved")

    client.post(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin)
    deliver(session, smtp_server.sender())

    recipients = {r for mail in smtp_server.received for r in mail.rcpt_tos}
    assert eligible.contacts[0].email in recipients
    assert holder.contacts[0].email not in recipients
    assert dissolved.contacts[0].email not in recipients
