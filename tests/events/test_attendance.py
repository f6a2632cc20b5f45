"""Attendance (Servicebüro): from the event's start on, registered delegates only, one at a
time or in an all-or-nothing bulk call; the counts and the CSV export show it."""

import csv
import io
from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.events.models import EventDelegate, EventStatus
from tests import factories
from tests.events.helpers import delegate_url, reloaded, url
from tests.utils.problems import assert_problem


@pytest.fixture
def running(session, alliance):
    """An event that began an hour ago."""
    return factories.make_event(session, capacity=3, invited=[alliance],
                                starts_at=utcnow() - timedelta(hours=1),
                                ends_at=utcnow() + timedelta(hours=5))


def mark(client, headers, event, delegate, value):
    return client.put(delegate_url(event.id, delegate.id, "/attendance"), headers=headers,
                      json={"attendance": value})


def test_attendance_is_recorded_per_delegate_and_counted(client, session, admin, admin_account,
                                                         running, alliance):
    came = factories.make_delegate(session, running, alliance)
    away = factories.make_delegate(session, running, alliance)
    factories.make_delegate(session, running, alliance)
    factories.make_delegate(session, running, alliance, status="waitlisted")

    r = mark(client, admin, running, came, "attended")
    assert r.status_code == 200, r.text
    assert r.json()["attendance"] == "attended" and r.json()["attendance_recorded_at"]
    assert mark(client, admin, running, away, "no_show").json()["attendance"] == "no_show"
    row = reloaded(session, EventDelegate, came.id)
    assert row.attendance_recorded_by == f"user:{admin_account.id}"

    counts = client.get(url(running.id, "/counts"), headers=admin).json()
    assert counts == {"event_id": running.id, "capacity": 3, "registered": 3, "waitlisted": 1,
                      "withdrawn": 0, "attended": 1, "no_show": 1, "not_recorded": 1,
                      "attendance_open": True}

    cleared = mark(client, admin, running, away, None).json()
    assert (cleared["attendance"], cleared["attendance_recorded_at"]) == (None, None)


def test_attendance_waits_for_the_start_and_not_for_cancelled_events(client, session, admin,
                                                                     alliance, event):
    delegate = factories.make_delegate(session, event, alliance)
    assert_problem(mark(client, admin, event, delegate, "attended"), 409, "event_not_started")
    assert_problem(client.post(url(event.id, "/attendance"), headers=admin, json={
        "items": [{"delegate_id": delegate.id, "attendance": "attended"}]}), 409,
        "event_not_started")
    assert client.get(url(event.id, "/counts"), headers=admin).json()["attendance_open"] is False

    cancelled = factories.make_event(session, status=EventStatus.cancelled, invited=[alliance],
                                     starts_at=utcnow() - timedelta(hours=1),
                                     ends_at=utcnow() + timedelta(hours=1))
    gone = factories.make_delegate(session, cancelled, alliance)
    assert_problem(mark(client, admin, cancelled, gone, "attended"), 409, "event_cancelled")


def test_only_registered_delegates_attend(client, session, admin, running, alliance):
    waiting = factories.make_delegate(session, running, alliance, status="waitlisted")
    withdrawn = factories.make_delegate(session, running, alliance, status="withdrawn")
    for delegate in (waiting, withdrawn):
        assert_problem(mark(client, admin, running, delegate, "attended"), 409,
                       "delegate_not_registered")


@pytest.mark.parametrize("body", [{"attendance": "maybe"}, {}, {"attendance": "attended", "x": 1},
                                  {"attendance": 1}])
def test_bad_attendance_values_are_refused(client, session, admin, running, alliance, body):
    delegate = factories.make_delegate(session, running, alliance)
    r = client.put(delegate_url(running.id, delegate.id, "/attendance"), headers=admin, json=body)
    assert_problem(r, 422)


