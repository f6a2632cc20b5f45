"""Confirming, adding, withdrawing and reading awards."""

import re
from datetime import date

import pytest
from sqlmodel import select

from app.awards.models import Award
from app.cycles.models import AwardCycle, CycleStatus
from tests import factories
from tests.awards.helpers import award_of, confirm, cycle_url
from tests.utils.problems import assert_problem

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
REASON = {"reason": "Nachträglich anerkannt nach Prüfung der Umfrage"}


def test_confirm_awards_everyone_meeting_the_criteria(client, admin, admin_account, session, cycle,
                                                      shortlist):
    report = confirm(client, admin, cycle)
    assert (report["created"], report["unchanged"], report["skipped_withdrawn"]) == (2, 0, [])
    assert report["awarded_on"] == "2024-11-22"  # the ceremony date
    assert {a["alliance"]["id"] for a in report["awards"]} == {a.id for a in shortlist["meets"]}
    award = award_of(report, shortlist["third"])
    assert award["title"] == "Ausgezeichnetes Bündnis 2024/25"
    assert award["status"] == "confirmed"
    assert award["cycle_key"] == cycle.key
    assert award["confirmed_by"] == f"user:{admin_account.id}"
    assert CODE.match(award["verification_code"])
    assert award["verification_url"].endswith(f"/api/v1/public/seals/verify/{award['verification_code']}")
    assert award["alliance"]["municipality"] == "Leipzig"
    # Moving the cycle on to "awarded" stays the Servicebüro's explicit step.
    session.expire_all()
    assert session.get(AwardCycle, cycle.id).status == CycleStatus.evaluated


def test_confirming_twice_changes_nothing(client, admin, session, cycle, shortlist):
    first = confirm(client, admin, cycle)
    again = confirm(client, admin, cycle, {"awarded_on": "2024-12-01"})
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert again["awards"] == first["awards"]
    assert len(session.exec(select(Award).where(Award.cycle_id == cycle.id)).all()) == 2


def test_confirm_chosen_alliances_on_a_chosen_day(client, admin, cycle, shortlist):
    third = shortlist["third"]
    report = confirm(client, admin, cycle, {"alliance_ids": [third.id], "awarded_on": "2024-11-29"})
    assert [(a["alliance"]["id"], a["awarded_on"]) for a in report["awards"]] == [(third.id, "2024-11-29")]


def test_only_shortlisted_alliances_can_be_confirmed(client, admin, session, cycle, shortlist):
    good, bad = shortlist["meets"][0], shortlist["fails"]
    r = client.post(cycle_url(cycle, "awards:confirm"), headers=admin,
                    json={"alliance_ids": [good.id, bad.id, good.id]})
    problem = assert_problem(r, 422, "rule_violation")
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "alliance_ids", 1], "not_shortlisted"),
        (["body", "alliance_ids", 2], "duplicate"),
    ]
    assert session.exec(select(Award).where(Award.cycle_id == cycle.id)).first() is None


@pytest.mark.parametrize(("body", "loc"), [
    ({"alliance_ids": "all"}, ["body", "alliance_ids"]),
    ({"awarded_on": "22.11.2024"}, ["body", "awarded_on"]),
    ({"title": "Anderes Siegel"}, ["body", "title"]),
])
def test_confirm_bad_input(client, admin, cycle, shortlist, body, loc):
    problem = assert_problem(client.post(cycle_url(cycle, "awards:confirm"), headers=admin, json=body), 422)
    assert loc in [e["loc"] for e in problem["errors"]]


def test_confirm_needs_an_evaluation_and_the_right_status(client, admin, session):
    never_evaluated = factories.make_cycle(session, status=CycleStatus.evaluated, ceremony_on=date(2024, 11, 22))
    assert_problem(client.post(cycle_url(never_evaluated, "awards:confirm"), headers=admin, json={}),
                   409, "not_evaluated")
    open_survey = factories.make_cycle(session, status=CycleStatus.survey_open)
    problem = assert_problem(client.post(cycle_url(open_survey, "awards:confirm"), headers=admin, json={}),
                             409, "awards_not_allowed")
    assert problem["allowed_statuses"] == ["evaluated", "awarded"]
    assert_problem(client.post("/api/v1/cycles/1999-00/awards:confirm", headers=admin, json={}), 404)


def test_without_a_ceremony_date_awarded_on_is_required(client, admin, session, cycle, shortlist):
    cycle.ceremony_on = None
    session.add(cycle)
    session.commit()
    problem = assert_problem(client.post(cycle_url(cycle, "awards:confirm"), headers=admin, json={}), 422)
    assert problem["errors"][0]["loc"] == ["body", "awarded_on"]
    assert confirm(client, admin, cycle, {"awarded_on": "2024-11-22"})["created"] == 2


def test_add_one_by_hand_with_a_reason(client, admin, session, cycle, shortlist):
    outsider = shortlist["fails"]
    r = client.post(cycle_url(cycle, "awards"), headers=admin, json={"alliance_id": outsider.id, **REASON})
    assert r.status_code == 201, r.text
    award = r.json()
    assert award["reason"] == REASON["reason"] and award["awarded_on"] == "2024-11-22"
    assert r.headers["location"] == f"/api/v1/awards/{award['id']}"
    again = client.post(cycle_url(cycle, "awards"), headers=admin, json={"alliance_id": outsider.id, **REASON})
    assert assert_problem(again, 409, "award_exists")["award_id"] == award["id"]


