"""The Servicebüro's events: create (a draft), change with If-Match, delete a draft, publish,
cancel (delegates told by e-mail); who sees which event."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.core.db import utcnow
from app.events.models import Event, EventStatus, EventTopic
from tests import factories
from tests.events.helpers import new_event, reloaded, url
from tests.utils.etags import row_tag
from tests.utils.mail import all_mail, mail_to
from tests.utils.problems import assert_problem


def ids(response):
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- create -------------------------------------------------------------------------------------

def test_the_servicebuero_creates_a_draft(client, admin, session):
    cycle = factories.make_cycle(session)

    r = client.post(url(), headers=admin, json=new_event(cycle=cycle.slug))

    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/events/{body['id']}"
    assert row_tag(r.headers["etag"]) == f'"event-{body["id"]}-v1"'
    assert (body["status"], body["version"], body["registration_open"]) == ("draft", 1, False)
    assert body["cycle"] == {"id": cycle.id, "key": cycle.key, "slug": cycle.slug}
    assert [t["number"] for t in body["topics"]] == [2, 4]
    assert body["allowed_actions"] == ["publish", "cancel"]
    assert (body["registered_count"], body["remaining_capacity"]) == (0, 40)
    assert body["invited"] is None and body["own_delegates"] is None


def test_a_workshop_without_topics_is_refused_and_nothing_is_written(client, admin, session):
    r = client.post(url(), headers=admin, json=new_event(topics=[]))

    body = assert_problem(r, 422, "invalid_event")
    assert [e["loc"] for e in body["errors"]] == [["body", "topics"]]
    assert not session.exec(select(Event)).all()


def test_an_event_ending_before_it_starts_is_refused(client, admin):
    start = utcnow() + timedelta(days=5)
    r = client.post(url(), headers=admin, json=new_event(
        starts_at=start.isoformat(), ends_at=(start - timedelta(hours=1)).isoformat(),
        registration_closes_at=(start + timedelta(days=1)).isoformat()))

    body = assert_problem(r, 422, "invalid_event")
    assert [e["loc"][-1] for e in body["errors"]] == ["ends_at", "registration_closes_at"]


def test_an_unknown_cycle_is_invalid_input(client, admin):
    body = assert_problem(client.post(url(), headers=admin, json=new_event(cycle="1999-00")),
                          422, "unknown_reference")
    assert body["errors"][0]["loc"] == ["body", "cycle"]


@pytest.mark.parametrize(("field", "value"), [
    ("status", "published"), ("kind", "party"), ("title", "x"), ("title", "T" * 301),
    ("topics", [5]), ("topics", [2, 2]), ("capacity", 0), ("state", "NW"),
    ("starts_at", "2030-01-01T10:00:00"), ("summary", "s" * 5001),
])
def test_bad_input_names_the_field(client, admin, session, field, value):
    r = client.post(url(), headers=admin, json=new_event(**{field: value}))

    body = assert_problem(r, 422, "validation_error")
    assert any(field in e["loc"] for e in body["errors"]), body["errors"]
    assert not session.exec(select(Event)).all()


@pytest.mark.parametrize("who", ["anonymous", "member", "partner"])
def test_only_the_servicebuero_creates_events(client, who, member_headers, partner):
    headers = {"anonymous": {}, "member": member_headers, "partner": partner}[who]
    status = 401 if who == "anonymous" else 403
    assert_problem(client.post(url(), headers=headers, json=new_event()), status)


# --- update -------------------------------------------------------------------------------------

def test_patch_changes_only_what_is_sent_and_bumps_the_version(client, admin, event):
    r = client.patch(url(event.id), headers={**admin, "If-Match": f'"event-{event.id}-v1"'},
                     json={"capacity": 60, "topics": [1, 3], "summary": "Mit Mittagessen"})

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["capacity"], body["summary"], body["version"]) == (60, "Mit Mittagessen", 2)
    assert [t["number"] for t in body["topics"]] == [1, 3]
    assert body["title"] == event.title
    assert row_tag(r.headers["etag"]) == f'"event-{event.id}-v2"'


def test_patch_with_a_stale_etag_is_refused(client, admin, session, event):
    r = client.patch(url(event.id), headers={**admin, "If-Match": f'"event-{event.id}-v7"'},
                     json={"capacity": 60})

    assert_problem(r, 412, "precondition_failed")
    assert reloaded(session, Event, event.id).capacity == 3


def test_capacity_cannot_go_below_the_registered_delegates(client, admin, session, event, alliance):
    factories.make_delegate(session, event, alliance)
    factories.make_delegate(session, event, alliance)
    factories.make_delegate(session, event, alliance, status="withdrawn")

    assert_problem(client.patch(url(event.id), headers=admin, json={"capacity": 1}),
                   409, "capacity_below_registered")
    r = client.patch(url(event.id), headers=admin, json={"capacity": 2})
    assert r.status_code == 200, r.text


def test_patch_checks_the_schedule_against_the_stored_values(client, admin, event):
    r = client.patch(url(event.id), headers=admin,
                     json={"ends_at": (event.starts_at - timedelta(hours=1)).isoformat()})

    body = assert_problem(r, 422, "invalid_event")
    assert body["errors"][0]["loc"] == ["body", "ends_at"]


def test_patch_cannot_empty_a_required_field(client, admin, event):
    body = assert_problem(client.patch(url(event.id), headers=admin, json={"title": None}),
                          422, "invalid_event")
    assert body["errors"][0]["loc"] == ["body", "title"]


def test_a_cancelled_event_cannot_change(client, admin, session):
    event = factories.make_event(session, status=EventStatus.cancelled)
    assert_problem(client.patch(url(event.id), headers=admin, json={"capacity": 9}),
                   409, "event_cancelled")


def test_alliance_users_cannot_patch(client, member_headers, event):
    assert_problem(client.patch(url(event.id), headers=member_headers, json={"capacity": 9}), 403)


# --- delete -------------------------------------------------------------------------------------

def test_a_draft_without_delegates_is_deleted(client, admin, session, alliance):
    event_id = factories.make_event(session, status=EventStatus.draft, invited=[alliance]).id

    r = client.delete(url(event_id), headers=admin)

    assert r.status_code == 204, r.text
    session.expire_all()
    assert session.get(Event, event_id) is None
    assert not session.exec(select(EventTopic).where(EventTopic.event_id == event_id)).all()


def test_an_event_with_delegates_is_not_deleted(client, admin, session, alliance):
    event = factories.make_event(session, status=EventStatus.draft, invited=[alliance])
    factories.make_delegate(session, event, alliance)

    assert_problem(client.delete(url(event.id), headers=admin), 409, "event_has_delegates")


def test_a_published_event_is_cancelled_not_deleted(client, admin, event):
    body = assert_problem(client.delete(url(event.id), headers=admin), 409, "invalid_transition")
    assert body["allowed"] == ["cancel"]


def test_deleting_an_unknown_event_is_404(client, admin):
    assert_problem(client.delete(url(987654), headers=admin), 404, "event_not_found")


# --- publish and cancel -------------------------------------------------------------------------

def test_publishing_a_draft_opens_registration(client, admin, session):
    event = factories.make_event(session, status=EventStatus.draft)

    r = client.post(url(event.id, "/publish"), headers=admin)

    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["registration_open"], r.json()["version"]) == (
        "published", True, 2)


def test_publishing_twice_is_a_conflict(client, admin, event):
    body = assert_problem(client.post(url(event.id, "/publish"), headers=admin), 409,
                          "invalid_transition")
    assert body["allowed"] == ["cancel"]


def test_cancelling_tells_every_registered_delegate(client, admin, session, event, alliance):
    factories.make_delegate(session, event, alliance, email="a@example.org")
    factories.make_delegate(session, event, alliance, email="b@example.org",
                            name="Geheimer Name <script>")
    factories.make_delegate(session, event, alliance, email="c@example.org", status="withdrawn")

    r = client.post(url(event.id, "/cancel"), headers=admin)

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["allowed_actions"] == []
    [mail] = mail_to(session, "a@example.org")
    assert event.title in mail.subject and "findet leider nicht statt" in mail.body
    assert "Geheimer Name" not in mail_to(session, "b@example.org")[0].body
    assert mail_to(session, "c@example.org") == []


def test_an_event_that_has_ended_is_not_cancelled_and_nobody_is_told(client, admin, session,
                                                                     alliance):
    ended = utcnow() - timedelta(days=2)
    event = factories.make_event(session, starts_at=ended - timedelta(hours=6), ends_at=ended)
    factories.make_delegate(session, event, alliance)

    assert_problem(client.post(url(event.id, "/cancel"), headers=admin), 409, "event_over")
    assert reloaded(session, Event, event.id).status == "published"
    assert all_mail(session) == []


def test_an_event_becomes_invitation_only_only_when_every_alliance_with_delegates_is_invited(
        client, admin, session, alliance, other_alliance):
    event = factories.make_event(session, invitation_only=False, invited=[alliance])
    factories.make_delegate(session, event, alliance)
    factories.make_delegate(session, event, other_alliance)

    body = assert_problem(client.patch(url(event.id), headers=admin,
                                       json={"invitation_only": True}), 409, "uninvited_delegates")
    assert body["errors"][0]["loc"] == ["body", "invitation_only"]
    assert str(other_alliance.id) in body["errors"][0]["msg"]
    assert reloaded(session, Event, event.id).invitation_only is False

    client.post(url(event.id, "/invitations"), headers=admin,
                json={"alliance_ids": [other_alliance.id]})
    r = client.patch(url(event.id), headers=admin, json={"invitation_only": True})
    assert r.status_code == 200, r.text
    assert r.json()["invitation_only"] is True


@pytest.mark.parametrize(("field", "value"), [
    ("starts_at", "0001-01-01T00:30:00+01:00"),  # before year 1 in UTC
    ("ends_at", "9999-12-31T23:59:59-14:00"),  # after year 9999 in UTC
    ("starts_at", "9999-12-31T23:30:00Z"),  # a representable, implausible year
])
def test_timestamps_out_of_any_plausible_range_are_invalid(client, admin, session, field, value):
    body = assert_problem(client.post(url(), headers=admin, json=new_event(**{field: value})), 422)
    assert [e["loc"] for e in body["errors"]] == [["body", field]]
    assert session.exec(select(Event)).all() == []


def test_cancelling_twice_is_a_conflict_and_sends_nothing(client, admin, session, alliance):
    event = factories.make_event(session, status=EventStatus.cancelled)
    factories.make_delegate(session, event, alliance)

    assert_problem(client.post(url(event.id, "/cancel"), headers=admin), 409, "invalid_transition")
    assert all_mail(session) == []


@pytest.mark.parametrize("action", ["publish", "cancel"])
def test_alliance_users_and_clients_cannot_step_events(client, member_headers, partner, event,
                                                       action):
    assert_problem(client.post(url(event.id, f"/{action}"), headers=member_headers), 403)
    assert_problem(client.post(url(event.id, f"/{action}"), headers=partner), 403)


# --- who sees which event -----------------------------------------------------------------------

@pytest.fixture
def calendar(session, alliance, other_alliance):
    soon = utcnow() + timedelta(days=10)
    return {
        "invited": factories.make_event(session, invited=[alliance], starts_at=soon,
                                        ends_at=soon + timedelta(hours=2)),
        "other": factories.make_event(session, invited=[other_alliance]),
        "open": factories.make_event(session, invitation_only=False, kind="exchange",
                                     topics=(1,), venue="online"),
        "draft": factories.make_event(session, status=EventStatus.draft, invited=[alliance]),
        "cancelled": factories.make_event(session, status=EventStatus.cancelled,
                                          invited=[alliance]),
    }


def test_admins_list_every_event_the_next_first(client, admin, calendar):
    assert ids(client.get(url(), headers=admin)) == [
        calendar[k].id for k in ("invited", "other", "open", "draft", "cancelled")]


def test_alliance_users_list_published_events_they_are_invited_to_or_that_are_open(
        client, member_headers, calendar):
    r = client.get(url(), headers=member_headers)

    assert ids(r) == [calendar[k].id for k in ("invited", "open", "cancelled")]
    first = r.json()["items"][0]
    assert (first["invited"], first["own_delegates"]) == (True, 0)
    assert first["registered_count"] is None and first["remaining_capacity"] is None


@pytest.mark.parametrize(("query", "keys"), [
    ({"status": "draft"}, ["draft"]),
    ({"kind": "exchange"}, ["open"]),
    ({"topic": 1}, ["open"]),
])
def test_filters(client, admin, calendar, query, keys):
    assert ids(client.get(url(), headers=admin, params=query)) == [calendar[k].id for k in keys]


def test_cycle_filter_and_unknown_cycle(client, admin, session, calendar):
    cycle = factories.make_cycle(session)
    mine = factories.make_event(session, cycle_id=cycle.id)

    assert ids(client.get(url(), headers=admin, params={"cycle": cycle.slug})) == [mine.id]
    body = assert_problem(client.get(url(), headers=admin, params={"cycle": "nope"}), 422)
    assert body["errors"][0]["loc"] == ["query", "cycle"]


def test_the_list_is_paginated(client, admin, calendar):
    first = client.get(url(), headers=admin, params={"limit": 2, "include_total": True})
    assert len(ids(first)) == 2 and first.json()["total"] == 5
    assert 'rel="next"' in first.headers["link"]
    rest = client.get(url(), headers=admin, params={"limit": 10,
                                                    "cursor": first.json()["next_cursor"]})
    assert len(ids(rest)) == 3


@pytest.mark.parametrize("key", ["other", "draft"])
def test_an_event_the_alliance_may_not_see_is_404(client, member_headers, calendar, key):
    assert_problem(client.get(url(calendar[key].id), headers=member_headers), 404,
                   "event_not_found")


def test_an_invited_alliance_gets_the_event_with_its_etag(client, member_headers, calendar):
    r = client.get(url(calendar["invited"].id), headers=member_headers)
    assert r.status_code == 200, r.text
    assert row_tag(r.headers["etag"]) == f'"event-{calendar["invited"].id}-v1"'


def test_clients_and_anonymous_callers_get_no_events(client, partner, calendar):
    assert_problem(client.get(url(), headers=partner), 403)
    assert_problem(client.get(url(calendar["open"].id), headers=partner), 403)
    assert_problem(client.get(url()), 401)
