"""partners_at_least reads what the survey measured: the partner count the alliance reported in
this cycle's response (source "answer"), or the registry (the default), and says which."""

import pytest

from app.cycles.models import CycleStatus
from app.evaluation.demo import DEMO_CRITERIA
from app.evaluation.rules import parse_rule
from app.evaluation.verdicts import Facts, evaluate
from tests import factories
from tests.evaluation.helpers import cycle_url
from tests.utils.problems import assert_problem

PARTNER_QUESTION = {
    "key": "partner_count", "text": "Wie viele Partnerorganisationen hat das Bündnis?",
    "type": "integer", "required": False, "criterion_group": "networking",
    "scoring": {"kind": "none"}, "weight": 0.0,
}
FROM_ANSWER = {"kind": "partners_at_least", "min": 3, "source": "answer", "question": "partner_count"}
FROM_REGISTRY = {"kind": "partners_at_least", "min": 3}


def _criteria(rule):
    return {"criteria": [{"key": "networking", "label": "Gute Vernetzung", "rule": rule}]}


@pytest.fixture
def cycle(session):
    cycle = factories.make_cycle(session, status=CycleStatus.survey_closed)
    factories.make_questions(session, cycle, [*factories.STANDARD_QUESTIONS, PARTNER_QUESTION])
    return cycle


def _result(client, admin, session, cycle, alliance, rule, answers):
    """Save the criterion, evaluate one response, return the alliance's networking result."""
    r = client.put(cycle_url(cycle, "criteria"), headers=admin, json=_criteria(rule))
    assert r.status_code == 200, r.text
    # sent back with every field present (a partner rule's defaulted source and question too)
    assert r.json()["criteria"][0]["rule"] == {"source": "registry", "question": None, **rule}
    factories.make_scored_response(session, cycle, alliance, answers=answers)
    r = client.post(cycle_url(cycle, "evaluation"), headers=admin, json={"reason": "Auswertung"})
    assert r.status_code == 201, r.text
    r = client.get(cycle_url(cycle, f"evaluations/{alliance.id}"), headers=admin)
    assert r.status_code == 200, r.text
    return r.json()["criteria"][0]


def test_twelve_partners_reported_meet_networking_though_the_registry_lists_two(
        client, admin, session, cycle, alliance):
    assert len(alliance.partners) == 2
    result = _result(client, admin, session, cycle, alliance, FROM_ANSWER,
                     {**factories.GOOD_ANSWERS, "partner_count": 12})
    assert (result["passed"], result["actual"], result["threshold"]) == (True, 12, 3)
    assert result["source"] == "answer"
    assert result["explanation"] == ("Partnerorganisationen laut Umfrageantwort („partner_count“): "
                                     "12 angegeben, mindestens 3 nötig – erfüllt.")


def test_the_registry_rule_says_it_reads_the_registry(client, admin, session, cycle, alliance):
    result = _result(client, admin, session, cycle, alliance, FROM_REGISTRY,
                     {**factories.GOOD_ANSWERS, "partner_count": 12})
    assert (result["passed"], result["actual"], result["source"]) == (False, 2, "registry")
    assert "laut Bündnisregister (nicht aus der Umfrage)" in result["explanation"]
    assert "nicht erfüllt" in result["explanation"]


def test_no_reported_count_is_not_met_and_says_why(client, admin, session, cycle, alliance):
    result = _result(client, admin, session, cycle, alliance, FROM_ANSWER, factories.GOOD_ANSWERS)
    assert (result["passed"], result["actual"], result["source"]) == (False, None, "answer")
    assert "keine Angabe" in result["explanation"] and "nicht erfüllt" in result["explanation"]


@pytest.mark.parametrize(("rule", "loc", "code"), [
    ({**FROM_ANSWER, "question": "partner_cnt"}, ["body", "criteria", 0, "rule", "question"],
     "unknown_question"),
    ({**FROM_ANSWER, "question": "press_coverage"}, ["body", "criteria", 0, "rule", "question"],
     "not_numeric"),
    ({"kind": "all_of", "rules": [{**FROM_ANSWER, "question": "offer_frequency"}]},
     ["body", "criteria", 0, "rule", "rules", 0, "question"], "not_numeric"),
])
def test_the_question_must_be_a_number_question_of_this_cycle(client, admin, cycle, rule, loc, code):
    for path in ("criteria", "criteria:preview"):
        request = client.put if path == "criteria" else client.post
        problem = assert_problem(request(cycle_url(cycle, path), headers=admin, json=_criteria(rule)),
                                 422, "invalid_criteria")
        assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, code)]


@pytest.mark.parametrize(("rule", "loc"), [
    ({"kind": "partners_at_least", "min": 3, "source": "answer"}, ["body", "criteria", 0, "rule", "question"]),
    ({**FROM_REGISTRY, "question": "partner_count"}, ["body", "criteria", 0, "rule", "question"]),
    ({**FROM_ANSWER, "source": "survey"}, ["body", "criteria", 0, "rule", "source"]),
    ({**FROM_ANSWER, "question": "x" * 61}, ["body", "criteria", 0, "rule", "question"]),
])
def test_source_and_question_belong_together(client, admin, cycle, rule, loc):
    problem = assert_problem(client.put(cycle_url(cycle, "criteria"), headers=admin,
                                        json=_criteria(rule)), 422, "validation_error")
    assert loc in [e["loc"] for e in problem["errors"]]


def test_the_demo_networking_criterion_reads_the_reported_partner_count():
    networking = next(c for c in DEMO_CRITERIA if c["key"] == "networking")
    rule = parse_rule(networking["rule"])
    facts = Facts(total_score=30, group_scores={"networking": 10}, partner_count=2,
                  answers={"partner_count": 12}, wants_seal=True)
    result = evaluate(rule, facts)
    assert result.passed is True
    assert result.parts[1].source == "answer" and result.parts[1].actual == 12
    assert evaluate(rule, Facts(total_score=30, group_scores={"networking": 10}, partner_count=12,
                                answers={"partner_count": 2})).passed is False


@pytest.mark.parametrize(("reported", "passed", "actual"), [
    (12, True, 12), (3, True, 3), (2, False, 2), (3.0, True, 3.0), (0, False, 0),
    (None, False, None), (True, False, None), ("12", False, None), ([12], False, None),
])
def test_the_reported_count_as_a_pure_rule(reported, passed, actual):
    rule = parse_rule(FROM_ANSWER)
    answers = {} if reported is None else {"partner_count": reported}
    result = evaluate(rule, Facts(total_score=0, answers=answers, partner_count=40))
    assert (result.passed, result.actual, result.source) == (passed, actual, "answer")
    assert result.explanation.startswith("Partnerorganisationen laut Umfrageantwort („partner_count“)")


def test_a_stored_registry_rule_keeps_its_old_shape_and_meaning():
    rule = parse_rule(FROM_REGISTRY)
    assert rule.source == "registry" and rule.question is None
    result = evaluate(rule, Facts(total_score=0, partner_count=4, answers={"partner_count": 1}))
    assert (result.passed, result.actual, result.source) == (True, 4, "registry")
