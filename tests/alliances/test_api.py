"""Alliances through the HTTP API as the Servicebüro (admin): create, read, update, delete."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.auth.models import Role, User
from tests import factories
from tests.alliances.helpers import API, count, new_alliance
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem, error_locs

# --- create ----------------------------------------------------------------------------------


def test_admin_creates_an_alliance_with_partners_and_contacts(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post(API, headers=admin, json=new_alliance())
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"{API}/{body['id']}"
    assert row_tag(r.headers["etag"]) == f'"alliance-{body["id"]}-v1"'
    assert body["slug"] == "lokales-buendnis-fuer-familie-fuerth"
    assert body["state"] == "DE-BY", "derived from the AGS"
    assert body["ags"] == "09563000"
    assert body["municipality"] == "Fürth"
    assert body["founded_on"] == "2005-03-01"
    assert body["website"] == "https://familie-fuerth.de", "kept as entered"
    assert body["status"] == "active"
    assert body["version"] == 1
    assert body["created_at"] and body["updated_at"]
    assert body["partner_count"] == 2
    assert [(p["name"], p["sector"]) for p in body["partners"]] == [
        ("Stadt Fürth", "municipality"), ("Caritas Fürth", "welfare")]
    assert body["contacts"][0] | {"id": 0} == {
        "id": 0, "name": "Erika Muster", "function": "Koordinatorin",
        "email": "erika.muster@example.org", "phone": "+49 911 974-0", "accepts_mail": True}

    fetched = client.get(r.headers["location"], headers=admin)
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_minimal_alliance_needs_name_level_and_state(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(API, headers=admin, json={"name": "Bündnis Ohne AGS", "level": "district",
                                              "state": "DE-SN"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["ags"], body["state"], body["partners"], body["contacts"]) == (
        None, "DE-SN", [], [])
    assert body["listed_in_finder"] is False
    assert body["status"] == "active"


@pytest.mark.parametrize(("ags", "state"), [
    ("05915000", "DE-NW"), ("11000000", "DE-BE"), ("16051000", "DE-TH"), ("01001000", "DE-SH"),
])
def test_state_is_derived_from_the_ags(client: TestClient, admin: dict[str, str], ags: str,
                                       state: str) -> None:
    r = client.post(API, headers=admin, json=new_alliance(ags=ags))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == state


def test_state_matching_the_ags_is_accepted(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(API, headers=admin, json=new_alliance(state="DE-BY"))
    assert r.status_code == 201, r.text


def test_state_contradicting_the_ags_is_422_naming_state(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    r = client.post(API, headers=admin, json=new_alliance(state="DE-NW"))
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "state"]]
    assert "DE-BY" in body["errors"][0]["msg"]
    assert count(session) == 0


def test_without_ags_the_state_is_required(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(API, headers=admin, json=new_alliance(ags=None))
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "state"]]


@pytest.mark.parametrize("ags", [
    "0956300", "095630000", "0956300a", "17000000", "00000000", "0956300²", 9563000,
])
def test_invalid_ags_is_422_naming_ags(client: TestClient, admin: dict[str, str], ags: Any) -> None:
    body = assert_problem(client.post(API, headers=admin, json=new_alliance(ags=ags)), 422)
    assert error_locs(body) == [["body", "ags"]], "the state error is not piled on top"


def test_unknown_state_code_is_422(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(
        client.post(API, headers=admin, json=new_alliance(ags=None, state="DE-XX")), 422)
    assert ["body", "state"] in error_locs(body)


@pytest.mark.parametrize(("field", "value", "loc"), [
    ("level", "galaxy", ["body", "level"]),
    ("status", "asleep", ["body", "status"]),
    ("legal_form", "gmbh", ["body", "legal_form"]),
    ("name", "X", ["body", "name"]),
    ("name", "x" * 201, ["body", "name"]),
    ("slug", "Not A Slug", ["body", "slug"]),
    ("founded_on", "2005-02-30", ["body", "founded_on"]),
    ("founded_on", (date.today() + timedelta(days=1)).isoformat(), ["body", "founded_on"]),
    ("website", "javascript:alert(1)", ["body", "website"]),
    ("website", "ftp://example.org", ["body", "website"]),
    ("website", "familie-fuerth", ["body", "website"]),
    ("website", "https://example.org/" + "a" * 500, ["body", "website"]),
    ("description", "d" * 5001, ["body", "description"]),
    ("municipality", "m" * 201, ["body", "municipality"]),
    ("listed_in_finder", "perhaps", ["body", "listed_in_finder"]),
    ("partners", [{"name": "Firma", "sector": "mafia"}], ["body", "partners", 0, "sector"]),
    ("partners", [{"name": "Firma"}], ["body", "partners", 0, "sector"]),
    ("contacts", [{"name": "Erika", "email": "no-email"}], ["body", "contacts", 0, "email"]),
    ("contacts", [{"name": "Erika", "phone": "call me"}], ["body", "contacts", 0, "phone"]),
    ("contacts", [{"name": "Erika", "role": "admin"}], ["body", "contacts", 0, "role"]),
])
def test_invalid_field_is_422_naming_it(client: TestClient, admin: dict[str, str],
                                        session: Session, field: str, value: Any,
                                        loc: list[Any]) -> None:
    body = assert_problem(client.post(API, headers=admin, json=new_alliance(**{field: value})),
                          422, "validation_error")
    assert loc in error_locs(body)
    assert all("input" not in e for e in body["errors"]), "no input echoed (personal data)"
    assert count(session) == 0


@pytest.mark.parametrize("field", ["id", "version", "created_at", "partner_count", "role"])
def test_unknown_or_read_only_body_field_is_422(client: TestClient, admin: dict[str, str],
                                                field: str) -> None:
    body = assert_problem(client.post(API, headers=admin, json=new_alliance(**{field: 1})), 422)
    assert ["body", field] in error_locs(body)


def test_missing_required_fields_are_all_listed(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.post(API, headers=admin, json={}), 422)
    assert {("body", "name"), ("body", "level")} <= {tuple(loc) for loc in error_locs(body)}


def test_taken_slug_is_409(client: TestClient, admin: dict[str, str], make: Any,
                           session: Session) -> None:
    make(slug="fuerth")
    r = client.post(API, headers=admin, json=new_alliance(slug="fuerth"))
    body = assert_problem(r, 409, "slug_taken")
    assert error_locs(body) == [["body", "slug"]]
    assert count(session) == 1


def test_same_name_gets_a_numbered_slug(client: TestClient, admin: dict[str, str]) -> None:
    first = client.post(API, headers=admin, json=new_alliance())
    second = client.post(API, headers=admin, json=new_alliance(ags="09564000"))
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["slug"] == first.json()["slug"] + "-2"


def test_explicit_slug_is_kept(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(API, headers=admin, json=new_alliance(slug="fuerth"))
    assert r.json()["slug"] == "fuerth"


def test_whitespace_is_stripped(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(API, headers=admin,
                    json=new_alliance(name="  Bündnis Fürth  ", ags=" 09563000 ",
                                      website=" https://familie-fuerth.de/ "))
    assert r.status_code == 201, r.text
    assert (r.json()["name"], r.json()["ags"], r.json()["website"]) == (
        "Bündnis Fürth", "09563000", "https://familie-fuerth.de/")


def test_body_that_is_not_json_object_is_422(client: TestClient, admin: dict[str, str]) -> None:
    assert_problem(client.post(API, headers=admin, json=["name"]), 422)
    assert_problem(client.post(API, headers={**admin, "Content-Type": "application/json"},
                               content=b"{"), 422)


# --- read ------------------------------------------------------------------------------------


def test_get_carries_an_etag_and_the_contacts_for_admins(
    client: TestClient, admin: dict[str, str], alliance: Alliance
) -> None:
    r = client.get(f"{API}/{alliance.id}", headers=admin)
    assert r.status_code == 200
    assert row_tag(r.headers["etag"]) == f'"alliance-{alliance.id}-v1"'
    body = r.json()
    assert body["id"] == alliance.id and body["slug"] == alliance.slug
    assert body["contacts"][0]["email"] == alliance.contacts[0].email
    assert body["partner_count"] == len(body["partners"]) == 2


def test_missing_alliance_is_404_problem(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.get(f"{API}/999999", headers=admin), 404, "alliance_not_found")
    assert body["instance"] == f"{API}/999999"


@pytest.mark.parametrize("alliance_id", ["abc", "1.5", "0x10"])
def test_non_integer_id_is_422(client: TestClient, admin: dict[str, str], alliance_id: str) -> None:
    assert_problem(client.get(f"{API}/{alliance_id}", headers=admin), 422)


@pytest.mark.parametrize("alliance_id", [0, -1, 2**31, 2**63, 10**30])
def test_out_of_range_id_is_a_problem_never_a_500(client: TestClient, admin: dict[str, str],
                                                   alliance_id: int) -> None:
    for method in ("get", "patch", "delete"):
        kwargs: dict[str, Any] = {"json": {}} if method == "patch" else {}
        r = getattr(client, method)(f"{API}/{alliance_id}", headers=admin, **kwargs)
        assert r.status_code in (404, 422), (method, r.status_code, r.text)
        assert_problem(r, r.status_code)


# --- update ----------------------------------------------------------------------------------


def test_admin_updates_fields_and_gets_a_new_etag(
    client: TestClient, admin: dict[str, str], alliance: Alliance
) -> None:
    before = client.get(f"{API}/{alliance.id}", headers=admin).json()
    r = client.patch(f"{API}/{alliance.id}", headers=admin, json={
        "description": "Neu", "founded_on": "2006-09-15", "website": "https://example.org",
        "legal_form": "registered_association", "region": "Franken", "district": "Mittelfranken",
    })
    assert r.status_code == 200, r.text
    body = r.json()
    assert row_tag(r.headers["etag"]) == f'"alliance-{alliance.id}-v2"'
    assert body["version"] == 2
    assert (body["description"], body["founded_on"], body["website"], body["legal_form"]) == (
        "Neu", "2006-09-15", "https://example.org", "registered_association")
    assert body["updated_at"] > before["updated_at"]
    assert body["created_at"] == before["created_at"]
    assert client.get(f"{API}/{alliance.id}", headers=admin).json() == body


def test_patch_that_changes_nothing_keeps_the_version(
    client: TestClient, admin: dict[str, str], alliance: Alliance
) -> None:
    same = {"name": alliance.name, "state": alliance.state, "level": alliance.level,
            "partners": [{"name": "Stadtverwaltung", "sector": "municipality"},
                         {"name": "Caritas", "sector": "welfare"}]}
    for body in ({}, same):
        r = client.patch(f"{API}/{alliance.id}", headers=admin, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["version"] == 1
        assert row_tag(r.headers["etag"]) == f'"alliance-{alliance.id}-v1"'


def test_founded_on_can_be_set_twice_without_spurious_changes(
    client: TestClient, admin: dict[str, str], alliance: Alliance
) -> None:
    url = f"{API}/{alliance.id}"
    assert client.patch(url, headers=admin, json={"founded_on": "2005-03-01"}).json()["version"] == 2
    assert client.patch(url, headers=admin, json={"founded_on": "2005-03-01"}).json()["version"] == 2


def test_patch_replaces_partners(client: TestClient, admin: dict[str, str], alliance: Alliance,
                                 session: Session) -> None:
    partners = [{"name": "Sparkasse", "sector": "business"}, {"name": "Kita e.V.", "sector": "education"},
                {"name": "Pfarrei", "sector": "church"}]
    r = client.patch(f"{API}/{alliance.id}", headers=admin, json={"partners": partners})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [{"name": p["name"], "sector": p["sector"]} for p in body["partners"]] == partners
    assert all(isinstance(p["id"], int) for p in body["partners"])
    assert body["partner_count"] == 3 and body["version"] == 2
    assert count(session, AlliancePartner) == 3, "the old partners are gone, not orphaned"

    cleared = client.patch(f"{API}/{alliance.id}", headers=admin, json={"partners": []}).json()
    assert (cleared["partners"], cleared["partner_count"], cleared["version"]) == ([], 0, 3)
    assert count(session, AlliancePartner) == 0


def test_patch_replaces_contacts(client: TestClient, admin: dict[str, str], alliance: Alliance,
                                 session: Session) -> None:
    contacts = [{"name": "Max Mustermann", "function": "Sprecher", "email": "max@example.org",
                 "phone": "0911 123"},
                {"name": "Eva Beispiel", "function": None, "email": None, "phone": None}]
    r = client.patch(f"{API}/{alliance.id}", headers=admin, json={"contacts": contacts})
    assert r.status_code == 200, r.text
    assert [{k: c[k] for k in ("name", "function", "email", "phone")}
            for c in r.json()["contacts"]] == contacts
    assert count(session, AllianceContact) == 2
    again = client.patch(f"{API}/{alliance.id}", headers=admin, json={"contacts": contacts})
    assert again.json()["version"] == 2, "the same contacts are no change"


def test_patch_with_invalid_partner_or_contact_is_422(client: TestClient, admin: dict[str, str],
                                                      alliance: Alliance) -> None:
    r = client.patch(f"{API}/{alliance.id}", headers=admin,
                     json={"partners": [{"name": "A", "sector": "business"}],
                           "contacts": [{"name": "Eva", "email": "eva@"}]})
    body = assert_problem(r, 422)
    assert {("body", "partners", 0, "name"), ("body", "contacts", 0, "email")} <= {
        tuple(loc) for loc in error_locs(body)}


def test_new_ags_re_derives_the_state(client: TestClient, admin: dict[str, str],
                                      alliance: Alliance) -> None:
    assert alliance.state == "DE-BY"
    r = client.patch(f"{API}/{alliance.id}", headers=admin, json={"ags": "05915000"})
    assert r.status_code == 200, r.text
    assert (r.json()["ags"], r.json()["state"]) == ("05915000", "DE-NW")


def test_ags_and_matching_state_together(client: TestClient, admin: dict[str, str],
                                         alliance: Alliance) -> None:
    r = client.patch(f"{API}/{alliance.id}", headers=admin,
                     json={"ags": "14612000", "state": "DE-SN"})
    assert (r.status_code, r.json()["state"]) == (200, "DE-SN")


def test_ags_and_contradicting_state_together_is_422(client: TestClient, admin: dict[str, str],
                                                     alliance: Alliance) -> None:
    r = client.patch(f"{API}/{alliance.id}", headers=admin,
                     json={"ags": "14612000", "state": "DE-BY"})
    assert error_locs(assert_problem(r, 422)) == [["body", "state"]]


def test_state_contradicting_the_stored_ags_is_422(client: TestClient, admin: dict[str, str],
                                                   make: Any) -> None:
    fuerth = make(ags="09563000", state="DE-BY")
    r = client.patch(f"{API}/{fuerth.id}", headers=admin, json={"state": "DE-NW"})
    body = assert_problem(r, 422)
    assert error_locs(body) == [["body", "state"]]
    assert client.get(f"{API}/{fuerth.id}", headers=admin).json()["state"] == "DE-BY"


def test_without_ags_the_state_may_change(client: TestClient, admin: dict[str, str],
                                          alliance: Alliance) -> None:
    assert alliance.ags is None
    r = client.patch(f"{API}/{alliance.id}", headers=admin, json={"state": "DE-HB"})
    assert (r.status_code, r.json()["state"]) == (200, "DE-HB")


def test_removing_the_ags_keeps_the_state(client: TestClient, admin: dict[str, str],
                                          make: Any) -> None:
    fuerth = make(ags="09563000", state="DE-BY")
    r = client.patch(f"{API}/{fuerth.id}", headers=admin, json={"ags": None})
    assert (r.status_code, r.json()["ags"], r.json()["state"]) == (200, None, "DE-BY")
    moved = client.patch(f"{API}/{fuerth.id}", headers=admin, json={"ags": None, "state": "DE-HE"})
    assert moved.json()["state"] == "DE-HE"


@pytest.mark.parametrize("field", [
    "name", "slug", "state", "level", "status", "listed_in_finder", "partners", "contacts",
])
def test_null_for_a_required_field_is_422(client: TestClient, admin: dict[str, str],
                                          alliance: Alliance, field: str) -> None:
    body = assert_problem(client.patch(f"{API}/{alliance.id}", headers=admin, json={field: None}),
                          422)
    assert error_locs(body) == [["body", field]]


@pytest.mark.parametrize("field", ["municipality", "district", "region", "legal_form",
                                   "founded_on", "website", "description"])
def test_null_clears_an_optional_field(client: TestClient, admin: dict[str, str], make: Any,
                                       field: str) -> None:
    target = make(district="Mitte", region="Franken", legal_form="informal",
                  founded_on=date(2005, 1, 1), website="https://x.example", description="d")
    r = client.patch(f"{API}/{target.id}", headers=admin, json={field: None})
    assert r.status_code == 200, r.text
    assert r.json()[field] is None and r.json()["version"] == 2


def test_patch_to_a_taken_slug_is_409(client: TestClient, admin: dict[str, str],
                                      alliance: Alliance, make: Any) -> None:
    make(slug="hamm")
    r = client.patch(f"{API}/{alliance.id}", headers=admin, json={"slug": "hamm"})
    assert error_locs(assert_problem(r, 409, "slug_taken")) == [["body", "slug"]]


def test_admin_changes_slug_status_and_level(client: TestClient, admin: dict[str, str],
                                             alliance: Alliance) -> None:
    r = client.patch(f"{API}/{alliance.id}", headers=admin,
                     json={"slug": "neuer-slug", "status": "dormant", "level": "district"})
    assert r.status_code == 200, r.text
    assert (r.json()["slug"], r.json()["status"], r.json()["level"]) == (
        "neuer-slug", "dormant", "district")


def test_patch_unknown_field_is_422(client: TestClient, admin: dict[str, str],
                                    alliance: Alliance) -> None:
    body = assert_problem(client.patch(f"{API}/{alliance.id}", headers=admin,
                                       json={"version": 7, "nmae": "Tippfehler"}), 422)
    assert {("body", "version"), ("body", "nmae")} <= {tuple(loc) for loc in error_locs(body)}


def test_patch_future_founding_date_is_422(client: TestClient, admin: dict[str, str],
                                           alliance: Alliance) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    body = assert_problem(client.patch(f"{API}/{alliance.id}", headers=admin,
                                       json={"founded_on": tomorrow}), 422)
    assert error_locs(body) == [["body", "founded_on"]]


def test_patch_missing_alliance_is_404(client: TestClient, admin: dict[str, str]) -> None:
    assert_problem(client.patch(f"{API}/999999", headers=admin, json={"name": "Neu Neu"}), 404,
                   "alliance_not_found")


# --- If-Match --------------------------------------------------------------------------------


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient, admin: dict[str, str],
                                                   alliance: Alliance) -> None:
    url = f"{API}/{alliance.id}"
    first_etag = client.get(url, headers=admin).headers["etag"]
    assert client.patch(url, headers=admin, json={"description": "eins"}).status_code == 200
    r = client.patch(url, headers={**admin, "If-Match": first_etag}, json={"description": "zwei"})
    body = assert_problem(r, 412, "precondition_failed")
    assert body["current_etag"] == f'"alliance-{alliance.id}-v2"'
    current = client.get(url, headers=admin).json()
    assert (current["description"], current["version"]) == ("eins", 2)


def test_current_if_match_succeeds_and_returns_the_next_etag(
    client: TestClient, admin: dict[str, str], alliance: Alliance
) -> None:
    url = f"{API}/{alliance.id}"
    etag = client.get(url, headers=admin).headers["etag"]
    r = client.patch(url, headers={**admin, "If-Match": etag}, json={"description": "neu"})
    assert r.status_code == 200, r.text
    new_etag = r.headers["etag"]
    assert new_etag != etag and new_etag == client.get(url, headers=admin).headers["etag"]
    # The old tag is now stale; the new one works.
    assert_problem(client.patch(url, headers={**admin, "If-Match": etag}, json={"description": "x"}),
                   412)
    assert client.patch(url, headers={**admin, "If-Match": new_etag},
                        json={"description": "y"}).status_code == 200


@pytest.mark.parametrize("header", ["*", 'W/"alliance-{id}-v1"', '"other", "alliance-{id}-v1"'])
def test_if_match_accepts_star_weak_and_lists(client: TestClient, admin: dict[str, str],
                                              alliance: Alliance, header: str) -> None:
    r = client.patch(f"{API}/{alliance.id}", headers={**admin, "If-Match": header.format(id=alliance.id)},
                     json={"description": "ok"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("header", ['"alliance-{id}-v2"', '"user-{id}-v1"', "garbage", '""'])
def test_if_match_that_does_not_match_is_412(client: TestClient, admin: dict[str, str],
                                             alliance: Alliance, header: str) -> None:
    r = client.patch(f"{API}/{alliance.id}", headers={**admin, "If-Match": header.format(id=alliance.id)},
                     json={"description": "no"})
    assert_problem(r, 412, "precondition_failed")


def test_without_if_match_the_write_is_allowed(client: TestClient, admin: dict[str, str],
                                               alliance: Alliance) -> None:
    assert client.patch(f"{API}/{alliance.id}", headers=admin,
                        json={"description": "ohne If-Match"}).status_code == 200


def test_stale_if_match_on_delete_is_412_and_keeps_the_alliance(
    client: TestClient, admin: dict[str, str], alliance: Alliance
) -> None:
    url = f"{API}/{alliance.id}"
    stale = client.get(url, headers=admin).headers["etag"]
    client.patch(url, headers=admin, json={"description": "changed"})
    assert_problem(client.delete(url, headers={**admin, "If-Match": stale}), 412)
    assert client.get(url, headers=admin).status_code == 200
    current = client.get(url, headers=admin).headers["etag"]
    assert client.delete(url, headers={**admin, "If-Match": current}).status_code == 204
    assert_problem(client.get(url, headers=admin), 404)


# --- delete ----------------------------------------------------------------------------------


def test_alliance_without_history_is_really_deleted(client: TestClient, admin: dict[str, str],
                                                    alliance: Alliance, session: Session) -> None:
    url = f"{API}/{alliance.id}"
    r = client.delete(url, headers=admin)
    assert r.status_code == 204 and r.content == b""
    assert r.headers["x-outcome"] == "deleted"
    assert_problem(client.get(url, headers=admin), 404, "alliance_not_found")
    assert (count(session), count(session, AlliancePartner), count(session, AllianceContact)) == (
        0, 0, 0)
    assert_problem(client.delete(url, headers=admin), 404)


def test_alliance_with_a_user_is_dissolved_not_erased(
    client: TestClient, admin: dict[str, str], alliance: Alliance, session: Session
) -> None:
    member = factories.make_user(session, Role.alliance_user, alliance)
    url = f"{API}/{alliance.id}"
    r = client.delete(url, headers=admin)
    assert (r.status_code, r.headers["x-outcome"]) == (204, "dissolved")
    body = client.get(url, headers=admin).json()
    assert (body["status"], body["listed_in_finder"], body["version"]) == ("dissolved", False, 2)
    assert body["contacts"] and body["partners"], "history keeps its records"
    session.expire_all()
    bound = session.get(User, member.id)
    assert bound is not None and bound.alliance_id == alliance.id
    # Deleting again is idempotent: still dissolved, no new version.
    again = client.delete(url, headers=admin)
    assert (again.status_code, again.headers["x-outcome"]) == (204, "dissolved")
    assert client.get(url, headers=admin).json()["version"] == 2


def test_alliance_with_a_survey_response_is_dissolved(
    client: TestClient, admin: dict[str, str], alliance: Alliance, session: Session
) -> None:
    factories.make_response(session, factories.make_cycle(session), alliance)
    r = client.delete(f"{API}/{alliance.id}", headers=admin)
    assert (r.status_code, r.headers["x-outcome"]) == (204, "dissolved")


def test_reference_the_metadata_does_not_know_still_dissolves(
    client: TestClient, admin: dict[str, str], alliance: Alliance, session: Session
) -> None:
    """A table of a newer migration points at the alliance: the database refuses the delete,
    and the alliance is dissolved instead of the request failing with a 500."""
    connection = session.connection()
    connection.execute(text(
        "CREATE TABLE legacy_note (id INTEGER PRIMARY KEY, "
        "alliance_id INTEGER NOT NULL REFERENCES alliance (id) ON DELETE RESTRICT)"))
    connection.execute(text("INSERT INTO legacy_note (id, alliance_id) VALUES (1, :a)"),
                       {"a": alliance.id})
    session.commit()
    r = client.delete(f"{API}/{alliance.id}", headers=admin)
    assert (r.status_code, r.headers.get("x-outcome")) == (204, "dissolved"), r.text
    body = client.get(f"{API}/{alliance.id}", headers=admin).json()
    assert body["status"] == "dissolved" and len(body["partners"]) == 2


def test_api_client_allowance_is_no_history(client: TestClient, admin: dict[str, str],
                                            alliance: Alliance, session: Session) -> None:
    factories.make_client(session, alliances=[alliance])
    r = client.delete(f"{API}/{alliance.id}", headers=admin)
    assert (r.status_code, r.headers["x-outcome"]) == (204, "deleted")
    assert session.exec(select(Alliance)).first() is None


def test_a_contact_can_decline_mail_and_the_flag_must_be_a_boolean(client, admin, alliance):
    url = f"/api/v1/alliances/{alliance.id}"
    contacts = [{"name": "Erika Muster", "email": "erika@example.org", "accepts_mail": False},
                {"name": "Max Muster", "email": "max@example.org"}]
    r = client.patch(url, headers=admin, json={"contacts": contacts})
    assert r.status_code == 200, r.text
    assert [c["accepts_mail"] for c in r.json()["contacts"]] == [False, True]
    assert [c["accepts_mail"] for c in client.get(url, headers=admin).json()["contacts"]] == [False, True]
    refused = client.patch(url, headers=admin, json={"contacts": [
        {"name": "Erika Muster", "email": "erika@example.org", "accepts_mail": "nein"}]})
    assert ["body", "contacts", 0, "accepts_mail"] in error_locs(assert_problem(refused, 422))
