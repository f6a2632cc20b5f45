"""GET /alliances: filters, sorting, cursor pagination, totals, Link headers, bad cursors."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from tests.alliances.helpers import API, walk
from tests.utils.problems import assert_problem, error_locs


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def cursor_of(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_default_listing_is_sorted_by_name(client: TestClient, admin: dict[str, str],
                                           session: Session, varied: dict[str, Alliance]) -> None:
    r = client.get(API, headers=admin)
    assert r.status_code == 200
    page = r.json()
    assert page["next_cursor"] is None and page["total"] is None
    assert "link" not in r.headers
    assert [item["id"] for item in page["items"]] == expected_order(session, "name")
    assert set(names(page["items"])) == {a.name for a in varied.values()}
    item = page["items"][0]
    assert {"id", "name", "slug", "ags", "municipality", "district", "state", "region", "level",
            "legal_form", "founded_on", "website", "description", "status", "listed_in_finder",
            "partner_count", "partners", "contacts", "version", "created_at",
            "updated_at"} == item.keys()


@pytest.mark.parametrize(("params", "expected"), [
    ({"state": "DE-BY"}, {"fuerth", "dorf"}),
    ({"state": "DE-NW"}, {"hamm"}),
    ({"state": "DE-SL"}, set()),
    ({"status": "dormant"}, {"magdeburg"}),
    ({"status": "dissolved"}, {"berlin"}),
    ({"status": "active"}, {"fuerth", "hamm", "landkreis", "dorf", "hidden"}),
    ({"level": "district"}, {"landkreis", "berlin"}),
    ({"level": "municipality"}, {"dorf"}),
    ({"state": "DE-BY", "level": "city"}, {"fuerth"}),
    ({"state": "DE-BE", "status": "active"}, set()),
    # q searches name and municipality, case-insensitively, with NULL municipalities too.
    ({"q": "fürth"}, {"fuerth", "dorf"}),
    ({"q": "FÜRTH"}, {"fuerth", "dorf"}),
    ({"q": "greifswald"}, {"landkreis"}),
    ({"q": "Familienbündnis"}, {"landkreis"}),
    ({"q": "hamm"}, {"hamm"}),
    ({"q": "  hamm  "}, {"hamm"}),
    ({"q": "irgendwo"}, {"hidden"}),
    ({"q": "nirgends"}, set()),
    ({"q": "%"}, set()),
    ({"q": "_"}, set()),
    ({"q": "bündnis", "state": "DE-BY", "level": "municipality"}, {"dorf"}),
])
def test_filters(client: TestClient, admin: dict[str, str], varied: dict[str, Alliance],
                 params: dict[str, str], expected: set[str]) -> None:
    r = client.get(API, headers=admin, params=params)
    assert r.status_code == 200, r.text
    assert {item["id"] for item in r.json()["items"]} == {varied[k].id for k in expected}


def test_q_matches_wildcard_characters_literally(client: TestClient, admin: dict[str, str],
                                                 make: Any) -> None:
    percent = make(name="Bündnis 100% Familie")
    underscore = make(name="Bündnis_Familie")
    make(name="Bündnis 1000 Familie")
    backslash = make(name="Bündnis A\\B")
    for q, expected in (("100%", {percent.id}), ("s_f", {underscore.id}),
                        ("a\\b", {backslash.id}), ("\\%", set())):
        items = client.get(API, headers=admin, params={"q": q}).json()["items"]
        assert {item["id"] for item in items} == expected


def test_q_finds_by_name_when_municipality_is_null(client: TestClient, admin: dict[str, str],
                                                   make: Any) -> None:
    target = make(name="Kreisbündnis Nordfriesland", municipality=None, state="DE-SH")
    items = client.get(API, headers=admin, params={"q": "nordfries"}).json()["items"]
    assert [item["id"] for item in items] == [target.id]


@pytest.mark.parametrize(("param", "value"), [
    ("state", "BY"), ("state", "DE-XX"), ("status", "gone"), ("level", "country"),
    ("sort", "ags"), ("sort", "+name"), ("limit", "0"), ("limit", "101"), ("limit", "-1"),
    ("limit", "zehn"), ("include_total", "maybe"), ("q", "x" * 101),
])
def test_invalid_query_parameter_is_422_naming_it(client: TestClient, admin: dict[str, str],
                                                  param: str, value: str) -> None:
    body = assert_problem(client.get(API, headers=admin, params={param: value}), 422,
                          "validation_error")
    assert error_locs(body) == [["query", param]]


def test_limit_100_is_the_maximum(client: TestClient, admin: dict[str, str], make: Any) -> None:
    for _ in range(101):
        make(partners=[], contacts=[])
    r = client.get(API, headers=admin, params={"limit": 100, "include_total": True})
    assert r.status_code == 200
    page = r.json()
    assert (len(page["items"]), page["total"]) == (100, 101)
    assert page["next_cursor"] is not None
    rest = client.get(API, headers=admin, params={"limit": 100, "cursor": page["next_cursor"]})
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None


def test_include_total_counts_all_matches_on_every_page(
    client: TestClient, admin: dict[str, str], varied: dict[str, Alliance]
) -> None:
    first = client.get(API, headers=admin, params={"limit": 2, "include_total": "true",
                                                   "status": "active"}).json()
    assert first["total"] == 5 and len(first["items"]) == 2
    second = client.get(API, headers=admin, params={"limit": 2, "include_total": "true",
                                                    "status": "active",
                                                    "cursor": first["next_cursor"]}).json()
    assert second["total"] == 5
    assert client.get(API, headers=admin, params={"state": "DE-SL", "include_total": True}
                      ).json()["total"] == 0


SORTS = ["name", "-name", "created_at", "-created_at", "id", "-id"]


def expected_order(session: Session, sort: str, *where: Any) -> list[int | None]:
    """The database's own order (its collation decides how names compare), id breaking ties."""
    column = getattr(Alliance, sort.lstrip("-"))
    order = [col(column), col(Alliance.id)]
    query = select(col(Alliance.id)).where(*where).order_by(
        *(c.desc() if sort.startswith("-") else c.asc() for c in order))
    return list(session.exec(query).all())


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_walking_all_pages_returns_every_row_once_in_order(
    client: TestClient, admin: dict[str, str], session: Session, varied: dict[str, Alliance],
    sort: str, limit: int,
) -> None:
    items = walk(client, API, admin, sort=sort, limit=limit)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == len(varied)
    assert ids == expected_order(session, sort)
    if sort.endswith("created_at"):
        by_time = sorted(varied.values(), key=lambda a: a.created_at, reverse=sort[0] == "-")
        assert ids == [a.id for a in by_time]


