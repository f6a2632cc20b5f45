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
from tests.utils.problems import assert_problem

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


def test_a_call_mails_only_the_invitations_it_created(client, admin, session):
    """Older unmailed invitations (an alliance without an address then, rows entered before
    mails were recorded) are not this call's: inviting one alliance by hand mails one."""
    waiting = [factories.make_alliance(session) for _ in range(3)]
    without_address = factories.make_alliance(session, contacts=[{"name": "Ohne Adresse"}])
    event = an_event(session)
    for alliance in waiting:  # invited before, never mailed
        session.add(EventInvitation(event_id=event.id, alliance_id=alliance.id,
                                    basis="previous_seal", invited_by="system:seed-demo"))
    session.commit()
    assert invite(client, admin, event, without_address)["emails_queued"] == 0
    without_address.contacts[0].email = "neu@example.org"
    session.add(without_address.contacts[0])
    session.commit()
    other = factories.make_alliance(session, contacts=[
        {"name": "Eins", "email": "eins@example.org"}, {"name": "Zwei", "email": "zwei@example.org"}])

    report = invite(client, admin, event, other)

    assert (report["added"], report["emails_queued"]) == ([other.id], 2)
    assert sorted(m.recipient for m in invitation_mails(session)) == ["eins@example.org",
                                                                      "zwei@example.org"]


def test_generate_reports_the_mails_it_queued_and_mails_only_its_own(
        client, admin, session, cycles):
    old, new = factories.make_alliance(session), factories.make_alliance(session)
    factories.make_evaluation_run(session, cycles["current"], [(new, True)])
    event = an_event(session, cycle_id=cycles["current"].id, kind=EventKind.exchange,
                     venue="online")
    session.add(EventInvitation(event_id=event.id, alliance_id=old.id, basis="manual",
                                invited_by="user:1"))
    session.commit()

    r = client.post(url(event.id, "/invitations:generate"), headers=admin)

    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["emails_queued"]) == ([new.id], 1)
    assert [m.recipient for m in invitation_mails(session)] == [new.contacts[0].email]
    assert client.post(url(event.id, "/invitations:generate"),
                       headers=admin).json()["emails_queued"] == 0


def test_the_invitation_links_the_event_in_the_portal(client, admin, session, monkeypatch):
    from app.core.config import get_settings

    first, second = factories.make_alliance(session), factories.make_alliance(session)
    event = an_event(session)
    monkeypatch.setattr(get_settings(), "frontend_base_url", "https://portal.example.org/")
    invite(client, admin, event, first)
    monkeypatch.setattr(get_settings(), "frontend_base_url", None)
    monkeypatch.setattr(get_settings(), "public_base_url", "https://api.example.org")
    invite(client, admin, event, second)

    bodies = {m.recipient: m.body for m in invitation_mails(session)}
    assert (f"im Bündnisportal an:\nhttps://portal.example.org/veranstaltungen/{event.id}\n"
            in bodies[first.contacts[0].email])
    assert (f"https://api.example.org/veranstaltungen/{event.id}"
            in bodies[second.contacts[0].email])


def test_an_event_that_is_over_takes_no_invitations(client, admin, session, cycles):
    alliance = factories.make_alliance(session)
    factories.make_evaluation_run(session, cycles["current"], [(alliance, True)])
    ended = utcnow().replace(microsecond=0)
    event = an_event(session, cycle_id=cycles["current"].id, starts_at=ended.replace(year=2020),
                     ends_at=ended, registration_closes_at=None)

    for path, body in (("/invitations", {"alliance_ids": [alliance.id]}),
                       ("/invitations:generate", None)):
        r = client.post(url(event.id, path), headers=admin, json=body)
        assert_problem(r, 409, "event_over")
        assert "ended" in r.json()["detail"]
    assert session.exec(select(EventInvitation).where(
        EventInvitation.event_id == event.id)).all() == []
    assert invitation_mails(session) == []


def test_invitations_are_for_the_servicebuero_only(client, session, alliance, member_headers,
                                                   partner):
    event = an_event(session)
    for headers in ({}, member_headers, partner):
        r = client.post(url(event.id, "/invitations"), headers=headers,
                        json={"alliance_ids": [alliance.id]})
        assert r.status_code in (401, 403), r.text
    assert invitation_mails(session) == []


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
