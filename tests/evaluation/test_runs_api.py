"""Evaluation runs, the shortlist, and an alliance's own result."""

import pytest
from sqlmodel import select

from app.cycles.models import AwardCycle, CycleStatus
from app.evaluation.models import Evaluation
from app.questionnaire.models import Question
from tests import factories
from tests.evaluation.helpers import WEAK_ANSWERS, cycle_url
from tests.utils.problems import assert_problem

REASON = {"reason": "Auswertung nach Ende der Umfrage"}


@pytest.fixture
def responses(session, cycle, alliance, other_alliance):
    """alliance: strong and wants Projekt Zukunft; other_alliance: weak; a third strong one
    that does not want Projekt Zukunft; plus a draft that is never evaluated."""
    factories.make_criteria(session, cycle)
    third = factories.make_alliance(session, state="DE-SN")
    factories.make_scored_response(session, cycle, alliance)
    factories.make_scored_response(session, cycle, other_alliance, answers=WEAK_ANSWERS)
    factories.make_scored_response(session, cycle, third, wants_future_project=False)
    factories.make_scored_response(session, cycle, factories.make_alliance(session), submitted=False)
    return {"strong": alliance, "weak": other_alliance, "no_future": third}


def _run(client, admin, cycle, reason="Auswertung nach Ende der Umfrage"):
    r = client.post(cycle_url(cycle, "evaluation"), headers=admin, json={"reason": reason})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_run_evaluates_every_submitted_response(client, admin, admin_account, session, cycle, responses):
    run = _run(client, admin, cycle)
    assert (run["evaluated_count"], run["passed_count"], run["invited_count"]) == (3, 2, 1)
    assert run["started_by"] == f"user:{admin_account.id}"
    assert run["reason"] == "Auswertung nach Ende der Umfrage"
    assert [c["key"] for c in run["criteria"]] == ["networking", "visibility", "activity", "interest"]
    assert run["is_latest"] is True
    assert client.get(cycle_url(cycle, f"evaluation/runs/{run['id']}"), headers=admin).json() == run

    # The run leaves the status alone: mark-evaluated is the documented, explicit next step.
    session.expire_all()
    assert session.get(AwardCycle, cycle.id).status == CycleStatus.survey_closed

    weak = session.exec(select(Evaluation).where(Evaluation.run_id == run["id"],
                                                 Evaluation.alliance_id == responses["weak"].id)).one()
    assert weak.meets_criteria is False and weak.invited_to_future_project is False
    results = {c["key"]: c for c in weak.criteria_results}
    assert results["activity"]["actual"] == 6 and results["activity"]["threshold"] == 12
    assert results["activity"]["passed"] is False
    assert results["visibility"]["actual"] is False
    assert results["networking"]["parts"][0]["actual"] == 2
    assert results["interest"]["passed"] is True


def test_the_shortlist_filters_and_pages(client, admin, cycle, responses):
    _run(client, admin, cycle)
    url = cycle_url(cycle, "evaluations")
    everyone = client.get(url, headers=admin, params={"include_total": True}).json()
    assert everyone["total"] == 3
    scores = [e["activity_score"] for e in everyone["items"]]
    assert scores == sorted(scores, reverse=True)

    meeting = client.get(url, headers=admin, params={"meets_criteria": True}).json()["items"]
    assert {e["alliance"]["id"] for e in meeting} == {responses["strong"].id, responses["no_future"].id}
    invited = client.get(url, headers=admin, params={"invited": True}).json()["items"]
    assert [e["alliance"]["id"] for e in invited] == [responses["strong"].id]
    assert invited[0]["alliance"]["name"] == responses["strong"].name
    saxony = client.get(url, headers=admin, params={"state": "DE-SN"}).json()["items"]
    assert [e["alliance"]["id"] for e in saxony] == [responses["no_future"].id]

    first = client.get(url, headers=admin, params={"limit": 2, "sort": "alliance_id"})
    assert 'rel="next"' in first.headers["link"]
    second = client.get(url, headers=admin, params={"limit": 2, "sort": "alliance_id",
                                                    "cursor": first.json()["next_cursor"]}).json()
    ids = [e["alliance"]["id"] for e in first.json()["items"] + second["items"]]
    assert ids == sorted(ids) and len(ids) == 3 and second["next_cursor"] is None


def test_shortlist_before_any_run_is_empty(client, admin, cycle):
    assert client.get(cycle_url(cycle, "evaluations"), headers=admin).json()["items"] == []


