"""Invitation e-mails: once per invitation (by the rule or by hand), only for published
events (a draft's invitations are mailed when it is published), in German with date, place
and deadline, to the contacts that can receive mail."""

from datetime import UTC, datetime

from sqlmodel import select

from app.core.db import utcnow
from app.events.models import EventInvitation, EventKind, EventStatus
from tests import factories
from tests.events.helpers import url
from tests.utils.mail import all_mail, mail_to

STARTS = datetime(2099, 9, 12, 7, 0, tzinfo=UTC)  # 09:00 in Germany
DEADLINE = datetime(2099, 9, 1, 21, 59, tzinfo=UTC)  # 23:59 in Germany


def invitation_mails(session):
    return [m for m in all_mail(session) if m.subject.startswith("Einladung:")]


def an_event(session, **overrides):
    fields = {"starts_at": STARTS, "ends_at": STARTS.replace(hour=14),
              "registration_closes_at": DEADLINE, "title": "Zukunftswerkstatt Fürth",
              "venue": "Fürth"}
    fields.update(overrides)
    return factories.make_event(session, **fields)


def invite(client, admin, event, *alliances):
    r = client.post(url(event.id, "/invitations"), headers=admin,
                    json={"alliance_ids": [a.id for a in alliances]})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_hand_invitation_is_mailed_once_in_german_with_date_place_and_deadline(
        client, admin, session):
    alliance = factories.make_alliance(session, contacts=[
        {"name": "Eine Person", "email": "eins@example.org"},
        {"name": "Ohne Adresse"},
        {"name": "Gelöscht", "email": "weg@example.org", "erased_at": utcnow()},
        {"name": "Doppelt", "email": "EINS@example.org"},
        {"name": "Keine Post", "email": "keine-post@example.org", "accepts_mail": False},
        {"name": "Zweite", "email": "zwei@example.org"}])
    event = an_event(session)

    invite(client, admin, event, alliance)
    invite(client, admin, event, alliance)  # again: kept, not mailed again

    mails = invitation_mails(session)
    assert sorted(m.recipient for m in mails) == ["eins@example.org", "zwei@example.org"]
    mail = mails[0]
    assert mail.subject == "Einladung: Zukunftswerkstatt Fürth"
    assert "12.09.2099, 09:00 Uhr" in mail.body and "in Fürth" in mail.body
    assert "bis zum 01.09.2099, 23:59 Uhr" in mail.body and "eingeladen" in mail.body
    assert "Zukunftswerkstatt" in mail.body
    assert mail_to(session, "weg@example.org") == []
    assert mail_to(session, "keine-post@example.org") == []
    row = session.exec(select(EventInvitation).where(EventInvitation.event_id == event.id)).one()
    assert row.mailed_at is not None


def test_generated_invitations_are_mailed_once_however_often_generated(
        client, admin, session, cycles):
    a, b = factories.make_alliance(session), factories.make_alliance(session)
    factories.make_evaluation_run(session, cycles["current"], [(a, True), (b, True)])
    event = an_event(session, cycle_id=cycles["current"].id, kind=EventKind.exchange,
                     venue="online")

    for _ in range(2):
        assert client.post(url(event.id, "/invitations:generate"),
                           headers=admin).status_code == 200
    invite(client, admin, event, a)

    mails = invitation_mails(session)
    assert len(mails) == 2 and {m.recipient for m in mails} == {
        a.contacts[0].email, b.contacts[0].email}
    assert " online" in mails[0].body


def test_a_drafts_invitations_are_mailed_when_it_is_published(client, admin, session):
    alliance = factories.make_alliance(session)
    draft = an_event(session, status=EventStatus.draft)

    invite(client, admin, draft, alliance)
    assert invitation_mails(session) == []

    r = client.post(url(draft.id, "/publish"), headers=admin)
    assert r.status_code == 200, r.text
    assert [m.recipient for m in invitation_mails(session)] == [alliance.contacts[0].email]
    invite(client, admin, draft, alliance)
    assert len(invitation_mails(session)) == 1


def test_an_alliance_without_an_address_is_mailed_once_it_has_one(client, admin, session):
    alliance = factories.make_alliance(session, contacts=[{"name": "Ohne Adresse"}])
    event = an_event(session)
    invite(client, admin, event, alliance)
    assert invitation_mails(session) == []

    alliance.contacts[0].email = "neu@example.org"
    session.add(alliance.contacts[0])
    session.commit()
    other = factories.make_alliance(session)
    invite(client, admin, event, other)

    assert sorted(m.recipient for m in invitation_mails(session)) == sorted(
        ["neu@example.org", other.contacts[0].email])


def test_invitations_reach_the_smtp_server_once_each_in_german(client, admin, session):
    from functools import partial

    import anyio

    from app.mail.dispatch import dispatch_due
    from tests.mail.smtp import running_smtp_server

    first = factories.make_alliance(session, contacts=[{"name": "Eine", "email": "eins@example.org"}])
    second = factories.make_alliance(session, contacts=[{"name": "Zwei", "email": "zwei@example.org"}])
    event = an_event(session)
    invite(client, admin, event, first, second)
    invite(client, admin, event, first, second)  # again: nothing new to send

    with running_smtp_server() as smtp:
        report = anyio.run(partial(dispatch_due, session, smtp.sender()))
        again = anyio.run(partial(dispatch_due, session, smtp.sender()))

    assert (report.sent, again.sent) == (2, 0)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["eins@example.org", "zwei@example.org"]
    for received in smtp.received:
        assert received.message["Subject"] == "Einladung: Zukunftswerkstatt Fürth"
        text = received.message.get_content()
        assert "12.09.2099, 09:00 Uhr" in text and "in Fürth" in text
        assert "bis zum 01.09.2099, 23:59 Uhr" in text