@pytest.mark.parametrize("sort", SORTS)
def test_pagination_with_ties_and_filters(client: TestClient, admin: dict[str, str],
                                          session: Session, make: Any, sort: str) -> None:
    """Equal names and equal timestamps: the id breaks the tie, nothing is skipped or repeated."""
    same_time = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)  # no microseconds: isoformat drops them
    made = [make(name=f"Bündnis {n % 3}", created_at=same_time, state="DE-BY") for n in range(11)]
    make(name="Bündnis 1", state="DE-HE")  # filtered out
    items = walk(client, API, admin, sort=sort, limit=4, state="DE-BY")
    ids = [item["id"] for item in items]
    assert sorted(ids) == sorted(a.id for a in made)
    assert ids == expected_order(session, sort, Alliance.state == "DE-BY")


def test_created_at_pagination_with_microseconds(client: TestClient, admin: dict[str, str],
                                                 make: Any) -> None:
    made = [make(created_at=datetime(2024, 3, 1, 10, 0, 0, 999_990 + n, tzinfo=UTC))
            for n in range(5)]
    items = walk(client, API, admin, sort="-created_at", limit=2)
    assert [item["id"] for item in items] == [a.id for a in reversed(made)]


def test_link_header_keeps_the_filters(client: TestClient, admin: dict[str, str],
                                       varied: dict[str, Alliance]) -> None:
    r = client.get(API, headers=admin, params={"limit": 1, "state": "DE-BY", "sort": "-name"})
    link = r.headers["link"]
    assert "state=DE-BY" in link and "sort=-name" in link and "limit=1" in link
    next_url = link[1:link.index(">")]
    following = client.get(next_url, headers=admin)
    assert following.status_code == 200
    assert following.json()["items"][0]["id"] != r.json()["items"][0]["id"]
    assert all(item["state"] == "DE-BY" for item in following.json()["items"])


