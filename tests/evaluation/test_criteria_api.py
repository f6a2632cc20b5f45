"""GET/PUT /cycles/{cycle}/criteria and POST …/criteria:preview."""

import copy

import pytest
from sqlmodel import select

from app.cycles.models import CycleStatus
from app.evaluation.models import EvaluationRun, SealCriterion
from tests import factories
from tests.evaluation.helpers import WEAK_ANSWERS, cycle_url
from tests.utils.problems import assert_problem, error_locs

BODY = {"criteria": factories.STANDARD_CRITERIA}


def test_admin_replaces_the_set_and_logged_in_users_read_it(client, admin, alliance, alliance_user, cycle):
    r = client.put(cycle_url(cycle, "criteria"), headers=admin, json=BODY)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["cycle_key"] == cycle.key
    assert [c["key"] for c in saved["criteria"]] == ["networking", "visibility", "activity", "interest"]
    assert saved["criteria"][0]["rule"]["rules"][0] == {
        "kind": "group_score_at_least", "group": "networking", "min": 4.0}
    assert [c["position"] for c in saved["criteria"]] == [0, 1, 2, 3]

    r = client.get(cycle_url(cycle, "criteria"), headers=alliance_user(alliance))
    assert r.status_code == 200
    assert r.json() == saved
    assert r.headers["etag"].startswith('"criteria-')


def test_put_replaces_the_whole_set(client, admin, session, cycle):
    factories.make_criteria(session, cycle)
    new = {"criteria": [{"key": "activity", "label": "Aktive Bündnisarbeit",
                         "rule": {"kind": "total_score_at_least", "min": 15}}]}
    r = client.put(cycle_url(cycle, "criteria"), headers=admin, json=new)
    assert r.status_code == 200, r.text
    rows = session.exec(select(SealCriterion).where(SealCriterion.cycle_id == cycle.id)).all()
    assert [(row.key, row.rule["min"]) for row in rows] == [("activity", 15)]
    # An empty set is allowed: the Servicebüro may start over.
    assert client.put(cycle_url(cycle, "criteria"), headers=admin, json={"criteria": []}).json()[
        "criteria"] == []


def test_if_match_protects_against_lost_updates(client, admin, cycle):
    etag = client.get(cycle_url(cycle, "criteria"), headers=admin).headers["etag"]
    first = client.put(cycle_url(cycle, "criteria"), headers={**admin, "If-Match": etag}, json=BODY)
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    stale = client.put(cycle_url(cycle, "criteria"), headers={**admin, "If-Match": etag},
                       json={"criteria": []})
    assert_problem(stale, 412, "precondition_failed")


def test_an_invalid_rule_is_rejected_with_the_path_of_the_fault(client, admin, cycle):
    body = copy.deepcopy(BODY)
    body["criteria"][1]["rule"] = {"kind": "all_of", "rules": [
        {"kind": "total_score_at_least", "min": -3}, {"kind": "sometimes"}]}
    body["criteria"][2]["rule"] = {"kind": "answer", "question": "press_coverage", "op": "in",
                                   "value": True}
    problem = assert_problem(client.put(cycle_url(cycle, "criteria"), headers=admin, json=body),
                             422, "validation_error")
    assert error_locs(problem) == [
        ["body", "criteria", 1, "rule", "rules", 0, "min"],
        ["body", "criteria", 1, "rule", "rules", 1, "kind"],
        ["body", "criteria", 2, "rule", "value"],
    ]


@pytest.mark.parametrize(("criterion", "loc"), [
    ({"key": "Netz Werk", "label": "Vernetzung", "rule": {"kind": "wants_seal"}}, ["body", "criteria", 0, "key"]),
    ({"key": "netz", "label": "V", "rule": {"kind": "wants_seal"}}, ["body", "criteria", 0, "label"]),
    ({"key": "netz", "label": "Vernetzung"}, ["body", "criteria", 0, "rule"]),
    ({"key": "netz", "label": "Vernetzung", "rule": {"kind": "wants_seal"}, "weight": 2},
     ["body", "criteria", 0, "weight"]),
])
def test_bad_criterion_fields_are_named(client, admin, cycle, criterion, loc):
    problem = assert_problem(
        client.put(cycle_url(cycle, "criteria"), headers=admin, json={"criteria": [criterion]}), 422)
    assert loc in error_locs(problem)


def test_too_deep_nesting_is_refused_at_the_level_that_is_too_deep(client, admin, cycle):
    rule: dict = {"kind": "wants_seal"}
    for _ in range(5):
        rule = {"kind": "any_of", "rules": [rule]}
    problem = assert_problem(client.put(cycle_url(cycle, "criteria"), headers=admin, json={
        "criteria": [{"key": "deep", "label": "Zu tief", "rule": rule}]}), 422)
    assert error_locs(problem) == [["body", "criteria", 0, "rule", *["rules", 0] * 5]]


