"""The demo seed records the Projekt Zukunft events of "2024/25" and fits the other demo data."""

from sqlmodel import col, select

from app.alliances.models import Alliance
from app.auth.models import User
from app.core.db import utcnow
from app.demo.seed import SeedReport, seed_demo
from app.events import demo
from app.events.models import Event, EventDelegate, EventInvitation, EventTopic
from app.mail.models import OutboxMessage
from tests.factories import user_headers


def _by_title(session):
    return {e.title: e for e in session.exec(
        select(Event).where(col(Event.title).in_([d.title for d in demo.DEMO_EVENTS])))}


def test_demo_events_cover_workshops_exchange_dialogue_and_ceremony(session):
    seed_demo(session)
    events = _by_title(session)

    assert len(events) == len(demo.DEMO_EVENTS) == 7
    assert {e.kind for e in events.values()} == {"workshop", "exchange", "dialogue", "ceremony"}
    hamm = events[demo.HAMM]
    assert (hamm.venue, hamm.state, hamm.status) == ("Hamm", "DE-NW", "published")
    assert hamm.starts_at < hamm.ends_at and hamm.registration_closes_at < hamm.starts_at
    assert len(session.exec(select(EventTopic).where(EventTopic.event_id == hamm.id)).all()) == 2
    bases = {i.basis for i in session.exec(
        select(EventInvitation).where(EventInvitation.event_id == hamm.id))}
    # By hand: the open cycle has no evaluation run, so nobody is invited by the rule yet.
    assert bases == {"manual"}
    assert len(session.exec(select(EventDelegate).where(EventDelegate.event_id == hamm.id)).all()) == 1
    assert not [m for m in session.exec(select(OutboxMessage)) if m.recipient.startswith("delegierte@")]


def test_a_demo_login_sees_its_invitation_and_its_delegate(client, session):
    seed_demo(session)
    hamm = _by_title(session)[demo.HAMM]
    login = session.exec(select(User).where(
        User.email == f"koordination@{demo.LOGIN_SLUGS[1]}.example.org")).one()

    r = client.get(f"/api/v1/events/{hamm.id}", headers=user_headers(login))

    assert r.status_code == 200, r.text
    assert (r.json()["invited"], r.json()["own_delegates"]) == (True, 1)
    public = client.get("/api/v1/public/events").json()["items"]
    assert [e["title"] for e in public] == [demo.CEREMONY]


def test_the_first_hand_invitation_on_the_demo_mails_only_its_own_alliance(client, session):
    """The demo's invitations count as sent: inviting one more alliance to the demo workshop
    queues that alliance's mail and nothing else (it queued a mail for every demo invitation)."""
    seed_demo(session)
    hamm = _by_title(session)[demo.HAMM]
    invited = {i.alliance_id for i in session.exec(
        select(EventInvitation).where(EventInvitation.event_id == hamm.id))}
    newcomer = session.exec(select(Alliance).where(col(Alliance.id).not_in(invited))
                            .order_by(col(Alliance.id))).first()
    admin = user_headers(session.exec(select(User).where(User.role == "admin")).first())

    r = client.post(f"/api/v1/events/{hamm.id}/invitations", headers=admin,
                    json={"alliance_ids": [newcomer.id]})

    assert r.status_code == 200, r.text
    contacts = [c.email for c in newcomer.contacts if c.email and c.accepts_mail]
    assert r.json()["added"] == [newcomer.id] and r.json()["emails_queued"] == len(contacts) == 1
    mails = [m for m in session.exec(select(OutboxMessage)) if m.subject.startswith("Einladung")]
    assert [m.recipient for m in mails] == contacts


def test_seeding_twice_changes_nothing(session):
    first = seed_demo(session)
    assert first.created["events"] == 7 and first.created["event_delegates"] == 9
    counts = [len(session.exec(select(model)).all())
              for model in (Event, EventTopic, EventInvitation, EventDelegate)]

    report = seed_demo(session)

    assert "events" not in report.created and "event_delegates" not in report.created
    assert [len(session.exec(select(model)).all())
            for model in (Event, EventTopic, EventInvitation, EventDelegate)] == counts


def test_without_the_cycle_nothing_is_seeded(session):
    counter = SeedReport()
    demo.seed_events(session, counter)

    assert counter.created == {}
    assert not session.exec(select(Event)).all()


def test_the_demo_has_a_full_event_with_a_waiting_list_and_a_past_one_with_attendance(
        client, session):
    seed_demo(session)
    events = _by_title(session)
    full, past = events[demo.FULL_EXCHANGE], events[demo.PAST_WORKSHOP]
    admin = session.exec(select(User).where(User.role == "admin")).first()
    headers = user_headers(admin)

    counts = client.get(f"/api/v1/events/{full.id}/counts", headers=headers).json()
    assert (counts["capacity"], counts["registered"], counts["waitlisted"]) == (2, 2, 2)
    waiting = client.get(f"/api/v1/events/{full.id}/delegates", headers=headers,
                         params={"status": "waitlisted"}).json()["items"]
    assert [d["waiting_position"] for d in waiting] == [1, 2]

    assert past.ends_at < utcnow() and past.status == "published"
    counts = client.get(f"/api/v1/events/{past.id}/counts", headers=headers).json()
    assert (counts["attended"], counts["no_show"], counts["attendance_open"]) == (2, 1, True)
    for d in session.exec(select(EventDelegate).where(EventDelegate.event_id == past.id)):
        assert d.created_at < past.registration_closes_at < past.starts_at
        assert d.attendance_recorded_at is not None and d.attendance_recorded_at > past.ends_at
