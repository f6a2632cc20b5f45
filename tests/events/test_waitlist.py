"""The waiting list: a full event waitlists in order of arrival, a withdrawal or more places
promote the first in line while registration is open (with a German e-mail), and the
Servicebüro promotes or removes by hand."""

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.events.models import EventDelegate
from tests import factories
from tests.events.helpers import delegate_body, delegate_url, reloaded, url
from tests.utils.mail import mail_to
from tests.utils.problems import assert_problem


def register(client, event, headers, email):
    r = client.post(delegate_url(event.id), headers=headers, json=delegate_body(email=email))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def full(session, alliance):
    """Published, invitation-only, two places, both taken."""
    event = factories.make_event(session, capacity=2, invited=[alliance])
    for _ in range(2):
        factories.make_delegate(session, event, alliance)
    return event


def test_registrations_on_a_full_event_line_up_in_order_of_arrival(client, session, full,
                                                                   member_headers, admin):
    first = register(client, full, member_headers, "eins@example.org")
    second = register(client, full, member_headers, "zwei@example.org")

    assert (first["status"], first["waiting_position"]) == ("waitlisted", 1)
    assert (second["status"], second["waiting_position"]) == ("waitlisted", 2)
    [mail] = mail_to(session, "eins@example.org")
    assert "Warteliste" in mail.subject and "Warteliste" in mail.body
    listed = client.get(delegate_url(full.id), headers=member_headers,
                        params={"status": "waitlisted"}).json()["items"]
    assert [(d["id"], d["waiting_position"]) for d in listed] == [(first["id"], 1),
                                                                  (second["id"], 2)]
    one = client.get(delegate_url(full.id, second["id"]), headers=admin).json()
    assert one["waiting_position"] == 2
    registered = [d for d in client.get(delegate_url(full.id), headers=admin).json()["items"]
                  if d["status"] == "registered"]
    assert len(registered) == 2 and all(d["waiting_position"] is None for d in registered)


def test_an_event_without_capacity_never_waitlists(client, session, alliance, member_headers):
    event = factories.make_event(session, capacity=None, invited=[alliance])
    for n in range(5):
        assert register(client, event, member_headers, f"p{n}@example.org")["status"] == \
            "registered"


def test_the_same_address_cannot_wait_twice(client, full, member_headers):
    register(client, full, member_headers, "eins@example.org")
    assert_problem(client.post(delegate_url(full.id), headers=member_headers,
                               json=delegate_body(email="EINS@example.org")),
                   409, "already_registered")


def test_a_withdrawal_promotes_the_first_in_line_and_mails_them(client, session, full, alliance,
                                                                member_headers):
    first = register(client, full, member_headers, "eins@example.org")
    second = register(client, full, member_headers, "zwei@example.org")
    holder = client.get(delegate_url(full.id), headers=member_headers,
                        params={"status": "registered"}).json()["items"][0]

    r = client.post(delegate_url(full.id, holder["id"], "/withdraw"), headers=member_headers)

    assert r.status_code == 200, r.text
    assert reloaded(session, EventDelegate, first["id"]).status == "registered"
    assert reloaded(session, EventDelegate, second["id"]).status == "waitlisted"
    assert client.get(delegate_url(full.id, second["id"]),
                      headers=member_headers).json()["waiting_position"] == 1
    promoted = [m for m in mail_to(session, "eins@example.org") if "Platz frei" in m.subject]
    assert len(promoted) == 1
    assert full.title in promoted[0].body and "Hamm" in promoted[0].body
    assert "verbindlich angemeldet" in promoted[0].body
    assert not [m for m in mail_to(session, "zwei@example.org") if "Platz frei" in m.subject]


def test_withdrawing_a_waitlisted_delegate_promotes_nobody(client, session, full, member_headers):
    first = register(client, full, member_headers, "eins@example.org")
    second = register(client, full, member_headers, "zwei@example.org")

    r = client.post(delegate_url(full.id, first["id"], "/withdraw"), headers=member_headers)

    assert r.json()["status"] == "withdrawn"
    assert reloaded(session, EventDelegate, second["id"]).status == "waitlisted"
    assert client.get(delegate_url(full.id, second["id"]),
                      headers=member_headers).json()["waiting_position"] == 1


