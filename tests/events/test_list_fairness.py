"""Who gets a place and who learns what: nobody jumps the waiting list, an erased or uninvited
delegate never takes a place, the Servicebüro's list is frozen once the event begins, the
online room is for alliances sending someone, and nobody is invited to register by a date
that has passed."""

from datetime import timedelta

from app.core.db import utcnow
from app.events.models import EventDelegate
from tests import factories
from tests.events.helpers import delegate_body, delegate_url, reloaded, url
from tests.utils.mail import all_mail
from tests.utils.problems import assert_problem


def full_event(session, alliance, **overrides):
    event = factories.make_event(session, capacity=1, invited=[alliance], **overrides)
    holder = factories.make_delegate(session, event, alliance)
    return event, holder


def test_a_newcomer_waits_behind_those_already_waiting_even_when_a_place_is_free(
        client, session, alliance, member_headers):
    event, holder = full_event(session, alliance)
    waiting = factories.make_delegate(session, event, alliance, status="waitlisted")
    holder.status = "withdrawn"  # a place freed without promotion (e.g. after the deadline)
    session.add(holder)
    session.commit()

    r = client.post(delegate_url(event.id), headers=member_headers,
                    json=delegate_body(email="neu@example.org"))

    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["waiting_position"]) == ("waitlisted", 2)
    assert reloaded(session, EventDelegate, waiting.id).status == "waitlisted"


def test_a_later_deadline_moves_the_waiting_list_up(client, session, admin, alliance):
    event, holder = full_event(session, alliance)
    waiting = factories.make_delegate(session, event, alliance, status="waitlisted")
    holder.status = "withdrawn"
    session.add(holder)
    session.commit()
    later = (event.starts_at - timedelta(hours=1)).isoformat()

    r = client.patch(url(event.id), headers=admin, json={"registration_closes_at": later})

    assert r.status_code == 200, r.text
    assert reloaded(session, EventDelegate, waiting.id).status == "registered"


def test_an_erased_person_on_the_list_is_passed_over(client, session, alliance, member_headers):
    event, holder = full_event(session, alliance)
    erased = factories.make_delegate(session, event, alliance, status="waitlisted", email=None,
                                     name="gelöscht", erased_at=utcnow())
    next_in_line = factories.make_delegate(session, event, alliance, status="waitlisted")

    r = client.post(delegate_url(event.id, holder.id, "/withdraw"), headers=member_headers)

    assert r.status_code == 200, r.text
    assert reloaded(session, EventDelegate, erased.id).status == "waitlisted"
    assert reloaded(session, EventDelegate, next_in_line.id).status == "registered"


def test_an_invitation_with_waiting_delegates_cannot_be_taken_back(client, session, admin,
                                                                  alliance):
    event, _holder = full_event(session, alliance)
    other = factories.make_alliance(session)
    factories.make_delegate(session, event, alliance, status="waitlisted")
    client.post(url(event.id, "/invitations"), headers=admin, json={"alliance_ids": [other.id]})
    factories.make_delegate(session, event, other, status="waitlisted")

    assert_problem(client.delete(url(event.id, f"/invitations/{other.id}"), headers=admin),
                   409, "invitation_in_use")


def test_the_servicebuero_cannot_change_the_list_once_the_event_has_begun(client, session,
                                                                         admin, alliance):
    now = utcnow()
    event, _holder = full_event(session, alliance, starts_at=now - timedelta(hours=1),
                                ends_at=now + timedelta(hours=3))
    waiting = factories.make_delegate(session, event, alliance, status="waitlisted")

    assert_problem(client.post(delegate_url(event.id, waiting.id, "/remove-from-waitlist"),
                               headers=admin), 409, "event_started")


def test_the_online_room_is_only_shown_to_alliances_sending_someone(client, session, alliance,
                                                                    other_alliance,
                                                                    member_headers,
                                                                    other_headers, admin):
    event = factories.make_event(session, kind="exchange", venue="online", is_public=True,
                                 online_url="https://meet.example.org/raum-7",
                                 invited=[alliance, other_alliance])
    factories.make_delegate(session, event, alliance)

    assert client.get(url(event.id), headers=member_headers).json()["online_url"] == \
        "https://meet.example.org/raum-7"
    assert client.get(url(event.id), headers=admin).json()["online_url"] == \
        "https://meet.example.org/raum-7"
    assert client.get(url(event.id), headers=other_headers).json()["online_url"] is None
    listed = {e["id"]: e for e in client.get(url(), headers=other_headers).json()["items"]}
    assert listed[event.id]["online_url"] is None
    uninvited = factories.make_alliance(session)
    outsider = factories.user_headers(factories.make_user(session, alliance=uninvited))
    assert client.get(url(event.id), headers=outsider).json()["online_url"] is None


def test_no_invitation_mail_once_registration_has_closed(client, session, admin):
    now = utcnow()
    event = factories.make_event(session, starts_at=now + timedelta(days=2),
                                 ends_at=now + timedelta(days=2, hours=4),
                                 registration_closes_at=now - timedelta(hours=1))
    late = factories.make_alliance(session, contacts=[{"name": "Spät", "email": "spaet@example.org"}])

    r = client.post(url(event.id, "/invitations"), headers=admin,
                    json={"alliance_ids": [late.id]})

    assert r.status_code == 200, r.text
    assert [m for m in all_mail(session) if m.recipient == "spaet@example.org"] == []