def test_unknown_questions_groups_and_duplicate_keys_are_rejected(client, admin, session, cycle):
    factories.make_criteria(session, cycle)
    body = {"criteria": [
        {"key": "visibility", "label": "Sichtbarkeit",
         "rule": {"kind": "answer", "question": "instagram_followers", "op": "gte", "value": 100}},
        {"key": "networking", "label": "Vernetzung", "rule": {"kind": "all_of", "rules": [
            {"kind": "group_score_at_least", "group": "sports", "min": 1}]}},
        {"key": "visibility", "label": "Nochmal",
         "rule": {"kind": "answer", "question": "press_coverage", "op": "gte", "value": 1}},
    ]}
    problem = assert_problem(client.put(cycle_url(cycle, "criteria"), headers=admin, json=body),
                             422, "invalid_criteria")
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "criteria", 0, "rule", "question"], "unknown_question"),
        (["body", "criteria", 1, "rule", "rules", 0, "group"], "unknown_group"),
        (["body", "criteria", 2, "key"], "duplicate"),
        (["body", "criteria", 2, "rule", "op"], "op_not_supported"),
    ]
    # Nothing changed.
    rows = session.exec(select(SealCriterion.key).where(SealCriterion.cycle_id == cycle.id)
                        .order_by(SealCriterion.position)).all()
    assert list(rows) == ["networking", "visibility", "activity", "interest"]


@pytest.mark.parametrize("status", [CycleStatus.awarded, CycleStatus.archived])
def test_criteria_are_locked_once_awarded(client, admin, session, status):
    cycle = factories.make_cycle(session, status=status)
    problem = assert_problem(client.put(cycle_url(cycle, "criteria"), headers=admin, json=BODY), 409,
                             "criteria_locked")
    assert problem["current_status"] == status


def test_cycle_by_id_and_unknown_cycle(client, admin, cycle):
    assert client.get(f"/api/v1/cycles/{cycle.id}/criteria", headers=admin).json()["cycle_id"] == cycle.id
    assert_problem(client.get("/api/v1/cycles/1999-00/criteria", headers=admin), 404, "cycle_not_found")


def test_wrong_callers(client, alliance, alliance_user, partner, cycle):
    url = cycle_url(cycle, "criteria")
    assert_problem(client.get(url), 401)
    assert_problem(client.put(url, json=BODY), 401)
    assert_problem(client.put(url, headers=alliance_user(alliance), json=BODY), 403)
    assert_problem(client.get(url, headers=partner), 403)
    assert_problem(client.put(url, headers=partner, json=BODY), 403)


# --- preview ------------------------------------------------------------------------------------

def test_preview_counts_who_would_pass_without_saving(client, admin, session, cycle, alliance,
                                                     other_alliance):
    strong = factories.make_scored_response(session, cycle, alliance)  # total 19
    factories.make_scored_response(session, cycle, other_alliance, answers=WEAK_ANSWERS,
                                   wants_future_project=False)  # total 6
    draft_only = factories.make_alliance(session)
    factories.make_scored_response(session, cycle, draft_only, submitted=False)
    factories.make_criteria(session, cycle)

    def preview(minimum: float) -> dict:
        body = {"criteria": [
            {"key": "activity", "label": "Aktiv", "rule": {"kind": "total_score_at_least", "min": minimum}},
            {"key": "interest", "label": "Interesse", "rule": {"kind": "wants_seal"}},
        ]}
        r = client.post(cycle_url(cycle, "criteria:preview"), headers=admin, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    at_12 = preview(12)
    assert (at_12["evaluated"], at_12["meets_criteria"], at_12["fails_criteria"]) == (2, 1, 1)
    assert at_12["invited_to_future_project"] == 1
    assert at_12["criteria"] == [
        {"key": "activity", "label": "Aktiv", "passed": 1, "failed": 1},
        {"key": "interest", "label": "Interesse", "passed": 2, "failed": 0},
    ]
    by_alliance = {a["alliance_id"]: a for a in at_12["alliances"]}
    assert by_alliance[alliance.id]["meets_criteria"] is True
    assert by_alliance[alliance.id]["activity_score"] == strong.activity_score == 19
    assert by_alliance[alliance.id]["alliance_name"] == alliance.name
    assert by_alliance[other_alliance.id]["failed_criteria"] == ["activity"]
    assert draft_only.id not in by_alliance

    at_5 = preview(5)
    assert at_5["meets_criteria"] == 2
    assert at_5["invited_to_future_project"] == 1  # the other one does not want Projekt Zukunft

    # Nothing was saved: the stored criteria are unchanged and there is no run.
    rows = session.exec(select(SealCriterion.key).where(SealCriterion.cycle_id == cycle.id)
                        .order_by(SealCriterion.position)).all()
    assert list(rows) == ["networking", "visibility", "activity", "interest"]
    assert session.exec(select(EvaluationRun).where(EvaluationRun.cycle_id == cycle.id)).first() is None


def test_preview_rejects_bad_drafts_with_paths(client, admin, cycle):
    r = client.post(cycle_url(cycle, "criteria:preview"), headers=admin, json={"criteria": [
        {"key": "a", "label": "Aktiv", "rule": {"kind": "answer", "question": "nope", "op": "eq",
                                                 "value": 1}}]})
    assert error_locs(assert_problem(r, 422, "invalid_criteria")) == [["body", "criteria", 0, "rule", "question"]]
    r = client.post(cycle_url(cycle, "criteria:preview"), headers=admin, json={"criterias": []})
    assert ["body", "criteria"] in error_locs(assert_problem(r, 422))


def test_preview_wrong_callers(client, alliance, alliance_user, partner, cycle):
    url = cycle_url(cycle, "criteria:preview")
    assert_problem(client.post(url, json=BODY), 401)
    assert_problem(client.post(url, headers=alliance_user(alliance), json=BODY), 403)
    assert_problem(client.post(url, headers=partner, json=BODY), 403)
