"""POST /cycles/{cycle}/criteria:copy?from=…: last year's seal criteria into this cycle."""

import pytest
from sqlmodel import col, select

from app.cycles.models import CycleStatus
from app.evaluation.models import SealCriterion
from tests import factories
from tests.evaluation.helpers import cycle_url
from tests.utils.problems import assert_problem


@pytest.fixture
def source(session):
    cycle = factories.make_cycle(session, status=CycleStatus.archived)
    factories.make_questions(session, cycle)
    factories.make_criteria(session, cycle)
    return cycle


@pytest.fixture
def target(session):
    cycle = factories.make_cycle(session, status=CycleStatus.draft)
    factories.make_questions(session, cycle)
    return cycle


def _copy(client, admin, target, source, **params):
    return client.post(cycle_url(target, "criteria:copy"), headers=admin,
                       params={"from": source.slug, **params})


def _keys(session, cycle):
    return list(session.exec(select(SealCriterion.key).where(SealCriterion.cycle_id == cycle.id)
                             .order_by(col(SealCriterion.position))).all())


def test_copy_brings_every_criterion_in_order(client, admin, session, source, target):
    r = _copy(client, admin, target, source)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cycle_id"] == target.id
    assert [c["key"] for c in body["criteria"]] == [c["key"] for c in factories.STANDARD_CRITERIA]
    source_rules = [c["rule"] for c in client.get(f"/api/v1/cycles/{source.slug}/criteria",
                                                  headers=admin).json()["criteria"]]
    assert [c["rule"] for c in body["criteria"]] == source_rules
    assert source_rules[0]["rules"][1] == {"kind": "partners_at_least", "min": 2,
                                           "source": "registry", "question": None}
    assert body["criteria"][0]["explanation"] == factories.STANDARD_CRITERIA[0]["explanation"]
    assert r.headers["ETag"]
    read = client.get(cycle_url(target, "criteria"), headers=admin)
    assert read.json() == body and read.headers["ETag"] == r.headers["ETag"]
    assert _keys(session, source) == _keys(session, target)  # the source is untouched


def test_existing_criteria_stay_unless_replace(client, admin, session, source, target):
    factories.make_criteria(session, target, [{"key": "interest", "label": "Interesse",
                                               "rule": {"kind": "wants_seal"}}])
    assert_problem(_copy(client, admin, target, source), 409, "criteria_not_empty")
    assert _keys(session, target) == ["interest"]
    etag = client.get(cycle_url(target, "criteria"), headers=admin).headers["ETag"]
    stale = client.post(cycle_url(target, "criteria:copy"), headers={**admin, "If-Match": '"x"'},
                        params={"from": source.slug, "replace": "true"})
    assert_problem(stale, 412)
    r = client.post(cycle_url(target, "criteria:copy"), headers={**admin, "If-Match": etag},
                    params={"from": source.slug, "replace": "true"})
    assert r.status_code == 200, r.text
    assert _keys(session, target) == [c["key"] for c in factories.STANDARD_CRITERIA]


@pytest.mark.parametrize("status", [CycleStatus.evaluated, CycleStatus.awarded, CycleStatus.archived])
def test_an_evaluated_target_is_refused(client, admin, session, source, status):
    frozen = factories.make_cycle(session, status=status)
    factories.make_questions(session, frozen)
    assert_problem(_copy(client, admin, frozen, source, replace="true"), 409, "criteria_locked")
    assert _keys(session, frozen) == []


def test_bad_sources_are_named(client, admin, session, source, target):
    empty = factories.make_cycle(session, status=CycleStatus.archived)
    for ref, code in (("1999-00", "not_found"), (target.slug, "same_cycle"),
                      (empty.slug, "criteria_empty")):
        problem = assert_problem(client.post(cycle_url(target, "criteria:copy"), headers=admin,
                                             params={"from": ref}), 422)
        assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(["query", "from"], code)]
    too_long = assert_problem(client.post(cycle_url(target, "criteria:copy"), headers=admin,
                                          params={"from": "x" * 21}), 422)
    assert ["query", "from"] in [e["loc"] for e in too_long["errors"]]
    missing = assert_problem(client.post(cycle_url(target, "criteria:copy"), headers=admin), 422)
    assert ["query", "from"] in [e["loc"] for e in missing["errors"]]
    assert _keys(session, target) == []


def test_criteria_that_do_not_fit_the_questionnaire_are_not_copied(client, admin, session, source):
    other = factories.make_cycle(session, status=CycleStatus.draft)
    factories.make_questions(session, other, [q for q in factories.STANDARD_QUESTIONS
                                              if q["key"] != "press_coverage"])
    problem = assert_problem(_copy(client, admin, other, source), 422, "invalid_criteria")
    assert [e["loc"] for e in problem["errors"]] == [["source", "criteria", 1, "rule", "question"]]
    assert _keys(session, other) == []


def test_copy_wrong_callers(client, admin, session, alliance, alliance_user, partner, source, target):
    path = cycle_url(target, "criteria:copy")
    params = {"from": source.slug}
    assert_problem(client.post(path, params=params), 401)
    assert_problem(client.post(path, headers=alliance_user(alliance), params=params), 403)
    assert_problem(client.post(path, headers=partner, params=params), 403)
    assert_problem(client.post("/api/v1/cycles/1999-00/criteria:copy", headers=admin,
                               params=params), 404)
    assert _keys(session, target) == []
