"""ETags of events and delegates: a 304 only while the reply would be the same.

An event's reply carries counts computed from its delegates (``own_delegates``, ``invited`` for
an alliance; ``registered_count``, ``remaining_capacity`` for the Servicebüro) and a waitlisted
delegate's its ``waiting_position``; none of them moves the row's version. If-Match on a write
still compares the row's version only (core/etags.py)."""

import pytest

from tests import factories
from tests.events.helpers import delegate_body, delegate_url, url
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem


@pytest.fixture
def crowded(session, alliance, other_alliance):
    """One place, taken by another alliance's delegate; both alliances are invited."""
    event = factories.make_event(session, capacity=1, invited=[alliance, other_alliance])
    factories.make_delegate(session, event, other_alliance)
    return event


def _waitlist(client, event, headers, email):
    r = client.post(delegate_url(event.id), headers=headers, json=delegate_body(email=email))
    assert r.status_code == 201 and r.json()["status"] == "waitlisted", r.text
    return r.json()


def _revalidate(client, target, headers, etag):
    return client.get(target, headers={**headers, "If-None-Match": etag})


def test_a_promotion_changes_the_event_etag_of_the_alliance(client, crowded, member_headers,
                                                             admin):
    first = _waitlist(client, crowded, member_headers, "eins@example.org")
    before = client.get(url(crowded.id), headers=member_headers)
    assert before.json()["own_delegates"] == 0
    assert _revalidate(client, url(crowded.id), member_headers,
                       before.headers["etag"]).status_code == 304

    promoted = client.post(delegate_url(crowded.id, first["id"], "/promote"), headers=admin,
                           json={"exceed_capacity": True})
    assert promoted.status_code == 200, promoted.text

    after = _revalidate(client, url(crowded.id), member_headers, before.headers["etag"])
    assert after.status_code == 200
    assert after.json()["own_delegates"] == 1 and after.json()["version"] == \
        before.json()["version"]
    assert after.headers["etag"] != before.headers["etag"]
    assert _revalidate(client, url(crowded.id), member_headers,
                       after.headers["etag"]).status_code == 304


def test_a_registration_changes_the_servicebueros_counts_and_etag(client, session, alliance,
                                                                   member_headers, admin):
    event = factories.make_event(session, capacity=3, invited=[alliance])
    before = client.get(url(event.id), headers=admin)
    assert (before.json()["registered_count"], before.json()["remaining_capacity"]) == (0, 3)

    client.post(delegate_url(event.id), headers=member_headers,
                json=delegate_body(email="eins@example.org")).raise_for_status()

    after = _revalidate(client, url(event.id), admin, before.headers["etag"])
    assert after.status_code == 200
    assert (after.json()["registered_count"], after.json()["remaining_capacity"]) == (1, 2)


def test_the_waiting_position_moving_up_changes_the_delegates_etag(client, crowded,
                                                                    member_headers, admin):
    first = _waitlist(client, crowded, member_headers, "eins@example.org")
    second = _waitlist(client, crowded, member_headers, "zwei@example.org")
    target = delegate_url(crowded.id, second["id"])
    before = client.get(target, headers=member_headers)
    assert before.json()["waiting_position"] == 2

    client.post(delegate_url(crowded.id, first["id"], "/promote"), headers=admin,
                json={"exceed_capacity": True}).raise_for_status()

    after = _revalidate(client, target, member_headers, before.headers["etag"])
    assert after.status_code == 200 and after.json()["waiting_position"] == 1
    assert after.json()["updated_at"] == before.json()["updated_at"]


def test_each_caller_gets_the_etag_of_their_own_reply(client, crowded, member_headers, admin):
    """The alliance's reply (own_delegates, invited) and the Servicebüro's (registered_count,
    remaining_capacity) differ: one's ETag never answers 304 to the other."""
    alliance_tag = client.get(url(crowded.id), headers=member_headers).headers["etag"]
    admin_reply = client.get(url(crowded.id), headers=admin)

    assert admin_reply.headers["etag"] != alliance_tag
    assert row_tag(admin_reply.headers["etag"]) == row_tag(alliance_tag)
    assert _revalidate(client, url(crowded.id), admin, alliance_tag).status_code == 200


def test_an_event_read_then_patched_with_its_etag_succeeds_while_only_counts_moved(
        client, crowded, admin, member_headers):
    etag = client.get(url(crowded.id), headers=admin).headers["etag"]
    _waitlist(client, crowded, member_headers, "eins@example.org")  # counts move, the row not

    r = client.patch(url(crowded.id), headers={**admin, "If-Match": etag},
                     json={"venue": "Hamm, Kulturhaus"})

    assert r.status_code == 200, r.text
    stale = client.patch(url(crowded.id), headers={**admin, "If-Match": etag},
                         json={"venue": "Hamm"})
    assert_problem(stale, 412, "precondition_failed")
    assert stale.json()["current_etag"] == row_tag(r.headers["etag"])
    again = client.patch(url(crowded.id), headers={**admin,
                                                   "If-Match": stale.json()["current_etag"]},
                         json={"venue": "Hamm"})
    assert again.status_code == 200, again.text


def test_a_delegate_read_then_patched_with_its_etag_succeeds_after_moving_up(
        client, crowded, member_headers, admin):
    first = _waitlist(client, crowded, member_headers, "eins@example.org")
    second = _waitlist(client, crowded, member_headers, "zwei@example.org")
    target = delegate_url(crowded.id, second["id"])
    etag = client.get(target, headers=member_headers).headers["etag"]
    client.post(delegate_url(crowded.id, first["id"], "/promote"), headers=admin,
                json={"exceed_capacity": True}).raise_for_status()

    r = client.patch(target, headers={**member_headers, "If-Match": etag},
                     json={"dietary_needs": "vegan"})

    assert r.status_code == 200, r.text
    stale = client.patch(target, headers={**member_headers, "If-Match": etag},
                         json={"dietary_needs": "keine"})
    assert_problem(stale, 412, "precondition_failed")
