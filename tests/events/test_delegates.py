"""Delegates: registration and its rules (in their order), reading, changing, withdrawing, and
the Servicebüro's audited CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.events.models import EventDelegate, EventStatus
from app.privacy.erasure import anonymise_delegate
from tests import factories
from tests.events.helpers import delegate_body, delegate_url, reloaded
from tests.utils.mail import all_mail, mail_to
from tests.utils.problems import assert_problem


def delegates_of(session, event):
    session.expire_all()
    return list(session.exec(select(EventDelegate).where(EventDelegate.event_id == event.id)
                             .order_by(col(EventDelegate.id))).all())


def register(client, event, headers, **overrides):
    return client.post(delegate_url(event.id), headers=headers, json=delegate_body(**overrides))


# --- registration -------------------------------------------------------------------------------

def test_an_alliance_user_registers_a_delegate_for_their_alliance(client, session, event, alliance,
                                                                  member, member_headers):
    r = register(client, event, member_headers, name="Erika <b>Muster</b>")

    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/events/{event.id}/delegates/{body['id']}"
    assert r.headers["etag"].startswith(f'"delegate-{body["id"]}-v')
    assert body["alliance"] == {"id": alliance.id, "name": alliance.name}
    assert (body["email"], body["status"], body["registered_by"]) == (
        "erika.muster@example.org", "registered", f"user:{member.id}")
    [mail] = mail_to(session, "erika.muster@example.org")
    assert event.title in mail.subject and event.title in mail.body and "Hamm" in mail.body
    assert "Muster" not in mail.body and "vegetarisch" not in mail.body


def test_the_servicebuero_names_the_alliance(client, session, admin, event, alliance):
    r = register(client, event, admin, alliance_id=alliance.id)

    assert r.status_code == 201, r.text
    assert r.json()["alliance"]["id"] == alliance.id


def test_the_servicebuero_must_name_an_existing_alliance(client, session, admin, event):
    body = assert_problem(register(client, event, admin), 422, "invalid_event")
    assert body["errors"][0]["loc"] == ["body", "alliance_id"]
    body = assert_problem(register(client, event, admin, alliance_id=999999), 422,
                          "unknown_reference")
    assert body["errors"][0]["loc"] == ["body", "alliance_id"]
    assert delegates_of(session, event) == []


def test_alliance_users_cannot_name_another_alliance(client, session, event, other_alliance,
                                                     member_headers):
    body = assert_problem(register(client, event, member_headers, alliance_id=other_alliance.id),
                          422)
    assert body["errors"][0]["loc"] == ["body", "alliance_id"]
    assert delegates_of(session, event) == []


def test_a_cancelled_event_takes_no_delegates(client, session, admin, alliance, member_headers):
    event = factories.make_event(session, status=EventStatus.cancelled, invited=[alliance])
    assert_problem(register(client, event, member_headers), 409, "event_cancelled")
    assert_problem(register(client, event, admin, alliance_id=alliance.id), 409, "event_cancelled")


def test_a_draft_takes_no_delegates(client, session, admin, alliance, member_headers):
    event = factories.make_event(session, status=EventStatus.draft, invited=[alliance])
    assert_problem(register(client, event, admin, alliance_id=alliance.id), 409,
                   "event_not_published")
    assert_problem(register(client, event, member_headers), 404, "event_not_found")


def test_registration_closes_at_the_deadline(client, session, alliance, member_headers):
    event = factories.make_event(session, invited=[alliance],
                                 registration_closes_at=utcnow() - timedelta(minutes=1))
    assert_problem(register(client, event, member_headers), 409, "registration_closed")
    assert all_mail(session) == []


def test_a_closed_registration_is_reported_before_the_missing_invitation(client, session, admin,
                                                                        other_alliance):
    event = factories.make_event(session, registration_closes_at=utcnow() - timedelta(minutes=1))
    assert_problem(register(client, event, admin, alliance_id=other_alliance.id), 409,
                   "registration_closed")


def test_the_servicebuero_cannot_register_an_alliance_that_is_not_invited(
        client, session, admin, other_alliance, event):
    assert_problem(register(client, event, admin, alliance_id=other_alliance.id), 409,
                   "not_invited")
    assert delegates_of(session, event) == []


def test_to_an_alliance_that_is_not_invited_the_event_does_not_exist(client, session,
                                                                     other_headers, event):
    """Even with an invalid body: the 404 comes before the body is read."""
    assert_problem(register(client, event, other_headers), 404, "event_not_found")
    assert_problem(client.post(delegate_url(event.id), headers=other_headers, json={}), 404)
    assert delegates_of(session, event) == []


def test_any_alliance_registers_for_an_open_event(client, session, other_headers):
    event = factories.make_event(session, invitation_only=False)
    assert register(client, event, other_headers).status_code == 201


def test_a_full_event_takes_no_more_and_a_withdrawal_frees_a_place(client, session, event, alliance,
                                                                   member_headers):
    factories.make_delegate(session, event, alliance)
    factories.make_delegate(session, event, alliance)
    factories.make_delegate(session, event, alliance, status="withdrawn")
    last = factories.make_delegate(session, event, alliance)

    r = register(client, event, member_headers)
    assert (r.status_code, r.json()["status"], r.json()["waiting_position"]) == (
        201, "waitlisted", 1)

    client.post(delegate_url(event.id, last.id, "/withdraw"), headers=member_headers)
    assert reloaded(session, EventDelegate, r.json()["id"]).status == "registered"
    r = register(client, event, member_headers, email="noch.jemand@example.org")
    assert r.json()["status"] == "waitlisted"


def test_the_same_email_registers_once_per_event(client, session, event, member_headers):
    assert register(client, event, member_headers).status_code == 201

    body = assert_problem(register(client, event, member_headers, email="ERIKA.muster@example.org",
                                   name="Jemand Anderes"), 409, "already_registered")
    assert body["errors"][0]["loc"] == ["body", "email"]
    assert len(delegates_of(session, event)) == 1


def test_registering_and_withdrawing_in_a_loop_sends_one_confirmation_a_day(
        client, session, event, member_headers):
    for _ in range(3):
        r = register(client, event, member_headers)
        assert r.status_code == 201, r.text
        client.post(delegate_url(event.id, r.json()["id"], "/withdraw"), headers=member_headers)
    [first] = mail_to(session, "erika.muster@example.org")
    assert len(mail_to(session, "someone.else@example.org")) == 0
    assert register(client, event, member_headers, email="someone.else@example.org").status_code == 201
    assert len(mail_to(session, "someone.else@example.org")) == 1

    first.created_at = utcnow() - timedelta(days=1, minutes=1)
    session.add(first)
    session.commit()
    assert register(client, event, member_headers).status_code == 201
    assert len(mail_to(session, "erika.muster@example.org")) == 2


def test_another_alliance_learns_nothing_about_whom_an_alliance_registered(
        client, session, event, alliance, other_alliance, member_headers, other_headers):
    """The same address may be registered by two alliances: refusing the second would tell it
    that the first registered that person."""
    event = factories.make_event(session, invited=[alliance, other_alliance])
    assert register(client, event, member_headers).status_code == 201

    assert register(client, event, other_headers).status_code == 201


def test_a_withdrawn_person_may_register_again(client, session, event, alliance, member_headers):
    factories.make_delegate(session, event, alliance, email="erika.muster@example.org",
                            status="withdrawn")
    assert register(client, event, member_headers).status_code == 201


@pytest.mark.parametrize(("field", "value"), [
    ("name", "E"), ("name", "N" * 201), ("email", "keine-adresse"), ("phone", "abc"),
    ("function", "F" * 201), ("dietary_needs", "d" * 501), ("status", "withdrawn"),
    ("registered_by", "user:1"),
])
def test_bad_delegate_input_names_the_field(client, session, event, member_headers, field, value):
    body = assert_problem(register(client, event, member_headers, **{field: value}), 422,
                          "validation_error")
    assert any(field in e["loc"] for e in body["errors"]), body["errors"]
    assert delegates_of(session, event) == [] and all_mail(session) == []


def test_partner_systems_and_anonymous_callers_cannot_register(client, session, event, partner):
    assert_problem(register(client, event, partner), 403)
    assert_problem(register(client, event, {}), 401)


def test_registering_for_an_unknown_event_is_404(client, admin, alliance):
    r = client.post(delegate_url(987654), headers=admin, json=delegate_body(alliance_id=alliance.id))
    assert_problem(r, 404, "event_not_found")


# --- reading ------------------------------------------------------------------------------------

@pytest.fixture
def both(session, alliance, other_alliance):
    """An event both alliances are invited to, with one delegate each."""
    event = factories.make_event(session, invited=[alliance, other_alliance])
    return (event, factories.make_delegate(session, event, alliance),
            factories.make_delegate(session, event, other_alliance))


def test_admins_list_every_delegate(client, admin, both, other_alliance):
    event, mine, theirs = both
    r = client.get(delegate_url(event.id), headers=admin)
    assert [d["id"] for d in r.json()["items"]] == [mine.id, theirs.id]
    r = client.get(delegate_url(event.id), headers=admin, params={"alliance_id": other_alliance.id})
    assert [d["id"] for d in r.json()["items"]] == [theirs.id]


def test_alliance_users_list_only_their_alliances_delegates(client, member_headers, both):
    event, mine, _ = both
    r = client.get(delegate_url(event.id), headers=member_headers)
    assert r.status_code == 200, r.text
    assert [d["id"] for d in r.json()["items"]] == [mine.id]


def test_another_alliances_delegate_is_404(client, member_headers, both):
    event, mine, theirs = both
    assert client.get(delegate_url(event.id, mine.id), headers=member_headers).status_code == 200
    assert_problem(client.get(delegate_url(event.id, theirs.id), headers=member_headers), 404,
                   "delegate_not_found")


def test_a_delegate_of_another_event_is_404(client, admin, session, both):
    _, mine, _ = both
    elsewhere = factories.make_event(session)
    assert_problem(client.get(delegate_url(elsewhere.id, mine.id), headers=admin), 404,
                   "delegate_not_found")


def test_delegates_of_an_event_the_alliance_cannot_see_are_404(client, session, other_alliance,
                                                               member_headers):
    event = factories.make_event(session, invited=[other_alliance])
    assert_problem(client.get(delegate_url(event.id), headers=member_headers), 404,
                   "event_not_found")


def test_clients_read_no_delegates(client, partner, both):
    event, mine, _ = both
    assert_problem(client.get(delegate_url(event.id), headers=partner), 403)
    assert_problem(client.get(delegate_url(event.id, mine.id), headers=partner), 403)


# --- changing -----------------------------------------------------------------------------------

@pytest.fixture
def delegate(session, event, alliance):
    return factories.make_delegate(session, event, alliance)


def test_the_alliance_changes_its_delegate_with_if_match(client, session, event, delegate,
                                                         member_headers):
    etag = client.get(delegate_url(event.id, delegate.id), headers=member_headers).headers["etag"]

    r = client.patch(delegate_url(event.id, delegate.id), headers={**member_headers,
                                                                   "If-Match": etag},
                     json={"dietary_needs": "vegan", "function": None})

    assert r.status_code == 200, r.text
    assert (r.json()["dietary_needs"], r.json()["function"]) == ("vegan", None)
    assert r.headers["etag"] != etag
    stale = client.patch(delegate_url(event.id, delegate.id),
                         headers={**member_headers, "If-Match": etag}, json={"phone": "+49 1"})
    assert_problem(stale, 412, "precondition_failed")


def test_the_email_is_not_changed_by_patch(client, event, delegate, member_headers):
    assert_problem(client.patch(delegate_url(event.id, delegate.id), headers=member_headers,
                                json={"email": "neu@example.org"}), 422, "validation_error")


def test_the_name_cannot_be_emptied(client, event, delegate, admin):
    assert_problem(client.patch(delegate_url(event.id, delegate.id), headers=admin,
                                json={"name": None}), 422)


def test_no_changes_once_registration_has_closed(client, session, alliance, member_headers):
    event = factories.make_event(session, invited=[alliance],
                                 registration_closes_at=utcnow() - timedelta(hours=1))
    delegate = factories.make_delegate(session, event, alliance)
    assert_problem(client.patch(delegate_url(event.id, delegate.id), headers=member_headers,
                                json={"dietary_needs": "vegan"}), 409, "registration_closed")


def test_another_alliance_cannot_change_a_delegate(client, both, other_headers):
    event, mine, _ = both
    assert_problem(client.patch(delegate_url(event.id, mine.id), headers=other_headers,
                                json={"dietary_needs": "x"}), 404, "delegate_not_found")


def test_an_erased_delegate_cannot_change_but_is_withdrawn_to_free_the_place(
        client, session, alliance, member_headers, admin):
    event = factories.make_event(session, capacity=1, invited=[alliance])
    delegate = factories.make_delegate(session, event, alliance)
    anonymise_delegate(delegate)
    session.add(delegate)
    session.commit()
    assert_problem(client.patch(delegate_url(event.id, delegate.id), headers=admin,
                                json={"dietary_needs": "x"}), 409, "delegate_erased")
    waiting = register(client, event, member_headers).json()
    assert waiting["status"] == "waitlisted"

    r = client.post(delegate_url(event.id, delegate.id, "/withdraw"), headers=admin)

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn" and r.json()["email"] is None
    assert reloaded(session, EventDelegate, waiting["id"]).status == "registered"


# --- withdrawing --------------------------------------------------------------------------------

def test_withdrawing_frees_the_place_and_twice_is_a_conflict(client, session, admin, event,
                                                             delegate, member_headers):
    r = client.post(delegate_url(event.id, delegate.id, "/withdraw"), headers=member_headers)

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert reloaded(session, EventDelegate, delegate.id).status == "withdrawn"
    assert client.get(f"/api/v1/events/{event.id}", headers=admin).json()["registered_count"] == 0
    assert_problem(client.post(delegate_url(event.id, delegate.id, "/withdraw"),
                               headers=member_headers), 409, "delegate_not_registered")
    assert_problem(client.patch(delegate_url(event.id, delegate.id), headers=member_headers,
                                json={"dietary_needs": "x"}), 409, "delegate_not_registered")


def test_once_the_event_has_begun_nobody_withdraws(client, session, alliance, member_headers,
                                                   admin):
    started = utcnow() - timedelta(hours=1)
    event = factories.make_event(session, starts_at=started, ends_at=started + timedelta(hours=6),
                                 invited=[alliance])
    delegate = factories.make_delegate(session, event, alliance)

    for headers in (member_headers, admin):
        assert_problem(client.post(delegate_url(event.id, delegate.id, "/withdraw"),
                                   headers=headers), 409, "event_started")
    assert reloaded(session, EventDelegate, delegate.id).status == "registered"


def test_another_alliance_cannot_withdraw_a_delegate(client, both, other_headers):
    event, mine, _ = both
    assert_problem(client.post(delegate_url(event.id, mine.id, "/withdraw"), headers=other_headers),
                   404, "delegate_not_found")


# --- export -------------------------------------------------------------------------------------

def test_the_servicebuero_exports_the_registered_delegates_and_it_is_audited(
        client, session, admin, admin_account, event, alliance):
    factories.make_delegate(session, event, alliance, name="Erika Muster", email="e@example.org",
                            dietary_needs="vegan", function="=HYPERLINK()")
    factories.make_delegate(session, event, alliance, status="withdrawn")

    r = client.get(delegate_url(event.id, suffix="") + "/export.csv", headers=admin,
                   params={"sep": ";"})

    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f"veranstaltung-{event.id}-delegierte.csv" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["name", "function", "email", "phone", "dietary_needs", "alliance",
                       "status", "waiting_position", "attendance"]
    assert rows[1:] == [["Erika Muster", "'=HYPERLINK()", "e@example.org", rows[1][3], "vegan",
                         alliance.name, "registered", "", ""]]
    audit = session.exec(select(AuditEvent).where(
        AuditEvent.action == "event.delegates_export")).one()
    assert (audit.resource_type, audit.resource_id, audit.actor) == (
        "event", str(event.id), f"user:{admin_account.id}")


def test_only_the_servicebuero_exports(client, event, member_headers, partner):
    assert_problem(client.get(delegate_url(event.id) + "/export.csv", headers=member_headers), 403)
    assert_problem(client.get(delegate_url(event.id) + "/export.csv", headers=partner), 403)


def test_exporting_an_unknown_event_is_404(client, admin):
    assert_problem(client.get(delegate_url(987654) + "/export.csv", headers=admin), 404)