def test_bulk_attendance_is_all_or_nothing_with_the_index_of_each_problem(
        client, session, admin, running, alliance, other_alliance):
    a = factories.make_delegate(session, running, alliance)
    b = factories.make_delegate(session, running, alliance)
    waiting = factories.make_delegate(session, running, alliance, status="waitlisted")
    elsewhere = factories.make_delegate(session, factories.make_event(session), other_alliance)

    body = assert_problem(client.post(url(running.id, "/attendance"), headers=admin, json={
        "items": [{"delegate_id": a.id, "attendance": "attended"},
                  {"delegate_id": 987654, "attendance": "attended"},
                  {"delegate_id": waiting.id, "attendance": "no_show"},
                  {"delegate_id": elsewhere.id, "attendance": "attended"},
                  {"delegate_id": a.id, "attendance": "no_show"}]}), 422, "invalid_attendance")

    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["body", "items", 1, "delegate_id"], "not_found"),
        (["body", "items", 2, "delegate_id"], "not_registered"),
        (["body", "items", 3, "delegate_id"], "not_found"),
        (["body", "items", 4, "delegate_id"], "duplicate")]
    assert reloaded(session, EventDelegate, a.id).attendance is None

    r = client.post(url(running.id, "/attendance"), headers=admin, json={
        "items": [{"delegate_id": a.id, "attendance": "attended"},
                  {"delegate_id": b.id, "attendance": "no_show"}]})
    assert r.status_code == 200, r.text
    assert r.json()["updated"] == 2
    assert (r.json()["counts"]["attended"], r.json()["counts"]["no_show"]) == (1, 1)


@pytest.mark.parametrize("body", [{"items": []}, {"items": [{"delegate_id": 1}]},
                                  {"items": [{"delegate_id": 1, "attendance": "x"}]},
                                  {"items": [{"delegate_id": 0, "attendance": "attended"}]}])
def test_bulk_input_is_strict(client, admin, running, body):
    assert_problem(client.post(url(running.id, "/attendance"), headers=admin, json=body), 422)


def test_bulk_is_capped(client, admin, running):
    items = [{"delegate_id": n + 1, "attendance": "attended"} for n in range(1001)]
    body = assert_problem(client.post(url(running.id, "/attendance"), headers=admin,
                                      json={"items": items}), 422)
    assert body["errors"][0]["loc"][:2] == ["body", "items"]


def test_only_the_servicebuero_records_attendance(client, session, running, alliance,
                                                  member_headers, other_headers, partner):
    delegate = factories.make_delegate(session, running, alliance)
    calls = [
        lambda h: client.put(delegate_url(running.id, delegate.id, "/attendance"), headers=h,
                             json={"attendance": "attended"}),
        lambda h: client.post(url(running.id, "/attendance"), headers=h, json={
            "items": [{"delegate_id": delegate.id, "attendance": "attended"}]}),
        lambda h: client.get(url(running.id, "/counts"), headers=h),
    ]
    for call in calls:
        assert_problem(call({}), 401)
        for headers in (member_headers, other_headers, partner):
            assert_problem(call(headers), 403)
    assert reloaded(session, EventDelegate, delegate.id).attendance is None


def test_unknown_event_or_delegate_is_404(client, session, admin, running, alliance):
    delegate = factories.make_delegate(session, running, alliance)
    assert_problem(client.put(delegate_url(987654, delegate.id, "/attendance"), headers=admin,
                              json={"attendance": "attended"}), 404, "event_not_found")
    assert_problem(client.put(delegate_url(running.id, 987654, "/attendance"), headers=admin,
                              json={"attendance": "attended"}), 404, "delegate_not_found")
    assert_problem(client.get(url(987654, "/counts"), headers=admin), 404, "event_not_found")


def test_the_export_shows_status_waiting_position_and_attendance(client, session, admin, running,
                                                                 alliance):
    came = factories.make_delegate(session, running, alliance, name="Anna Da")
    factories.make_delegate(session, running, alliance, name="Bernd Weg", status="withdrawn")
    factories.make_delegate(session, running, alliance, name="Clara Wartet", status="waitlisted")
    factories.make_delegate(session, running, alliance, name="Dora Wartet", status="waitlisted")
    mark(client, admin, running, came, "attended")

    r = client.get(delegate_url(running.id) + "/export.csv", headers=admin)

    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][-3:] == ["status", "waiting_position", "attendance"]
    assert [(row[0], *row[-3:]) for row in rows[1:]] == [
        ("Anna Da", "registered", "", "attended"),
        ("Clara Wartet", "waitlisted", "1", ""),
        ("Dora Wartet", "waitlisted", "2", "")]
