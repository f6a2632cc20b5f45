"""Incremental sync: ``updated_since`` on the lists partner systems pull (alliances, survey
responses, awards, event delegates) returns only rows changed after the instant; alliances and
responses also sort by ``updated_at``."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.core.db import utcnow
from tests import factories
from tests.utils.problems import assert_problem, error_locs

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
SINCE = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _touch(session: Session, row: Any, when: datetime) -> Any:
    row.updated_at = when
    session.add(row)
    session.commit()
    return row


def _alliances(session: Session, cycle: Any) -> tuple[str, Any, Any]:
    old = _touch(session, factories.make_alliance(session), LONG_AGO)
    new = _touch(session, factories.make_alliance(session), utcnow())
    return "/api/v1/alliances", old, new


def _responses(session: Session, cycle: Any) -> tuple[str, Any, Any]:
    old = _touch(session, factories.make_response(session, cycle, factories.make_alliance(session)),
                 LONG_AGO)
    new = _touch(session, factories.make_response(session, cycle, factories.make_alliance(session)),
                 utcnow())
    return f"/api/v1/cycles/{cycle.slug}/responses", old, new


def _awards(session: Session, cycle: Any) -> tuple[str, Any, Any]:
    old = _touch(session, factories.make_award(session, cycle, factories.make_alliance(session)),
                 LONG_AGO)
    new = _touch(session, factories.make_award(session, cycle, factories.make_alliance(session)),
                 utcnow())
    return f"/api/v1/cycles/{cycle.slug}/awards", old, new


def _delegates(session: Session, cycle: Any) -> tuple[str, Any, Any]:
    event = factories.make_event(session)
    old = _touch(session, factories.make_delegate(session, event, factories.make_alliance(session)),
                 LONG_AGO)
    new = _touch(session, factories.make_delegate(session, event, factories.make_alliance(session)),
                 utcnow())
    return f"/api/v1/events/{event.id}/delegates", old, new


LISTS: dict[str, Callable[[Session, Any], tuple[str, Any, Any]]] = {
    "alliances": _alliances, "responses": _responses, "awards": _awards, "delegates": _delegates,
}


@pytest.fixture
def cycle(session: Session) -> Any:
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    return cycle


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("name", sorted(LISTS))
def test_only_rows_changed_after_the_instant_come_back(client, session, admin, cycle, name):
    url, old, new = LISTS[name](session, cycle)
    everything = client.get(url, headers=admin)
    assert everything.status_code == 200, everything.text
    assert {old.id, new.id} <= {item["id"] for item in everything.json()["items"]}

    r = client.get(url, headers=admin, params={"updated_since": SINCE.isoformat()})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    ids = {item["id"] for item in items}
    assert new.id in ids and old.id not in ids
    assert all(_at(item["updated_at"]) > SINCE for item in items)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_updated_since_is_strictly_after(client, session, admin, cycle, name):
    url, _, new = LISTS[name](session, cycle)
    stamp = _at(client.get(url, headers=admin).json()["items"][-1]["updated_at"])
    _touch(session, new, stamp)
    at = client.get(url, headers=admin, params={"updated_since": stamp.isoformat()})
    assert new.id not in {item["id"] for item in at.json()["items"]}
    before = client.get(url, headers=admin,
                        params={"updated_since": (stamp - timedelta(microseconds=1)).isoformat()})
    assert new.id in {item["id"] for item in before.json()["items"]}


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize("value", ["2024-06-01T12:00:00", "2024-06-01", "yesterday", "0"])
def test_a_naive_or_malformed_instant_is_refused(client, session, admin, cycle, name, value):
    url, _, _ = LISTS[name](session, cycle)
    body = assert_problem(client.get(url, headers=admin, params={"updated_since": value}), 422)
    assert error_locs(body) == [["query", "updated_since"]]


def test_an_alliance_user_sees_only_their_own_changes(client, session, alliance, alliance_user, cycle):
    mine = _touch(session, factories.make_response(session, cycle, alliance), utcnow())
    _touch(session, factories.make_response(session, cycle, factories.make_alliance(session)), utcnow())
    r = client.get(f"/api/v1/cycles/{cycle.slug}/responses", headers=alliance_user(alliance),
                   params={"updated_since": SINCE.isoformat()})
    assert r.status_code == 200, r.text
    assert [item["id"] for item in r.json()["items"]] == [mine.id]


@pytest.mark.parametrize("url", ["/api/v1/alliances", "/api/v1/cycles/{slug}/responses"])
def test_sort_by_updated_at_pages_in_order_of_change(client, session, admin, cycle, url):
    alliances = [factories.make_alliance(session) for _ in range(3)]
    rows: list[Any] = alliances
    if "responses" in url:
        rows = [factories.make_response(session, cycle, a) for a in alliances]
    for hours, row in zip((3, 1, 2), rows, strict=True):
        _touch(session, row, SINCE + timedelta(hours=hours))
    wanted = [rows[1].id, rows[2].id, rows[0].id]
    seen: list[int] = []
    params: dict[str, Any] = {"sort": "updated_at", "limit": 1, "updated_since": SINCE.isoformat()}
    for _ in range(10):
        r = client.get(url.format(slug=cycle.slug), headers=admin, params=params)
        assert r.status_code == 200, r.text
        seen += [item["id"] for item in r.json()["items"] if item["id"] in wanted]
        if r.json()["next_cursor"] is None:
            break
        params["cursor"] = r.json()["next_cursor"]
    assert seen == wanted
    newest_first = client.get(url.format(slug=cycle.slug), headers=admin,
                              params={"sort": "-updated_at", "updated_since": SINCE.isoformat()})
    ids = [item["id"] for item in newest_first.json()["items"] if item["id"] in wanted]
    assert ids == wanted[::-1]


def test_the_spec_declares_updated_since_on_the_synced_lists():
    from app.main import create_app

    spec = create_app().openapi()
    for path in ("/api/v1/alliances", "/api/v1/cycles/{cycle}/responses",
                 "/api/v1/cycles/{cycle}/awards", "/api/v1/events/{event_id}/delegates"):
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert params["updated_since"]["schema"]["anyOf"][0]["format"] == "date-time", path