def test_more_places_promote_as_many_as_fit(client, session, full, member_headers, admin):
    waiting = [register(client, full, member_headers, f"w{n}@example.org") for n in range(3)]

    r = client.patch(url(full.id), headers=admin, json={"capacity": 4})

    assert r.status_code == 200, r.text
    states = [reloaded(session, EventDelegate, d["id"]).status for d in waiting]
    assert states == ["registered", "registered", "waitlisted"]
    assert [len([m for m in mail_to(session, f"w{n}@example.org") if "Platz frei" in m.subject])
            for n in range(3)] == [1, 1, 0]
    counts = client.get(url(full.id, "/counts"), headers=admin).json()
    assert (counts["registered"], counts["waitlisted"]) == (4, 1)

    client.patch(url(full.id), headers=admin, json={"capacity": None})
    assert reloaded(session, EventDelegate, waiting[2]["id"]).status == "registered"


def test_no_automatic_promotion_once_registration_has_closed(client, session, alliance, admin):
    starts = utcnow() + timedelta(days=10)
    event = factories.make_event(session, capacity=1, invited=[alliance], starts_at=starts,
                                 ends_at=starts + timedelta(hours=3),
                                 registration_closes_at=utcnow() - timedelta(days=1))
    holder = factories.make_delegate(session, event, alliance)
    waiting = factories.make_delegate(session, event, alliance, status="waitlisted")

    assert client.post(delegate_url(event.id, holder.id, "/withdraw"),
                       headers=admin).status_code == 200
    client.patch(url(event.id), headers=admin, json={"capacity": 5})

    assert reloaded(session, EventDelegate, waiting.id).status == "waitlisted"
    assert mail_to(session, waiting.email) == []


# --- by hand ------------------------------------------------------------------------------------

def test_the_servicebuero_promotes_into_a_free_place_or_with_an_explicit_override(
        client, session, full, alliance, admin):
    waiting = factories.make_delegate(session, full, alliance, status="waitlisted")
    promote = delegate_url(full.id, waiting.id, "/promote")

    body = assert_problem(client.post(promote, headers=admin), 409, "event_full")
    assert "exceed_capacity" in body["detail"]
    r = client.post(promote, headers=admin, json={"exceed_capacity": True})

    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["waiting_position"]) == ("registered", None)
    assert len([m for m in mail_to(session, waiting.email) if "Platz frei" in m.subject]) == 1
    assert_problem(client.post(promote, headers=admin), 409, "delegate_not_waitlisted")


def test_promotion_by_hand_works_after_the_deadline_but_not_once_begun(client, session, alliance,
                                                                       admin):
    starts = utcnow() + timedelta(days=3)
    event = factories.make_event(session, capacity=1, invited=[alliance], starts_at=starts,
                                 ends_at=starts + timedelta(hours=3),
                                 registration_closes_at=utcnow() - timedelta(hours=1))
    waiting = factories.make_delegate(session, event, alliance, status="waitlisted")
    assert client.post(delegate_url(event.id, waiting.id, "/promote"),
                       headers=admin).json()["status"] == "registered"

    begun = factories.make_event(session, capacity=5, invited=[alliance],
                                 starts_at=utcnow() - timedelta(hours=1),
                                 ends_at=utcnow() + timedelta(hours=3))
    late = factories.make_delegate(session, begun, alliance, status="waitlisted")
    assert_problem(client.post(delegate_url(begun.id, late.id, "/promote"), headers=admin),
                   409, "event_started")


def test_the_servicebuero_removes_from_the_waiting_list(client, session, full, alliance, admin):
    first = factories.make_delegate(session, full, alliance, status="waitlisted")
    second = factories.make_delegate(session, full, alliance, status="waitlisted")

    r = client.post(delegate_url(full.id, first.id, "/remove-from-waitlist"), headers=admin)

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert client.get(delegate_url(full.id, second.id), headers=admin).json()[
        "waiting_position"] == 1
    assert_problem(client.post(delegate_url(full.id, first.id, "/remove-from-waitlist"),
                               headers=admin), 409, "delegate_not_waitlisted")


@pytest.mark.parametrize("action", ["/promote", "/remove-from-waitlist"])
def test_only_the_servicebuero_moves_the_line(client, session, full, alliance, member_headers,
                                              other_headers, partner, admin, action):
    waiting = factories.make_delegate(session, full, alliance, status="waitlisted")
    target = delegate_url(full.id, waiting.id, action)

    assert_problem(client.post(target), 401)
    for headers in (member_headers, other_headers, partner):
        assert_problem(client.post(target, headers=headers), 403)
    assert_problem(client.post(delegate_url(full.id, 987654, action), headers=admin), 404,
                   "delegate_not_found")
    assert_problem(client.post(delegate_url(987654, waiting.id, action), headers=admin), 404,
                   "event_not_found")
    assert reloaded(session, EventDelegate, waiting.id).status == "waitlisted"


