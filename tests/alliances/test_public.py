"""The public Bündnisfinder: no login, only listed and not dissolved alliances, no personal data."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.alliances.models import Alliance
from tests.alliances.helpers import PUBLIC, walk
from tests.utils.problems import assert_problem, error_locs

PUBLIC_FIELDS = {"id", "name", "slug", "municipality", "district", "state", "region", "level",
                 "founded_on", "website", "description", "partner_count"}


def test_finder_needs_no_login_and_shows_only_listed_living_alliances(
    client: TestClient, varied: dict[str, Alliance]
) -> None:
    r = client.get(PUBLIC)
    assert r.status_code == 200, r.text
    ids = {item["id"] for item in r.json()["items"]}
    # berlin is dissolved, hidden is not listed; the dormant magdeburg is still in the finder.
    assert ids == {varied[k].id for k in ("fuerth", "hamm", "landkreis", "magdeburg", "dorf")}


def test_finder_carries_no_personal_data(client: TestClient, varied: dict[str, Alliance]) -> None:
    r = client.get(PUBLIC, params={"limit": 100})
    for item in r.json()["items"]:
        assert item.keys() == PUBLIC_FIELDS
        assert "contacts" not in item
    for alliance in varied.values():
        for contact in alliance.contacts:
            assert contact.email not in r.text and contact.name not in r.text
    assert "+49 911" not in r.text


def test_finder_looks_the_same_for_signed_in_admins(
    client: TestClient, admin: dict[str, str], varied: dict[str, Alliance]
) -> None:
    assert client.get(PUBLIC, headers=admin).json() == client.get(PUBLIC).json()


def test_finder_shows_the_partner_count(client: TestClient, make: Any) -> None:
    target = make(partners=[{"name": f"Partner {n}", "sector": "business"} for n in range(4)])
    item = client.get(PUBLIC).json()["items"][0]
    assert (item["id"], item["partner_count"]) == (target.id, 4)


@pytest.mark.parametrize(("params", "expected"), [
    ({"state": "DE-BY"}, {"fuerth", "dorf"}),
    ({"state": "DE-BE"}, set()),  # dissolved
    ({"state": "DE-HE"}, set()),  # not listed
    ({"level": "district"}, {"landkreis"}),
    ({"q": "fürth"}, {"fuerth", "dorf"}),
    ({"q": "verstecktes"}, set()),
])
def test_finder_filters(client: TestClient, varied: dict[str, Alliance], params: dict[str, str],
                        expected: set[str]) -> None:
    r = client.get(PUBLIC, params=params)
    assert {item["id"] for item in r.json()["items"]} == {varied[k].id for k in expected}


def test_finder_refuses_a_status_filter_it_does_not_have(client: TestClient) -> None:
    # The finder lists active alliances only; a status filter is refused, not ignored.
    r = client.get(PUBLIC, params={"status": "dissolved"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "status"]


@pytest.mark.parametrize("sort", ["name", "-name", "created_at", "-created_at", "id", "-id"])
def test_finder_pages_through_everything_once(client: TestClient, varied: dict[str, Alliance],
                                              sort: str) -> None:
    items = walk(client, PUBLIC, sort=sort, limit=2)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 5


def test_finder_total(client: TestClient, varied: dict[str, Alliance]) -> None:
    assert client.get(PUBLIC, params={"include_total": True, "limit": 1}).json()["total"] == 5


@pytest.mark.parametrize(("param", "value"), [("limit", "101"), ("state", "Bayern"),
                                              ("cursor", "garbage"), ("sort", "status")])
def test_finder_rejects_bad_parameters(client: TestClient, alliance: Alliance, param: str,
                                       value: str) -> None:
    body = assert_problem(client.get(PUBLIC, params={param: value}), 422)
    assert error_locs(body) == [["query", param]]


def test_dissolving_removes_an_alliance_from_the_finder(
    client: TestClient, admin: dict[str, str], alliance: Alliance
) -> None:
    assert [item["id"] for item in client.get(PUBLIC).json()["items"]] == [alliance.id]
    client.patch(f"/api/v1/alliances/{alliance.id}", headers=admin, json={"status": "dissolved"})
    assert client.get(PUBLIC).json()["items"] == []


def test_unlisting_removes_an_alliance_from_the_finder(
    client: TestClient, alliance_user: Any, alliance: Alliance
) -> None:
    client.patch(f"/api/v1/alliances/{alliance.id}", headers=alliance_user(alliance),
                 json={"listed_in_finder": False})
    assert client.get(PUBLIC).json()["items"] == []
