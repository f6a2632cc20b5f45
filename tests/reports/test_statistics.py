"""GET /cycles/{cycle}/statistics against a hand-built world whose every number is known."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.alliances.models import Alliance
from app.alliances.states import STATE_NAMES
from app.awards.models import AwardStatus
from app.core.db import utcnow
from app.cycles.models import AwardCycle, CycleStatus
from app.surveys.models import ResponseMode
from tests import factories
from tests.reports.helpers import WEAK_ANSWERS, cycle_url, evaluate, make_notice
from tests.utils.problems import assert_problem

ZERO = {"eligible": 0, "notified": 0, "not_reached": 0, "responded": 0, "submitted": 0,
        "wants_future_project": 0, "meeting_criteria": 0, "invited_to_future_project": 0,
        "awarded": 0}


@dataclass
class World:
    cycle: AwardCycle
    alliances: dict[str, Alliance]
    run_id: int


@pytest.fixture
def world(client, admin, session: Session, cycle: AwardCycle) -> World:
    make = factories.make_alliance
    a = {
        # eligible, notified, submitted online, wants Projekt Zukunft, meets, awarded here
        "winner": make(session, state="DE-BY", name="Lokales Bündnis für Familie Fürth"),
        # eligible, notified, phone interview, no Projekt Zukunft, meets the criteria
        "phone": make(session, state="DE-NW", name="Bündnis Hamm"),
        # eligible, only a queued notice (not reached), pushed by a partner, fails the criteria
        "partner": make(session, state="DE-SN"),
        # eligible, a failed and a sent notice (reached), only a draft
        "draft": make(session, state="DE-BY"),
        # eligible, only a failed notice here and a sent one in another cycle: not reached
        "missing": make(session, state="DE-HE"),
        # eligible, no notice; the Servicebüro entered the answers; submitted after run 1
        "late": make(session, state="DE-BE"),
        # eligible: its earlier seal was withdrawn
        "withdrawn_seal": make(session, state="DE-SH"),
        # not eligible: holds the seal of an earlier cycle (a sent notice does not count)
        "seal_holder": make(session, state="DE-BY"),
        # not eligible: dissolved
        "dissolved": make(session, state="DE-TH", status="dissolved"),
    }
    earlier = factories.make_cycle(session, status=CycleStatus.archived)
    factories.make_award(session, earlier, a["seal_holder"])
    factories.make_award(session, earlier, a["withdrawn_seal"], status=AwardStatus.withdrawn)

    for name in ("winner", "phone", "seal_holder"):
        make_notice(session, cycle, a[name].id)
    make_notice(session, cycle, a["partner"].id, status="queued")
    make_notice(session, cycle, a["draft"].id, status="failed")
    make_notice(session, cycle, a["draft"].id)
    make_notice(session, cycle, a["missing"].id, status="failed")
    make_notice(session, earlier, a["missing"].id)

    scored = factories.make_scored_response
    scored(session, cycle, a["winner"])
    scored(session, cycle, a["phone"], mode=ResponseMode.phone_interview,
           wants_future_project=False)
    scored(session, cycle, a["partner"], answers=WEAK_ANSWERS, mode=ResponseMode.partner_import)
    factories.make_response(session, cycle, a["draft"], submitted=False)
    evaluate(client, admin, cycle)
    # Submitted after the first run: counted by the second, latest one.
    scored(session, cycle, a["late"], mode=ResponseMode.admin_entry)
    run = evaluate(client, admin, cycle)

    factories.make_award(session, cycle, a["winner"])
    factories.make_award(session, cycle, a["phone"], status=AwardStatus.withdrawn)
    return World(cycle=cycle, alliances=a, run_id=run["id"])


def get_stats(client, headers, cycle: AwardCycle | str) -> dict[str, Any]:
    r = client.get(cycle_url(cycle, "statistics"), headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_totals_follow_the_funnel(client, admin, world):
    body = get_stats(client, admin, world.cycle)
    assert body["totals"] == {
        "eligible": 7,  # seal holder and dissolved alliance left out; the winner stays in
        "notified": 3,  # winner, phone, draft (sent); the seal holder's notice is not counted
        "not_reached": 4,  # partner (queued), missing (failed), late, withdrawn_seal
        "responded": 5,
        "submitted": 4,
        "wants_future_project": 3,  # phone said no; the draft's yes does not count
        "meeting_criteria": 3,  # latest run: winner, phone, late (partner fails)
        "invited_to_future_project": 2,  # winner, late (phone does not want it)
        "awarded": 1,  # the withdrawn award does not count
    }
    assert body["cycle"] == {"id": world.cycle.id, "key": world.cycle.key,
                             "slug": world.cycle.slug, "status": "survey_closed"}  # runs do not move it
    assert body["evaluation_run_id"] == world.run_id
    assert body["evaluated_at"] is not None
    assert body["generated_at"]


def test_by_state_lists_all_sixteen_laender_with_german_names(client, admin, world):
    rows = get_stats(client, admin, world.cycle)["by_state"]
    assert [(r["state"], r["name"]) for r in rows] == list(STATE_NAMES.items())
    by_state = {r.pop("state"): r for r in rows}
    assert by_state["DE-BW"]["name"] == "Baden-Württemberg"
    assert by_state["DE-TH"]["name"] == "Thüringen"
    for row in by_state.values():
        row.pop("name")
    assert by_state["DE-BY"] == {**ZERO, "eligible": 2, "notified": 2, "responded": 2,
                                 "submitted": 1, "wants_future_project": 1,
                                 "meeting_criteria": 1, "invited_to_future_project": 1,
                                 "awarded": 1}
    assert by_state["DE-NW"] == {**ZERO, "eligible": 1, "notified": 1, "responded": 1,
                                 "submitted": 1, "meeting_criteria": 1}
    assert by_state["DE-SN"] == {**ZERO, "eligible": 1, "not_reached": 1, "responded": 1,
                                 "submitted": 1, "wants_future_project": 1}
    assert by_state["DE-HE"] == {**ZERO, "eligible": 1, "not_reached": 1}
    assert by_state["DE-BE"] == {**ZERO, "eligible": 1, "not_reached": 1, "responded": 1,
                                 "submitted": 1, "wants_future_project": 1,
                                 "meeting_criteria": 1, "invited_to_future_project": 1}
    assert by_state["DE-SH"] == {**ZERO, "eligible": 1, "not_reached": 1}
    assert by_state["DE-TH"] == ZERO, "a dissolved alliance counts nowhere"
    for code in set(STATE_NAMES) - {"DE-BY", "DE-NW", "DE-SN", "DE-HE", "DE-BE", "DE-SH"}:
        assert by_state[code] == ZERO, code


def test_by_mode_counts_every_mode(client, admin, world):
    rows = get_stats(client, admin, world.cycle)["by_mode"]
    assert [r["mode"] for r in rows] == ["online", "phone_interview", "partner_import", "admin_entry"]
    by_mode = {r.pop("mode"): r for r in rows}
    none = {k: 0 for k in ZERO if k not in ("eligible", "notified", "not_reached")}
    assert by_mode["online"] == {**none, "responded": 2, "submitted": 1, "wants_future_project": 1,
                                 "meeting_criteria": 1, "invited_to_future_project": 1,
                                 "awarded": 1}
    assert by_mode["phone_interview"] == {**none, "responded": 1, "submitted": 1,
                                          "meeting_criteria": 1}
    assert by_mode["partner_import"] == {**none, "responded": 1, "submitted": 1,
                                         "wants_future_project": 1}
    assert by_mode["admin_entry"] == {**none, "responded": 1, "submitted": 1,
                                      "wants_future_project": 1, "meeting_criteria": 1,
                                      "invited_to_future_project": 1}


def test_states_and_modes_add_up_to_the_totals(client, admin, world):
    body = get_stats(client, admin, world.cycle)
    for field, total in body["totals"].items():
        assert sum(r[field] for r in body["by_state"]) == total, field
        if field not in ("eligible", "notified", "not_reached"):
            assert sum(r[field] for r in body["by_mode"]) == total, field


def test_the_cycle_is_found_by_id_as_well_as_by_slug(client, admin, world):
    by_slug = get_stats(client, admin, world.cycle.slug)
    assert get_stats(client, admin, str(world.cycle.id))["totals"] == by_slug["totals"]


def test_a_fresh_cycle_counts_only_who_is_eligible(client, admin, session, alliance, other_alliance):
    cycle = factories.make_cycle(session)
    body = get_stats(client, admin, cycle)
    assert body["evaluation_run_id"] is None and body["evaluated_at"] is None
    assert body["totals"] == {**ZERO, "eligible": 2, "not_reached": 2}
    assert len(body["by_state"]) == 16
    assert all(r[k] == 0 for r in body["by_mode"] for k in r if k != "mode")


def test_an_award_added_by_hand_without_response_counts_in_no_mode(client, admin, session, cycle):
    alliance = factories.make_alliance(session, state="DE-RP")
    factories.make_award(session, cycle, alliance, reason="Nachträglich ausgezeichnet")
    body = get_stats(client, admin, cycle)
    assert body["totals"]["awarded"] == 1
    assert body["totals"]["eligible"] == 1, "awarded in this very cycle: still counted as asked"
    assert next(r for r in body["by_state"] if r["state"] == "DE-RP")["awarded"] == 1
    assert sum(r["awarded"] for r in body["by_mode"]) == 0


def test_a_seal_of_this_cycle_does_not_make_the_alliance_drop_out_of_other_cycles_counts(
    client, admin, session, cycle,
):
    """Its seal from ``cycle`` makes the alliance a seal holder for a later cycle."""
    alliance = factories.make_alliance(session)
    factories.make_award(session, cycle, alliance)
    later = factories.make_cycle(session)
    assert get_stats(client, admin, cycle)["totals"]["eligible"] == 1
    assert get_stats(client, admin, later)["totals"]["eligible"] == 0


def test_a_handful_of_queries_whatever_the_number_of_alliances(client, admin, session, engine, cycle):
    for n in range(12):
        alliance = factories.make_alliance(session, state=list(STATE_NAMES)[n % 16])
        factories.make_scored_response(session, cycle, alliance)
        make_notice(session, cycle, alliance.id)
    evaluate(client, admin, cycle)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        body = get_stats(client, admin, cycle)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert body["totals"]["submitted"] == 12
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # principal + cycle + latest run + the four aggregates + event participation (+ a little
    # slack for auth lookups)
    assert 4 <= len(selects) <= 10, selects


# --- wrong callers and bad input ----------------------------------------------------------------

def test_anonymous_is_refused(client, cycle):
    assert_problem(client.get(cycle_url(cycle, "statistics")), 401)


def test_alliance_user_is_refused(client, cycle, alliance, alliance_user):
    assert_problem(client.get(cycle_url(cycle, "statistics"), headers=alliance_user(alliance)), 403)


def test_client_is_refused_whatever_its_scopes(client, session, cycle):
    everything = factories.make_client(session, scopes=("alliances:read", "surveys:read",
                                                        "surveys:write"))
    r = client.get(cycle_url(cycle, "statistics"), headers=factories.client_headers(everything))
    assert_problem(r, 403)


def test_unknown_cycle_is_404(client, admin):
    assert_problem(client.get(cycle_url("1999-00", "statistics"), headers=admin), 404,
                   "cycle_not_found")


def test_overlong_cycle_reference_is_422_naming_it(client, admin):
    body = assert_problem(client.get(cycle_url("x" * 21, "statistics"), headers=admin), 422)
    assert ["path", "cycle"] in [e["loc"] for e in body["errors"]]


def test_a_past_cycle_imported_with_its_seals_reports_them(client, admin, session):
    """A past cycle imported with its seals (no survey of its own) still reports its awards."""
    past = factories.make_cycle(session, status=CycleStatus.archived, ceremony_on=date(2023, 11, 24))
    for state in ("DE-BY", "DE-BY", "DE-NW"):
        factories.make_award(session, past, factories.make_alliance(session, state=state))
    body = get_stats(client, admin, past)
    assert body["totals"]["awarded"] == 3
    assert body["totals"]["responded"] == 0
    by_state = {r["state"]: r["awarded"] for r in body["by_state"]}
    assert (by_state["DE-BY"], by_state["DE-NW"]) == (2, 1)


def test_an_alliance_with_a_state_outside_the_sixteen_still_counts_in_the_totals(
    client, admin, session, cycle,
):
    factories.make_alliance(session, state="DE-XX")  # e.g. a legacy row written before checks
    body = get_stats(client, admin, cycle)
    assert body["totals"]["eligible"] == 1
    assert [r["state"] for r in body["by_state"]] == list(STATE_NAMES)
    assert sum(r["eligible"] for r in body["by_state"]) == 0


# --- Projekt Zukunft events ---------------------------------------------------------------------

def test_alliances_taking_part_in_projekt_zukunft_events_are_counted(client, admin, session,
                                                                      cycle):
    a, b, c, d = (factories.make_alliance(session) for _ in range(4))
    past = utcnow() - timedelta(days=3)
    workshop = factories.make_event(session, cycle_id=cycle.id, starts_at=past,
                                    ends_at=past + timedelta(hours=5))
    exchange = factories.make_event(session, cycle_id=cycle.id, kind="exchange", venue="online")
    ceremony = factories.make_event(session, cycle_id=cycle.id, kind="ceremony")
    cancelled = factories.make_event(session, cycle_id=cycle.id, status="cancelled")
    draft = factories.make_event(session, cycle_id=cycle.id, status="draft")
    elsewhere = factories.make_event(session, cycle_id=factories.make_cycle(session).id)
    factories.make_delegate(session, workshop, a, attendance="attended")
    factories.make_delegate(session, workshop, a, attendance="attended")
    factories.make_delegate(session, workshop, b, attendance="no_show")
    factories.make_delegate(session, exchange, b)
    factories.make_delegate(session, exchange, c, status="waitlisted")
    factories.make_delegate(session, exchange, d, status="withdrawn")
    for other in (ceremony, cancelled, draft, elsewhere):
        factories.make_delegate(session, other, c, attendance="attended")

    body = get_stats(client, admin, cycle)

    assert body["future_project_events"] == {"events": 2, "alliances_registered": 2,
                                             "alliances_attended": 1}


def test_a_cycle_without_events_counts_none(client, admin, session):
    body = get_stats(client, admin, factories.make_cycle(session))
    assert body["future_project_events"] == {"events": 0, "alliances_registered": 0,
                                             "alliances_attended": 0}
