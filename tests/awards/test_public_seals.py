"""GET /public/seals: the public seal registry, and the eligibility helpers built on awards."""

from datetime import date

import pytest
from sqlmodel import col, select

from app.alliances.models import Alliance
from app.awards.service import holds_seal, seal_holder_ids_query
from app.cycles.models import CycleStatus
from tests import factories
from tests.utils.problems import assert_problem

PUBLIC_FIELDS = {"alliance_name", "alliance_slug", "municipality", "state", "cycle_key", "title",
                 "awarded_on"}


@pytest.fixture
def registry(session):
    past = factories.make_cycle(session, key="2023/24-reg", slug="2023-24-reg", status=CycleStatus.archived,
                                seal_title="Ausgezeichnetes Bündnis 2023/24", ceremony_on=date(2023, 11, 24))
    now = factories.make_cycle(session, status=CycleStatus.awarded, seal_title="Ausgezeichnetes Bündnis 2024/25",
                               ceremony_on=date(2024, 11, 22))
    bayern = factories.make_alliance(session, name="Bündnis Aschaffenburg", state="DE-BY")
    nrw = factories.make_alliance(session, name="Bündnis Bielefeld", state="DE-NW")
    saxony = factories.make_alliance(session, name="Bündnis Chemnitz", state="DE-SN")
    factories.make_award(session, past, bayern)
    factories.make_award(session, past, nrw)
    factories.make_award(session, now, saxony)
    factories.make_award(session, now, nrw, status="withdrawn", reason="Zurückgezogen")
    return {"past": past, "now": now, "bayern": bayern, "nrw": nrw, "saxony": saxony}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["alliance_name"] for item in response.json()["items"]]


def test_registry_lists_confirmed_seals_without_personal_data(client, registry):
    r = client.get("/api/v1/public/seals", params={"limit": 100})
    items = [i for i in r.json()["items"] if i["alliance_slug"] in {a.slug for a in (
        registry["bayern"], registry["nrw"], registry["saxony"])}]
    assert [(i["alliance_name"], i["cycle_key"]) for i in items] == [
        ("Bündnis Aschaffenburg", "2023/24-reg"), ("Bündnis Bielefeld", "2023/24-reg"),
        ("Bündnis Chemnitz", registry["now"].key),
    ]  # the withdrawn 2024/25 award of Bielefeld is not listed
    assert all(set(i) == PUBLIC_FIELDS for i in items)
    assert "Kontakt" not in r.text and "@example.org" not in r.text and "verification" not in r.text
    assert items[0]["title"] == "Ausgezeichnetes Bündnis 2023/24" and items[0]["awarded_on"] == "2023-11-24"


def test_registry_filters_by_cycle_and_state(client, registry):
    assert _names(client.get("/api/v1/public/seals", params={"cycle": "2023/24-reg"})) == [
        "Bündnis Aschaffenburg", "Bündnis Bielefeld"]
    assert _names(client.get("/api/v1/public/seals", params={"cycle": "2023-24-reg", "state": "DE-NW"})) == [
        "Bündnis Bielefeld"]
    assert _names(client.get("/api/v1/public/seals", params={"cycle": registry["now"].slug})) == [
        "Bündnis Chemnitz"]


def test_registry_pages_with_a_cursor(client, registry):
    first = client.get("/api/v1/public/seals", params={"cycle": "2023/24-reg", "limit": 1,
                                                       "include_total": True})
    assert _names(first) == ["Bündnis Aschaffenburg"] and first.json()["total"] == 2
    assert 'rel="next"' in first.headers["link"]
    second = client.get("/api/v1/public/seals", params={"cycle": "2023/24-reg", "limit": 1,
                                                        "cursor": first.json()["next_cursor"]})
    assert _names(second) == ["Bündnis Bielefeld"] and second.json()["next_cursor"] is None


@pytest.mark.parametrize(("params", "loc"), [
    ({"cycle": "1999/00"}, ["query", "cycle"]),
    ({"state": "BY"}, ["query", "state"]),
    ({"limit": 0}, ["query", "limit"]),
    ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
])
def test_registry_bad_filters(client, registry, params, loc):
    problem = assert_problem(client.get("/api/v1/public/seals", params=params), 422)
    assert loc in [e["loc"] for e in problem["errors"]]


def test_seal_holders_are_those_with_a_standing_award(session, registry):
    assert holds_seal(session, registry["bayern"].id)
    assert holds_seal(session, registry["nrw"].id)  # its 2023/24 seal stands
    never = factories.make_alliance(session)
    assert not holds_seal(session, never.id)
    only_withdrawn = factories.make_alliance(session)
    factories.make_award(session, registry["past"], only_withdrawn, status="withdrawn")
    assert not holds_seal(session, only_withdrawn.id)

    candidates = [registry["bayern"].id, registry["saxony"].id, never.id, only_withdrawn.id]
    not_holding = session.exec(select(Alliance.id).where(
        col(Alliance.id).in_(candidates), col(Alliance.id).not_in(seal_holder_ids_query()))).all()
    assert sorted(not_holding) == sorted([never.id, only_withdrawn.id])


def test_registry_pages_through_equal_names_and_two_seals_of_one_alliance(client, session, registry):
    """Page by page (one item each) gives the same list as one page: by alliance name, then by
    award, across two alliances of the same name and an alliance with a seal in two cycles."""
    twin = factories.make_alliance(session, name="Bündnis Bielefeld", state="DE-NW")
    factories.make_award(session, registry["now"], twin)
    factories.make_award(session, registry["past"], twin)
    whole = client.get("/api/v1/public/seals", params={"limit": 100}).json()["items"]
    walked, cursor = [], None
    for _ in range(len(whole) + 1):
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/public/seals", params=params)
        assert page.status_code == 200, page.text
        walked += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert walked == whole
    names = [item["alliance_name"] for item in whole]
    assert names == sorted(names)
    bielefeld = [(i["alliance_slug"], i["cycle_key"]) for i in whole if i["alliance_name"] == "Bündnis Bielefeld"]
    assert sorted(bielefeld) == sorted([(registry["nrw"].slug, "2023/24-reg"), (twin.slug, "2023/24-reg"),
                                        (twin.slug, registry["now"].key)])