def test_add_refuses_unknown_and_dissolved_alliances(client, admin, session, cycle, shortlist):
    dissolved = factories.make_alliance(session, status="dissolved")
    for alliance_id, error_type in ((dissolved.id, "dissolved"), (987654, "not_found")):
        problem = assert_problem(client.post(cycle_url(cycle, "awards"), headers=admin,
                                             json={"alliance_id": alliance_id, **REASON}), 422)
        assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(["body", "alliance_id"], error_type)]
    problem = assert_problem(client.post(cycle_url(cycle, "awards"), headers=admin,
                                         json={"alliance_id": shortlist["fails"].id}), 422)
    assert problem["errors"][0]["loc"] == ["body", "reason"]


def test_withdraw_and_re_add(client, admin, session, cycle, shortlist):
    alliance = shortlist["meets"][0]
    award = award_of(confirm(client, admin, cycle), alliance)
    etag = client.get(f"/api/v1/awards/{award['id']}", headers=admin).headers["etag"]
    r = client.post(f"/api/v1/awards/{award['id']}/withdraw", headers={**admin, "If-Match": etag},
                    json={"reason": "Das Bündnis hat sich aufgelöst."})
    assert r.status_code == 200, r.text
    withdrawn = r.json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawn_at"]
    assert withdrawn["reason"] == "Das Bündnis hat sich aufgelöst."
    assert_problem(client.post(f"/api/v1/awards/{award['id']}/withdraw", headers=admin,
                               json={"reason": "nochmal"}), 409, "award_withdrawn")
    assert_problem(client.post(f"/api/v1/awards/{award['id']}/withdraw", headers={**admin, "If-Match": etag},
                               json={"reason": "nochmal"}), 412)

    # Confirming again does not bring it back silently …
    report = confirm(client, admin, cycle)
    assert report["skipped_withdrawn"] == [alliance.id] and report["unchanged"] == 1
    # … re-adding with a reason does, on the same record and code.
    r = client.post(cycle_url(cycle, "awards"), headers=admin,
                    json={"alliance_id": alliance.id, "reason": "Auflösung war ein Irrtum"})
    assert r.status_code == 201, r.text
    back = r.json()
    assert (back["id"], back["status"], back["withdrawn_at"]) == (award["id"], "confirmed", None)
    assert back["verification_code"] == award["verification_code"]
    assert back["version"] == award["version"] + 2


def test_withdraw_bad_input_and_unknown_award(client, admin, cycle, shortlist):
    award = confirm(client, admin, cycle)["awards"][0]
    problem = assert_problem(client.post(f"/api/v1/awards/{award['id']}/withdraw", headers=admin, json={}), 422)
    assert problem["errors"][0]["loc"] == ["body", "reason"]
    assert_problem(client.post("/api/v1/awards/987654/withdraw", headers=admin, json={"reason": "weg damit"}),
                   404, "award_not_found")


def test_admins_list_all_alliance_users_their_own(client, admin, alliance_user, cycle, shortlist):
    report = confirm(client, admin, cycle)
    everything = client.get(cycle_url(cycle, "awards"), headers=admin, params={"include_total": True}).json()
    assert everything["total"] == 2
    mine = client.get(cycle_url(cycle, "awards"), headers=alliance_user(shortlist["third"])).json()["items"]
    assert [a["alliance"]["id"] for a in mine] == [shortlist["third"].id]
    assert client.get(cycle_url(cycle, "awards"), headers=alliance_user(shortlist["fails"])).json()["items"] == []
    client.post(f"/api/v1/awards/{award_of(report, shortlist['third'])['id']}/withdraw", headers=admin,
                json={"reason": "Zurückgezogen"})
    confirmed = client.get(cycle_url(cycle, "awards"), headers=admin, params={"status": "confirmed"}).json()
    assert [a["alliance"]["id"] for a in confirmed["items"]] == [shortlist["meets"][0].id]
    problem = assert_problem(client.get(cycle_url(cycle, "awards"), headers=admin, params={"status": "lost"}), 422)
    assert problem["errors"][0]["loc"] == ["query", "status"]


def test_an_award_is_readable_by_its_alliance_and_admins_only(client, admin, alliance_user, cycle, shortlist):
    award = award_of(confirm(client, admin, cycle), shortlist["third"])
    url = f"/api/v1/awards/{award['id']}"
    assert client.get(url, headers=alliance_user(shortlist["third"])).json() == award
    assert client.get(url, headers=admin).json()["id"] == award["id"]
    assert_problem(client.get(url, headers=alliance_user(shortlist["fails"])), 404, "award_not_found")


def test_wrong_callers(client, admin, alliance, alliance_user, partner, cycle, shortlist):
    award = confirm(client, admin, cycle)["awards"][0]
    writes = [
        (cycle_url(cycle, "awards:confirm"), {}),
        (cycle_url(cycle, "awards"), {"alliance_id": alliance.id, **REASON}),
        (f"/api/v1/awards/{award['id']}/withdraw", {"reason": "weg damit"}),
    ]
    for url, body in writes:
        assert_problem(client.post(url, json=body), 401)
        assert_problem(client.post(url, headers=alliance_user(alliance), json=body), 403)
        assert_problem(client.post(url, headers=partner, json=body), 403)
    for url in (cycle_url(cycle, "awards"), f"/api/v1/awards/{award['id']}"):
        assert_problem(client.get(url), 401)
        assert_problem(client.get(url, headers=partner), 403)