def test_rerunning_after_a_change_is_explicit_and_kept(client, admin, session, cycle, responses):
    first = _run(client, admin, cycle)
    stricter = {"criteria": [{"key": "activity", "label": "Aktiv",
                              "rule": {"kind": "total_score_at_least", "min": 20}}]}
    assert client.put(cycle_url(cycle, "criteria"), headers=admin, json=stricter).status_code == 200
    second = _run(client, admin, cycle, reason="Schwelle auf 20 Punkte angehoben")
    assert second["passed_count"] == 0

    runs = client.get(cycle_url(cycle, "evaluation/runs"), headers=admin).json()["items"]
    assert [(r["id"], r["is_latest"]) for r in runs] == [(second["id"], True), (first["id"], False)]
    assert runs[1]["criteria"][0]["key"] == "networking"  # each run keeps its own criteria

    # Results are read from the latest run; an earlier one stays readable by its id.
    latest = client.get(cycle_url(cycle, "evaluations"), headers=admin, params={"meets_criteria": True})
    assert latest.json()["items"] == []
    earlier = client.get(cycle_url(cycle, "evaluations"), headers=admin,
                         params={"meets_criteria": True, "run_id": first["id"]}).json()["items"]
    assert len(earlier) == 2 and {e["run_id"] for e in earlier} == {first["id"]}

    page = client.get(cycle_url(cycle, "evaluation/runs"), headers=admin, params={"limit": 1})
    assert page.json()["items"][0]["id"] == second["id"] and page.json()["next_cursor"]


@pytest.mark.parametrize("status", [CycleStatus.draft, CycleStatus.survey_open, CycleStatus.awarded,
                                    CycleStatus.archived])
def test_a_run_needs_a_closed_or_evaluated_survey(client, admin, session, status):
    cycle = factories.make_cycle(session, status=status)
    factories.make_criteria(session, cycle, [{"key": "interest", "label": "Interesse",
                                              "rule": {"kind": "wants_seal"}}])
    problem = assert_problem(client.post(cycle_url(cycle, "evaluation"), headers=admin, json=REASON),
                             409, "evaluation_not_allowed")
    assert problem["allowed_statuses"] == ["survey_closed", "evaluated"]
    assert "survey_closed or evaluated" in problem["detail"]


def test_an_evaluated_cycle_stays_evaluated_on_a_rerun(client, admin, session, responses):
    cycle = factories.make_cycle(session, status=CycleStatus.evaluated)
    factories.make_criteria(session, cycle, [{"key": "interest", "label": "Interesse",
                                              "rule": {"kind": "wants_seal"}}])
    assert _run(client, admin, cycle)["evaluated_count"] == 0
    session.expire_all()
    assert session.get(AwardCycle, cycle.id).status == CycleStatus.evaluated


def test_a_run_needs_criteria(client, admin, cycle):
    assert_problem(client.post(cycle_url(cycle, "evaluation"), headers=admin, json=REASON), 409,
                   "criteria_missing")


def test_criteria_that_no_longer_fit_the_questionnaire_stop_a_run(client, admin, session, cycle, responses):
    question = session.exec(select(Question).where(Question.cycle_id == cycle.id,
                                                   Question.key == "press_coverage")).one()
    session.delete(question)
    session.commit()
    problem = assert_problem(client.post(cycle_url(cycle, "evaluation"), headers=admin, json=REASON),
                             409, "criteria_outdated")
    assert problem["errors"][0]["loc"] == ["criteria", 1, "rule", "question"]


def test_a_response_without_a_stored_score_is_scored_now(client, admin, session, cycle, alliance):
    factories.make_criteria(session, cycle)
    factories.make_response(session, cycle, alliance)  # no activity_score stored
    _run(client, admin, cycle)
    mine = client.get(cycle_url(cycle, f"evaluations/{alliance.id}"), headers=admin).json()
    assert mine["activity_score"] == 19
    assert mine["meets_criteria"] is True


@pytest.mark.parametrize(("body", "loc"), [
    ({}, ["body", "reason"]),
    ({"reason": "  "}, ["body", "reason"]),
    ({"reason": "Neue Auswertung", "force": True}, ["body", "force"]),
])
def test_a_run_needs_a_reason(client, admin, cycle, body, loc):
    problem = assert_problem(client.post(cycle_url(cycle, "evaluation"), headers=admin, json=body), 422)
    assert [e["loc"] for e in problem["errors"]] == [loc]


def test_run_wrong_callers(client, alliance, alliance_user, partner, cycle, responses):
    url = cycle_url(cycle, "evaluation")
    assert_problem(client.post(url, json=REASON), 401)
    assert_problem(client.post(url, headers=alliance_user(alliance), json=REASON), 403)
    assert_problem(client.post(url, headers=partner, json=REASON), 403)
    for path in ("evaluation/runs", "evaluations", "evaluation/runs/1"):
        assert_problem(client.get(cycle_url(cycle, path)), 401)
        assert_problem(client.get(cycle_url(cycle, path), headers=alliance_user(alliance)), 403)
        assert_problem(client.get(cycle_url(cycle, path), headers=partner), 403)


