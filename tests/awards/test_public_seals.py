"""GET /public/seals: the public seal registry, and the eligibility helpers built on awards."""

from datetime import date

import pytest
from sqlmodel import col, select

from app.alliances.models import Alliance
from app.awards import registry as seal_registry
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
    assert _names(client.get("/api/v1/public/seals", params={"cycle": str(registry["now"].id)})) == [
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
    ({"cycle": "99999999999"}, ["query", "cycle"]),
    ({"cycle": "²"}, ["query", "cycle"]),
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


@pytest.fixture
def crowded_registry(session):
    """Seals spread so that a page's alliances must be chosen with the filters: equal names,
    several seals per alliance, alliances whose seals are all of another cycle, another Land
    or withdrawn, interleaved by name."""
    cycles = [factories.make_cycle(session, status=CycleStatus.awarded, ceremony_on=date(2020 + i, 11, 20))
              for i in range(3)]
    plan = [  # name, Land, status per cycle (None: no award)
        ("Bündnis Aue", "DE-SN", ["confirmed", "confirmed", None]),
        ("Bündnis Berg", "DE-BY", [None, None, "withdrawn"]),
        ("Bündnis Celle", "DE-NI", [None, None, "confirmed"]),
        ("Bündnis Celle", "DE-SN", ["confirmed", None, "confirmed"]),
        ("Bündnis Celle", "DE-SN", [None, "confirmed", None]),
        ("Bündnis Dorf", "DE-BY", ["withdrawn", "confirmed", "confirmed"]),
        ("Bündnis Eck", "DE-SN", [None, None, None]),
        ("Bündnis Fels", "DE-NI", ["confirmed", "confirmed", "confirmed"]),
        ("Bündnis Gera", "DE-SN", [None, None, "confirmed"]),
        ("Bündnis Hof", "DE-BY", ["confirmed", None, None]),
    ]
    for name, state, statuses in plan:
        alliance = factories.make_alliance(session, name=name, state=state)
        for cycle, status in zip(cycles, statuses, strict=True):
            if status == "confirmed":
                factories.make_award(session, cycle, alliance)
            elif status == "withdrawn":
                factories.make_award(session, cycle, alliance, status="withdrawn", reason="Zurückgezogen")
    return cycles


def _expected_registry(session, cycle=None, state=None) -> list[tuple[str, str, str]]:
    """The registry worked out independently: confirmed awards by alliance name, alliance, award."""
    from app.awards.models import Award, AwardStatus
    from app.cycles.models import AwardCycle

    rows = session.exec(select(Award, Alliance, AwardCycle)
                        .where(Award.alliance_id == Alliance.id, Award.cycle_id == AwardCycle.id)).all()
    chosen = [(alliance.name, alliance.id, award.id, alliance.slug, award_cycle.key)
              for award, alliance, award_cycle in rows
              if award.status == AwardStatus.confirmed
              and (cycle is None or award_cycle.id == cycle.id)
              and (state is None or alliance.state == state)]
    return [(name, slug, key) for name, _, _, slug, key in sorted(chosen)]


def _walk(client, params: dict, limit: int) -> list[tuple[str, str, str]]:
    walked, cursor, pages = [], None, 0
    while True:
        page = client.get("/api/v1/public/seals", params=params | {"limit": limit} | (
            {"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        pages += 1
        assert len(body["items"]) == limit or body["next_cursor"] is None, body  # no short page mid-way
        walked += [(i["alliance_name"], i["alliance_slug"], i["cycle_key"]) for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return walked
        assert pages < 50, "the cursor does not advance"


@pytest.mark.parametrize("form", ["walk", "few-seals"])
@pytest.mark.parametrize("limit", [1, 2, 3, 100])
@pytest.mark.parametrize("chosen", ["all", "cycle", "state", "cycle+state"])
def test_registry_pages_give_every_seal_once_under_every_filter(client, session, crowded_registry,
                                                               limit, chosen, form, monkeypatch):
    """Both forms of the page (alliances walked by name; a cycle's few seals sorted) give the
    same, complete list."""
    monkeypatch.setattr(seal_registry, "FEW_SEALS", 0 if form == "walk" else 10**6)
    cycle = crowded_registry[2] if "cycle" in chosen else None
    state = "DE-SN" if "state" in chosen else None
    params = ({"cycle": cycle.key} if cycle else {}) | ({"state": state} if state else {})
    expected = _expected_registry(session, cycle, state)
    assert expected, "the fixture leaves seals under every filter"
    assert _walk(client, params, limit) == expected
    total = client.get("/api/v1/public/seals", params=params | {"limit": 1, "include_total": True})
    assert total.json()["total"] == len(expected)


@pytest.mark.parametrize("limit", [1, 2])
def test_registry_page_after_an_alliance_with_no_seals_left_is_full(client, session, crowded_registry,
                                                                     limit):
    """The cursor ends on an alliance's last seal: the next page is still full, and not the last
    (with one alliance too few picked after a cursor, the one-seal page here came out as the last)."""
    first = client.get("/api/v1/public/seals", params={"limit": 2}).json()
    assert [i["alliance_name"] for i in first["items"]] == ["Bündnis Aue", "Bündnis Aue"]
    second = client.get("/api/v1/public/seals", params={"limit": limit, "cursor": first["next_cursor"]})
    assert [i["alliance_name"] for i in second.json()["items"]] == ["Bündnis Celle"] * limit
    assert second.json()["next_cursor"] is not None


@pytest.mark.parametrize("values", [
    ["Bündnis Aue", 1],  # the two-value cursor of the registry before 2026-12
    ["Bündnis Aue", "1", 2],
    ["Bündnis Aue", 1, 2**70],
    [None, 1, 2],
    ["Bündnis\u0000Aue", 1, 2],  # PostgreSQL refuses NUL in text: a 422, not a database error
    ["\ud800", 1, 2],  # a lone surrogate has no UTF-8 form: a 422, not a driver error
    [1, 2, 3],
    ["Bündnis Aue", 1, 2, 3],
])
def test_registry_refuses_a_tampered_cursor(client, crowded_registry, values):
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    problem = assert_problem(client.get("/api/v1/public/seals", params={"cursor": cursor}), 422)
    assert [e["loc"] for e in problem["errors"]] == [["query", "cursor"]]


def test_registry_of_a_cycle_without_standing_seals_is_empty(client, session, crowded_registry):
    before_ceremony = factories.make_cycle(session, status=CycleStatus.evaluated)
    withdrawn_only = factories.make_cycle(session, status=CycleStatus.awarded)
    factories.make_award(session, withdrawn_only, factories.make_alliance(session, name="Bündnis Aue"),
                         status="withdrawn", reason="Zurückgezogen")
    for cycle in (before_ceremony, withdrawn_only):
        page = client.get("/api/v1/public/seals", params={"cycle": cycle.key, "include_total": True})
        assert page.status_code == 200, page.text
        assert page.json() == {"items": [], "next_cursor": None, "total": 0}