@pytest.mark.parametrize(("sort", "cursor"), [
    ("name", "not-a-cursor!"),
    ("name", "%%%"),
    ("name", cursor_of(["only one value"])),
    ("name", cursor_of(["a", 1, 2])),
    ("name", cursor_of({"name": "a", "id": 1})),
    ("name", base64.urlsafe_b64encode(b"\xff\xfe not json").decode()),
    ("name", cursor_of([1, 1])),
    ("name", cursor_of(["a", "one"])),
    ("name", cursor_of(["a", True])),
    ("name", cursor_of(["a", None])),
    ("name", cursor_of([None, 1])),
    ("name", cursor_of(["a", 1.5])),
    ("name", cursor_of(["a", 2**70])),
    ("name", cursor_of([["nested"], 1])),
    ("name", cursor_of(["Bündnis\u0000Fürth", 1])),  # PostgreSQL refuses NUL in text
    ("name", cursor_of(["Bündnis \ud800", 1])),  # a lone surrogate: no UTF-8 for the driver
    ("created_at", cursor_of(["2024-01-01T00:00:00\udfff+00:00", 1])),
    ("id", cursor_of(["abc", 1])),
    ("id", cursor_of([2**64, 1])),
    ("-id", cursor_of([{"x": 1}, 1])),
    ("created_at", cursor_of(["yesterday", 1])),
    ("created_at", cursor_of([1700000000, 1])),
    ("created_at", cursor_of(["2024-01-01T00:00:00", 1])),  # no time zone
    ("-created_at", cursor_of(["Bündnis Fürth", 3])),  # a name cursor for a date sort
])
def test_bad_cursor_is_422_naming_the_cursor(client: TestClient, admin: dict[str, str],
                                             alliance: Alliance, sort: str, cursor: str) -> None:
    r = client.get(API, headers=admin, params={"sort": sort, "cursor": cursor})
    body = assert_problem(r, 422)
    assert error_locs(body) == [["query", "cursor"]]


def test_cursor_longer_than_2048_characters_is_422(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.get(API, headers=admin, params={"cursor": "a" * 2049}), 422)
    assert error_locs(body) == [["query", "cursor"]]


@pytest.mark.parametrize("letter", ["ü", "家", "🙂"])
def test_a_cursor_on_the_longest_name_is_taken_back(client: TestClient, admin: dict[str, str],
                                                    make: Any, letter: str) -> None:
    """The server never hands out a cursor that its own cursor limit refuses."""
    for n in range(2):
        make(name=letter * 199 + str(n))
    page = client.get(API, headers=admin, params={"limit": 1, "sort": "name"}).json()
    assert page["next_cursor"]
    second = client.get(API, headers=admin, params={"limit": 1, "sort": "name",
                                                    "cursor": page["next_cursor"]})
    assert second.status_code == 200, second.text
    assert [item["name"] for item in second.json()["items"]] == [letter * 199 + "1"]


def test_cursor_survives_url_encoding(client: TestClient, admin: dict[str, str],
                                      make: Any) -> None:
    """Cursors are URL-safe: no padding, no + or / to escape."""
    for n in range(3):
        make(name=f"Bündnis ÄÖÜ ß {n}")
    page = client.get(API, headers=admin, params={"limit": 1, "sort": "created_at"}).json()
    cursor = page["next_cursor"]
    assert cursor and not set(cursor) & set("+/=")
    assert client.get(f"{API}?limit=1&sort=created_at&cursor={cursor}", headers=admin
                      ).status_code == 200


def test_empty_listing(client: TestClient, admin: dict[str, str]) -> None:
    r = client.get(API, headers=admin, params={"include_total": True})
    assert r.json() == {"items": [], "next_cursor": None, "total": 0}
