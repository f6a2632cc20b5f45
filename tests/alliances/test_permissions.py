"""Who may do what with alliances: anonymous, admins, alliance users, machine clients."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.alliances.models import Alliance
from tests import factories
from tests.alliances.helpers import API, count, new_alliance
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem, error_locs

CSV = ("alliances.csv", b"name,level,state\nBuendnis Neu,city,DE-BY\n", "text/csv")


def write_requests(alliance_id: int | None) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("post", API, {"json": new_alliance()}),
        ("delete", f"{API}/{alliance_id}", {}),
        ("post", f"{API}/import", {"files": {"file": CSV}}),
    ]


# --- anonymous -------------------------------------------------------------------------------


def test_anonymous_callers_must_sign_in(client: TestClient, alliance: Alliance,
                                        session: Session) -> None:
    calls = [("get", API, {}), ("get", f"{API}/{alliance.id}", {}),
             ("patch", f"{API}/{alliance.id}", {"json": {"name": "Gekapert"}}),
             *write_requests(alliance.id)]
    for method, url, kwargs in calls:
        r = getattr(client, method)(url, **kwargs)
        assert_problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
    assert count(session) == 1


def test_invalid_token_is_401(client: TestClient, alliance: Alliance) -> None:
    for header in ("Bearer nonsense", "Bearer " + "a.b.c", "Basic dXNlcjpwdw=="):
        r = client.get(API, headers={"Authorization": header})
        assert r.status_code == 401, (header, r.text)


# --- alliance users --------------------------------------------------------------------------


def test_alliance_user_sees_own_contacts_only(client: TestClient, alliance: Alliance,
                                              other_alliance: Alliance,
                                              own_user: dict[str, str]) -> None:
    items = {item["id"]: item for item in client.get(API, headers=own_user).json()["items"]}
    assert items.keys() == {alliance.id, other_alliance.id}
    assert items[alliance.id]["contacts"][0]["email"] == alliance.contacts[0].email
    assert items[other_alliance.id]["contacts"] is None
    assert items[other_alliance.id]["partners"], "partners are not personal data"

    own = client.get(f"{API}/{alliance.id}", headers=own_user).json()
    other = client.get(f"{API}/{other_alliance.id}", headers=own_user)
    assert own["contacts"] and own["contacts"][0]["phone"] == "+49 911 123456"
    assert other.status_code == 200 and other.json()["contacts"] is None
    assert other_alliance.contacts[0].email not in other.text


def test_unbound_alliance_user_sees_no_contacts(client: TestClient, alliance: Alliance,
                                                unbound_user: dict[str, str]) -> None:
    assert client.get(f"{API}/{alliance.id}", headers=unbound_user).json()["contacts"] is None
    r = client.patch(f"{API}/{alliance.id}", headers=unbound_user, json={"description": "x"})
    assert_problem(r, 403, "forbidden")


def test_alliance_user_edits_own_descriptive_fields(client: TestClient, alliance: Alliance,
                                                    own_user: dict[str, str]) -> None:
    change = {
        "name": "Lokales Bündnis für Familie Neustadt", "municipality": "Neustadt",
        "district": "Mitte", "region": "Franken", "legal_form": "registered_association",
        "founded_on": "2010-10-10", "website": "https://buendnis-neustadt.de",
        "description": "Neu", "listed_in_finder": False,
        "partners": [{"name": "Sparkasse Neustadt", "sector": "business"}],
        "contacts": [{"name": "Neue Sprecherin", "email": "sprecherin@example.org"}],
    }
    r = client.patch(f"{API}/{alliance.id}", headers=own_user, json=change)
    assert r.status_code == 200, r.text
    body = r.json()
    for key in ("name", "municipality", "district", "region", "legal_form", "founded_on",
                "website", "description", "listed_in_finder"):
        assert body[key] == change[key], key
    assert [p["name"] for p in body["partners"]] == ["Sparkasse Neustadt"]
    assert [c["name"] for c in body["contacts"]] == ["Neue Sprecherin"]
    assert body["version"] == 2 and row_tag(r.headers["etag"]) == f'"alliance-{alliance.id}-v2"'


def test_alliance_user_honours_if_match(client: TestClient, alliance: Alliance,
                                        own_user: dict[str, str]) -> None:
    url = f"{API}/{alliance.id}"
    etag = client.get(url, headers=own_user).headers["etag"]
    assert client.patch(url, headers={**own_user, "If-Match": etag},
                        json={"description": "1"}).status_code == 200
    assert_problem(client.patch(url, headers={**own_user, "If-Match": etag},
                                json={"description": "2"}), 412)


@pytest.mark.parametrize(("change", "fields"), [
    ({"status": "dissolved"}, ["status"]),
    ({"status": "active"}, ["status"]),  # even the current value: the field is not theirs
    ({"slug": "mein-slug"}, ["slug"]),
    ({"ags": "09563000"}, ["ags"]),
    ({"ags": None}, ["ags"]),
    ({"state": "DE-NW"}, ["state"]),
    ({"level": "district"}, ["level"]),
    ({"description": "ok", "level": "district", "status": "dormant", "slug": "x"},
     ["level", "slug", "status"]),
])
def test_alliance_user_may_not_change_admin_fields(
    client: TestClient, alliance: Alliance, own_user: dict[str, str], admin: dict[str, str],
    change: dict[str, Any], fields: list[str],
) -> None:
    before = client.get(f"{API}/{alliance.id}", headers=admin).json()
    r = client.patch(f"{API}/{alliance.id}", headers=own_user, json=change)
    body = assert_problem(r, 403, "forbidden")
    assert error_locs(body) == [["body", field] for field in fields]
    for field in fields:
        assert field in body["detail"]
    assert client.get(f"{API}/{alliance.id}", headers=admin).json() == before, "nothing changed"


def test_alliance_user_may_not_edit_another_alliance(
    client: TestClient, other_alliance: Alliance, own_user: dict[str, str],
    admin: dict[str, str],
) -> None:
    before = client.get(f"{API}/{other_alliance.id}", headers=admin).json()
    changes: list[dict[str, Any]] = [{"description": "übernommen"}, {"contacts": []}, {}]
    for change in changes:
        assert_problem(client.patch(f"{API}/{other_alliance.id}", headers=own_user, json=change),
                       403, "forbidden")
    assert client.get(f"{API}/{other_alliance.id}", headers=admin).json() == before


def test_alliance_user_patching_a_missing_alliance_learns_nothing(
    client: TestClient, own_user: dict[str, str]
) -> None:
    assert_problem(client.patch(f"{API}/999999", headers=own_user, json={"name": "Neu Neu"}), 403)


def test_alliance_user_may_not_create_delete_or_import(
    client: TestClient, alliance: Alliance, own_user: dict[str, str], session: Session
) -> None:
    for method, url, kwargs in write_requests(alliance.id):
        assert_problem(getattr(client, method)(url, headers=own_user, **kwargs), 403, "forbidden")
    assert count(session) == 1
    assert client.get(f"{API}/{alliance.id}", headers=own_user).json()["status"] == "active"


def test_alliance_user_fixture_binds_to_the_given_alliance(
    client: TestClient, alliance: Alliance, other_alliance: Alliance,
    alliance_user: Callable[[Alliance], dict[str, str]],
) -> None:
    theirs = alliance_user(other_alliance)
    assert client.patch(f"{API}/{other_alliance.id}", headers=theirs,
                        json={"description": "ok"}).status_code == 200
    assert_problem(client.patch(f"{API}/{alliance.id}", headers=theirs,
                                json={"description": "no"}), 403)


# --- machine clients -------------------------------------------------------------------------


def test_client_with_read_scope_lists_and_gets_without_contacts(
    client: TestClient, partner: dict[str, str], alliance: Alliance, other_alliance: Alliance
) -> None:
    r = client.get(API, headers=partner, params={"include_total": True})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 2
    assert all(item["contacts"] is None for item in r.json()["items"])
    one = client.get(f"{API}/{alliance.id}", headers=partner)
    assert one.status_code == 200 and one.json()["contacts"] is None
    assert row_tag(one.headers["etag"]) == f'"alliance-{alliance.id}-v1"'
    assert alliance.contacts[0].email not in r.text + one.text


def test_restricted_client_sees_only_its_alliances(
    client: TestClient, restricted_client: dict[str, str], alliance: Alliance,
    other_alliance: Alliance,
) -> None:
    listing = client.get(API, headers=restricted_client, params={"include_total": True}).json()
    assert [item["id"] for item in listing["items"]] == [alliance.id]
    assert listing["total"] == 1
    assert client.get(f"{API}/{alliance.id}", headers=restricted_client).status_code == 200
    hidden = client.get(f"{API}/{other_alliance.id}", headers=restricted_client)
    missing = client.get(f"{API}/999999", headers=restricted_client)
    assert_problem(hidden, 404, "alliance_not_found")
    assert_problem(missing, 404, "alliance_not_found")
    assert hidden.json()["detail"].replace(str(other_alliance.id), "N") == \
        missing.json()["detail"].replace("999999", "N"), "the same answer as a missing alliance"
    for params in ({"q": other_alliance.name}, {"state": other_alliance.state}):
        assert client.get(API, headers=restricted_client, params=params).json()["items"] == []


def test_client_restricted_to_no_alliance_sees_nothing(client: TestClient, session: Session,
                                                       alliance: Alliance) -> None:
    headers = factories.client_headers(factories.make_client(session, alliances=[]))
    assert client.get(API, headers=headers).json()["items"] == []
    assert_problem(client.get(f"{API}/{alliance.id}", headers=headers), 404)


def test_client_without_read_scope_is_403(client: TestClient, alliance: Alliance,
                                          client_without_scope: dict[str, str]) -> None:
    for url in (API, f"{API}/{alliance.id}"):
        assert_problem(client.get(url, headers=client_without_scope), 403, "insufficient_scope")


def test_token_without_the_scope_is_403_even_if_the_client_has_it(
    client: TestClient, partner_client: Any, alliance: Alliance
) -> None:
    headers = factories.client_headers(partner_client, scopes=("surveys:write",))
    assert_problem(client.get(API, headers=headers), 403, "insufficient_scope")


def test_clients_cannot_write(client: TestClient, partner: dict[str, str], alliance: Alliance,
                              session: Session) -> None:
    r = client.patch(f"{API}/{alliance.id}", headers=partner, json={"description": "maschinell"})
    assert_problem(r, 403, "forbidden")
    for method, url, kwargs in write_requests(alliance.id):
        assert_problem(getattr(client, method)(url, headers=partner, **kwargs), 403, "forbidden")
    assert count(session) == 1


def test_restricted_client_cannot_patch_its_own_alliance(
    client: TestClient, restricted_client: dict[str, str], alliance: Alliance
) -> None:
    assert_problem(client.patch(f"{API}/{alliance.id}", headers=restricted_client,
                                json={"description": "x"}), 403)