def test_unknown_run_and_bad_filters(client, admin, session, cycle, responses):
    other_cycle = factories.make_cycle(session, status=CycleStatus.survey_closed)
    factories.make_criteria(session, other_cycle, [{"key": "i", "label": "Interesse",
                                                    "rule": {"kind": "wants_seal"}}])
    foreign = _run(client, admin, other_cycle)
    assert_problem(client.get(cycle_url(cycle, f"evaluation/runs/{foreign['id']}"), headers=admin),
                   404, "evaluation_run_not_found")
    problem = assert_problem(client.get(cycle_url(cycle, "evaluations"), headers=admin,
                                        params={"invited": "perhaps"}), 422)
    assert problem["errors"][0]["loc"] == ["query", "invited"]
    problem = assert_problem(client.get(cycle_url(cycle, "evaluations"), headers=admin,
                                        params={"sort": "name"}), 422)
    assert problem["errors"][0]["loc"] == ["query", "sort"]


# --- an alliance's own result -------------------------------------------------------------------

def test_an_alliance_reads_its_own_result_with_the_reasons(client, admin, alliance_user, cycle, responses):
    _run(client, admin, cycle)
    weak = responses["weak"]
    headers = alliance_user(weak)
    mine = client.get(cycle_url(cycle, "evaluations/mine"), headers=headers)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["alliance"]["id"] == weak.id
    assert body["meets_criteria"] is False
    activity = next(c for c in body["criteria"] if c["key"] == "activity")
    assert (activity["actual"], activity["op"], activity["threshold"], activity["passed"]) == (6, "gte", 12, False)
    assert activity["explanation"] == "Aktivitätsgrad insgesamt: 6 Punkte, mindestens 12 nötig – nicht erfüllt."
    assert activity["label"] == "Aktive Bündnisarbeit"
    # The same through its id.
    assert client.get(cycle_url(cycle, f"evaluations/{weak.id}"), headers=headers).json() == body


def test_never_another_alliances_result(client, admin, alliance_user, cycle, responses):
    _run(client, admin, cycle)
    headers = alliance_user(responses["weak"])
    problem = assert_problem(client.get(cycle_url(cycle, f"evaluations/{responses['strong'].id}"),
                                        headers=headers), 404, "evaluation_not_found")
    assert responses["strong"].name not in problem["detail"]
    # Admins read any alliance's result.
    strong = client.get(cycle_url(cycle, f"evaluations/{responses['strong'].id}"), headers=admin).json()
    assert strong["invited_to_future_project"] is True


def test_own_result_wrong_callers_and_missing_results(client, admin, alliance_user, partner, session,
                                                      cycle, responses):
    url = cycle_url(cycle, "evaluations/mine")
    assert_problem(client.get(url, headers=alliance_user(responses["strong"])), 404, "evaluation_not_found")
    _run(client, admin, cycle)
    assert_problem(client.get(url), 401)
    assert_problem(client.get(url, headers=partner), 403)
    assert_problem(client.get(url, headers=admin), 403, "no_own_alliance")
    without_response = factories.make_alliance(session)
    assert_problem(client.get(url, headers=alliance_user(without_response)), 404)
    assert_problem(client.get(cycle_url(cycle, f"evaluations/{responses['strong'].id}"), headers=partner), 403)
    problem = assert_problem(client.get(cycle_url(cycle, "evaluations/abc"), headers=admin), 422)
    assert problem["errors"][0]["loc"] == ["path", "alliance_id"]


@pytest.mark.parametrize("sort", ["-activity_score", "activity_score", "alliance_id"])
def test_the_shortlist_pages_in_order_and_each_entry_is_the_alliances_own_result(
        client, admin, cycle, responses, sort):
    _run(client, admin, cycle)
    seen, cursor = [], None
    while True:
        params = {"limit": 1, "sort": sort, "include_total": True, **({"cursor": cursor} if cursor else {})}
        page = client.get(cycle_url(cycle, "evaluations"), headers=admin, params=params)
        assert page.status_code == 200, page.text
        assert page.json()["total"] == 3
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    key = "activity_score" if "score" in sort else "alliance_id"
    values = [e[key] if key == "activity_score" else e["alliance"]["id"] for e in seen]
    assert values == sorted(values, reverse=sort.startswith("-")) and len(seen) == 3
    for entry in seen:  # the page's entry is what the alliance's own address answers
        one = client.get(cycle_url(cycle, f"evaluations/{entry['alliance']['id']}"), headers=admin)
        assert one.json() == entry


def test_the_shortlist_filters_by_criteria_invitation_and_state(client, admin, cycle, responses):
    _run(client, admin, cycle)

    def ids(**params):
        page = client.get(cycle_url(cycle, "evaluations"), headers=admin, params=params)
        assert page.status_code == 200, page.text
        return {e["alliance"]["id"] for e in page.json()["items"]}

    assert ids(meets_criteria=True) == {responses["strong"].id, responses["no_future"].id}
    assert ids(meets_criteria=False) == {responses["weak"].id}
    assert ids(invited=True) == {responses["strong"].id}
    assert ids(state="DE-SN") == {responses["no_future"].id}
    assert ids(state="DE-SN", invited=True) == set()
