"""The evaluation plan decides like ``verdicts.evaluate``, response by response, though it
decides each combination of facts only once; a run's SQL does not grow with its responses."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from app.evaluation.models import Evaluation
from app.evaluation.plan import CriteriaPlan, PlannedCriterion, typed
from app.evaluation.rules import parse_rule
from app.evaluation.verdicts import Facts, evaluate
from tests import factories
from tests.evaluation.helpers import cycle_url


def _answer(question: str, op: str, value: Any) -> dict[str, Any]:
    return {"kind": "answer", "question": question, "op": op, "value": value}


leaf_rules = st.one_of(
    st.builds(lambda g, m: {"kind": "group_score_at_least", "group": g, "min": m},
              st.sampled_from(["networking", "offers", "other"]), st.sampled_from([0, 2, 4, 4.5])),
    st.builds(lambda m: {"kind": "total_score_at_least", "min": m}, st.sampled_from([0, 12, 12.01])),
    st.builds(lambda m: {"kind": "partners_at_least", "min": m}, st.integers(0, 4)),
    st.builds(lambda m: {"kind": "partners_at_least", "min": m, "source": "answer",
                         "question": "partner_meetings"}, st.integers(0, 4)),
    st.just({"kind": "wants_seal"}),
    st.builds(lambda v: _answer("press_coverage", "eq", v), st.booleans() | st.integers(0, 1)),
    st.builds(lambda v: _answer("partner_meetings", "gte", v), st.integers(0, 3)),
    st.builds(lambda v: _answer("partner_meetings", "ne", v), st.sampled_from([1, 1.0, True, "1"])),
    st.builds(lambda v: _answer("future_topics", "contains", v),
              st.sampled_from(["childcare", "care_work", "low_income"])),
)
rules = st.recursive(
    leaf_rules,
    lambda children: st.builds(lambda kind, parts: {"kind": kind, "rules": parts},
                               st.sampled_from(["all_of", "any_of"]), st.lists(children, max_size=3)),
    max_leaves=6,
)

# Answers of mixed JSON types: a cache keyed on plain values would take True for 1 and 1.0.
ANSWER = st.one_of(st.none(), st.booleans(), st.integers(0, 3), st.sampled_from([1.0, 2.5, 0.0]),
                   st.sampled_from(["monthly", "1", "true"]))
facts = st.builds(
    lambda total, groups, partners, wants, meetings, press, topics: Facts(
        total_score=total, group_scores=groups, partner_count=partners, wants_seal=wants,
        answers={k: v for k, v in (("partner_meetings", meetings), ("press_coverage", press),
                                   ("future_topics", topics)) if v is not None}),
    st.sampled_from([0.0, 4.0, 12.0, 12.004, 19.0]),
    st.dictionaries(st.sampled_from(["networking", "visibility", "offers", "future"]),
                    st.sampled_from([0.0, 2.0, 4.0, 6.0])),
    st.integers(0, 4), st.booleans(), ANSWER, ANSWER,
    st.lists(st.sampled_from(["childcare", "care_work", "low_income"]), unique=True) | ANSWER,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(rules, min_size=1, max_size=4), st.lists(facts, min_size=2, max_size=12))
def test_the_plan_decides_every_row_as_evaluate_does(raw_rules, rows):
    criteria = [PlannedCriterion(f"c{i}", f"Kriterium {i}", parse_rule(r))
                for i, r in enumerate(raw_rules)]
    plan = CriteriaPlan(criteria, [])
    for fact in rows:  # one plan for all rows: its shared outcomes must never leak
        outcome = plan.decide(fact.answers, fact.total_score, fact.group_scores,
                              fact.partner_count, fact.wants_seal)
        expected = [evaluate(c.rule, fact) for c in criteria]
        assert outcome.results == [{"key": c.key, "label": c.label, **v.as_dict()}
                                   for c, v in zip(criteria, expected, strict=True)]
        assert outcome.passed == tuple(v.passed for v in expected)
        assert outcome.meets_criteria is all(v.passed for v in expected)


@pytest.mark.parametrize(("a", "b"), [(True, 1), (1, 1.0), (False, 0), ([1], [True]),
                                      ("1", 1), (None, "")])
def test_keys_keep_json_types_apart(a, b):
    assert typed(a) != typed(b)


def test_a_run_stores_what_evaluate_says_and_its_statements_do_not_grow(
        client, admin, session, cycle_in_closed, statements):
    counts = []
    for size in (2, 14):
        cycle = cycle_in_closed()
        factories.make_criteria(session, cycle)
        for n in range(size):
            alliance = factories.make_alliance(session)
            answers = dict(factories.GOOD_ANSWERS, partner_meetings=n, press_coverage=n % 2 == 0)
            factories.make_scored_response(session, cycle, alliance, answers=answers,
                                           wants_seal=n % 3 != 0)
        statements.clear()
        r = client.post(cycle_url(cycle, "evaluation"), headers=admin, json={"reason": "Prüflauf"})
        assert r.status_code == 201, r.text
        counts.append(len(statements))
        stored = session.exec(select(Evaluation).where(Evaluation.run_id == r.json()["id"])
                              .order_by(col(Evaluation.alliance_id))).all()
        assert len(stored) == size
        for evaluation in stored:
            assert evaluation.cycle_id == cycle.id and evaluation.created_at.tzinfo is not None
            assert evaluation.meets_criteria is all(c["passed"] for c in evaluation.criteria_results)
            assert [c["key"] for c in evaluation.criteria_results] == \
                [c["key"] for c in factories.STANDARD_CRITERIA]
        by_meetings = {e.criteria_results[0]["parts"][0]["actual"] for e in stored}
        assert len(by_meetings) == min(size, 7), "group scores per response, not shared wrongly"
    assert counts[0] == counts[1], f"{counts}: a statement per response crept back in"


@pytest.fixture
def cycle_in_closed(session: Session):
    from app.cycles.models import CycleStatus

    def make():
        cycle = factories.make_cycle(session, status=CycleStatus.survey_closed)
        factories.make_questions(session, cycle)
        return cycle

    return make
