"""No login: the four Zukunftsthemen and the public calendar (no delegate or invitation data)."""

import base64
import json
from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.events.models import EventKind, EventStatus
from tests import factories
from tests.utils.problems import assert_problem

PUBLIC = "/api/v1/public/events"
# A well-formed cursor whose timestamp lies past year 9999 once converted to UTC.
OVERFLOWING_CURSOR = base64.urlsafe_b64encode(
    json.dumps(["9999-12-31T23:59:59-14:00", 1]).encode()).decode().rstrip("=")


def ids(response):
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_four_zukunftsthemen(client):
    r = client.get("/api/v1/public/future-topics")

    assert r.status_code == 200, r.text
    assert [(t["number"], t["title"]) for t in r.json()["items"]] == [
        (1, "Vereinbarkeit von Familie, Pflege und Beruf"), (2, "Kinderbetreuung"),
        (3, "Familien mit geringen Einkommen"), (4, "familienbewusste Unternehmenspolitik")]


@pytest.fixture
def calendar(session, alliance):
    now = utcnow()
    cycle = factories.make_cycle(session)

    def at(days, **overrides):
        start = now + timedelta(days=days)
        return factories.make_event(session, starts_at=start, ends_at=start + timedelta(hours=3),
                                    **overrides)

    return {
        "ceremony": at(40, kind=EventKind.ceremony, is_public=True, topics=(), venue="Berlin",
                       state="DE-BE", cycle_id=cycle.id, invited=[alliance]),
        "dialogue": at(10, kind=EventKind.dialogue, is_public=True, topics=(1, 3),
                       state="DE-NW"),
        "past": at(-10, kind=EventKind.dialogue, is_public=True),
        "internal": at(5),
        "draft": at(6, is_public=True, status=EventStatus.draft),
        "cancelled": at(7, is_public=True, status=EventStatus.cancelled),
        "cycle": cycle,
    }


def test_the_calendar_lists_published_public_events_the_next_first(client, session, calendar):
    factories.make_delegate(session, calendar["ceremony"], factories.make_alliance(session))

    r = client.get(PUBLIC)

    assert ids(r) == [calendar["dialogue"].id, calendar["ceremony"].id]
    ceremony = r.json()["items"][1]
    assert ceremony["cycle_key"] == calendar["cycle"].key and ceremony["venue"] == "Berlin"
    assert not {"capacity", "invitation_only", "registered_count", "invited", "online_url",
                "delegates", "version"} & ceremony.keys()


@pytest.mark.parametrize(("params", "keys"), [
    ({"topic": 3}, ["dialogue"]),
    ({"kind": "ceremony"}, ["ceremony"]),
    ({"state": "DE-BE"}, ["ceremony"]),
])
def test_calendar_filters(client, calendar, params, keys):
    assert ids(client.get(PUBLIC, params=params)) == [calendar[k].id for k in keys]


def test_calendar_window(client, calendar):
    now = utcnow()
    early = {"from": (now - timedelta(days=30)).isoformat(),
             "to": (now + timedelta(days=20)).isoformat()}
    assert ids(client.get(PUBLIC, params=early)) == [calendar["past"].id, calendar["dialogue"].id]


@pytest.mark.parametrize("params", [{"topic": 5}, {"kind": "party"}, {"state": "NW"},
                                    {"from": "2024-01-01T00:00:00"}, {"limit": 0},
                                    {"from": "9999-12-31T23:59:59-14:00"},
                                    {"to": "0001-01-01T00:00:00+14:00"},
                                    {"cursor": "kaputt"}, {"cursor": OVERFLOWING_CURSOR}])
def test_bad_calendar_filters_are_invalid_input(client, calendar, params):
    assert_problem(client.get(PUBLIC, params=params), 422)


def test_the_calendar_is_paginated(client, calendar):
    first = client.get(PUBLIC, params={"limit": 1})
    assert ids(first) == [calendar["dialogue"].id]
    second = client.get(PUBLIC, params={"limit": 1, "cursor": first.json()["next_cursor"]})
    assert ids(second) == [calendar["ceremony"].id] and second.json()["next_cursor"] is None
