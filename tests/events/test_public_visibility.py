"""A public event (in the public calendar) is visible to every signed-in alliance; an
alliance that is not invited to an invitation-only one gets a clear `not_invited` problem
when it registers, not a 404."""

from datetime import timedelta

from app.core.db import utcnow
from app.events.models import EventStatus
from tests import factories
from tests.events.helpers import delegate_body, delegate_url, url
from tests.utils.problems import assert_problem


def test_a_public_invitation_only_event_is_visible_but_registration_says_not_invited(
        client, session, member_headers, alliance):
    event = factories.make_event(session, is_public=True, invitation_only=True)

    r = client.get(url(event.id), headers=member_headers)
    assert r.status_code == 200, r.text
    assert (r.json()["invited"], r.json()["own_delegates"]) == (False, 0)
    listed = client.get(url(), headers=member_headers).json()["items"]
    assert event.id in [e["id"] for e in listed]

    body = assert_problem(client.post(delegate_url(event.id), headers=member_headers,
                                      json=delegate_body()), 409, "not_invited")
    assert "not invited" in body["detail"]
    assert client.get(delegate_url(event.id), headers=member_headers).json()["items"] == []


def test_a_public_event_open_to_all_takes_registrations(client, session, member_headers):
    event = factories.make_event(session, is_public=True, invitation_only=False)
    r = client.post(delegate_url(event.id), headers=member_headers, json=delegate_body())
    assert r.status_code == 201, r.text


def test_non_public_and_draft_events_stay_hidden(client, session, member_headers):
    hidden = factories.make_event(session, is_public=False, invitation_only=True)
    draft = factories.make_event(session, is_public=True, status=EventStatus.draft)
    for event in (hidden, draft):
        assert_problem(client.get(url(event.id), headers=member_headers), 404, "event_not_found")
        assert_problem(client.post(delegate_url(event.id), headers=member_headers,
                                   json=delegate_body()), 404, "event_not_found")
    listed = [e["id"] for e in client.get(url(), headers=member_headers).json()["items"]]
    assert hidden.id not in listed and draft.id not in listed


def test_registration_closed_comes_before_not_invited(client, session, member_headers):
    starts = utcnow() + timedelta(days=5)
    event = factories.make_event(session, is_public=True, starts_at=starts,
                                 ends_at=starts + timedelta(hours=2),
                                 registration_closes_at=utcnow() - timedelta(days=1))
    assert_problem(client.post(delegate_url(event.id), headers=member_headers,
                               json=delegate_body()), 409, "registration_closed")


def test_partner_systems_still_see_no_public_event(client, session, partner):
    event = factories.make_event(session, is_public=True, invitation_only=False)
    assert_problem(client.get(url(event.id), headers=partner), 403)