def test_promotion_refuses_unknown_fields(client, session, full, alliance, admin):
    waiting = factories.make_delegate(session, full, alliance, status="waitlisted")
    assert_problem(client.post(delegate_url(full.id, waiting.id, "/promote"), headers=admin,
                               json={"exceed_capacity": "yes"}), 422)
    assert_problem(client.post(delegate_url(full.id, waiting.id, "/promote"), headers=admin,
                               json={"force": True}), 422)


# --- what an alliance sees before registering -------------------------------------------------

def test_an_invited_alliance_sees_a_full_event_and_that_it_would_join_the_waiting_list(
        client, session, full, member_headers, admin):
    """The SPA labels the button "Auf die Warteliste" from `allowed_actions`/`is_full`,
    without the admin-only numbers."""
    seen = client.get(url(full.id), headers=member_headers).json()
    assert (seen["registration_open"], seen["is_full"], seen["allowed_actions"]) == (
        True, True, ["join_waitlist"])
    assert (seen["registered_count"], seen["remaining_capacity"]) == (None, None)
    listed = {e["id"]: e for e in client.get(url(), headers=member_headers).json()["items"]}
    assert listed[full.id]["allowed_actions"] == ["join_waitlist"]
    assert register(client, full, member_headers, "drei@example.org")["status"] == "waitlisted"
    admin_view = client.get(url(full.id), headers=admin).json()
    assert (admin_view["is_full"], admin_view["allowed_actions"]) == (True, ["cancel"])


def test_a_free_place_reads_register_and_a_waiting_line_reads_full(client, session, alliance,
                                                                   member_headers, admin):
    event = factories.make_event(session, capacity=2, invited=[alliance])
    seen = client.get(url(event.id), headers=member_headers).json()
    assert (seen["is_full"], seen["allowed_actions"]) == (False, ["register"])
    factories.make_delegate(session, event, alliance)
    factories.make_delegate(session, event, alliance, status="waitlisted")
    # One place is free, but someone waits: a newcomer would wait too (nobody jumps the line).
    seen = client.get(url(event.id), headers=member_headers).json()
    assert (seen["is_full"], seen["allowed_actions"]) == (True, ["join_waitlist"])
    unlimited = factories.make_event(session, capacity=None, invited=[alliance])
    seen = client.get(url(unlimited.id), headers=member_headers).json()
    assert (seen["is_full"], seen["allowed_actions"]) == (False, ["register"])


def test_no_participation_action_when_closed_or_not_invited(client, session, alliance,
                                                           other_alliance, member_headers,
                                                           other_headers):
    closed = factories.make_event(session, invited=[alliance],
                                  registration_closes_at=utcnow() - timedelta(hours=1))
    seen = client.get(url(closed.id), headers=member_headers).json()
    assert (seen["registration_open"], seen["allowed_actions"]) == (False, [])
    public = factories.make_event(session, invited=[alliance], is_public=True, capacity=1)
    factories.make_delegate(session, public, alliance)
    # The other alliance sees the public event, is not invited: no action, but it is full.
    seen = client.get(url(public.id), headers=other_headers).json()
    assert (seen["invited"], seen["is_full"], seen["allowed_actions"]) == (False, True, [])
    assert client.get(url(closed.id), headers=other_headers).status_code == 404
    assert client.get(url(public.id)).status_code == 401


def test_the_spec_lists_every_allowed_action_as_an_enum(client):
    from app.cycles.rules import CYCLE_STEPS
    from app.events.rules import EVENT_STEPS
    from app.workgroups.rules import MEMBER_STEPS

    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    def values(schema):
        items = schemas[schema]["properties"]["allowed_actions"]["items"]
        return schemas[items["$ref"].rsplit("/", 1)[1]]["enum"] if "$ref" in items \
            else items["enum"]

    assert values("EventRead") == [*EVENT_STEPS.transitions, "register", "join_waitlist"]
    assert values("CycleRead") == list(CYCLE_STEPS.transitions)
    assert values("MembershipRead") == ["request", "accept_invitation", "leave"]
    assert set(values("MembershipRead")) <= set(MEMBER_STEPS.transitions)
