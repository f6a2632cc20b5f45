"""The rule language: worked examples, shape errors with their paths, and invariants."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.evaluation.rules import MAX_DEPTH, depth, parse_rule
from app.evaluation.verdicts import Facts, evaluate, german_number

# An alliance with networking 6, visibility 3, offers 8, future 2 (total 19), 4 partners.
FACTS = Facts(
    total_score=19.0,
    group_scores={"networking": 6.0, "visibility": 3.0, "offers": 8.0, "future": 2.0},
    answers={"partner_meetings": 8, "press_coverage": True, "offer_frequency": "monthly",
             "future_topics": ["childcare", "care_work"], "remarks": "Familienzentrum eröffnet",
             "last_event_on": "2024-05-04"},
    partner_count=4, wants_seal=True,
)


def _answer(question: str, op: str, value: Any) -> dict[str, Any]:
    return {"kind": "answer", "question": question, "op": op, "value": value}


# (rule, passed, actual, threshold)
WORKED_EXAMPLES = [
    ({"kind": "group_score_at_least", "group": "networking", "min": 4}, True, 6.0, 4),
    ({"kind": "group_score_at_least", "group": "networking", "min": 6}, True, 6.0, 6),
    ({"kind": "group_score_at_least", "group": "networking", "min": 6.5}, False, 6.0, 6.5),
    ({"kind": "group_score_at_least", "group": "unscored", "min": 1}, False, 0.0, 1),
    ({"kind": "group_score_at_least", "group": "unscored", "min": 0}, True, 0.0, 0),
    ({"kind": "total_score_at_least", "min": 12}, True, 19.0, 12),
    ({"kind": "total_score_at_least", "min": 19.01}, False, 19.0, 19.01),
    ({"kind": "partners_at_least", "min": 4}, True, 4, 4),
    ({"kind": "partners_at_least", "min": 5}, False, 4, 5),
    ({"kind": "wants_seal"}, True, True, True),
    (_answer("press_coverage", "eq", True), True, True, True),
    (_answer("press_coverage", "ne", True), False, True, True),
    (_answer("press_coverage", "eq", 1), False, True, 1),  # a boolean is never a number
    (_answer("partner_meetings", "gte", 8), True, 8, 8),
    (_answer("partner_meetings", "gte", 8.5), False, 8, 8.5),
    (_answer("partner_meetings", "lte", 8), True, 8, 8),
    (_answer("partner_meetings", "eq", 8.0), True, 8, 8.0),
    (_answer("partner_meetings", "in", [4, 8, 12]), True, 8, [4, 8, 12]),
    (_answer("offer_frequency", "in", ["monthly", "weekly"]), True, "monthly", ["monthly", "weekly"]),
    (_answer("offer_frequency", "ne", "rarely"), True, "monthly", "rarely"),
    (_answer("future_topics", "contains", "childcare"), True, ["childcare", "care_work"], "childcare"),
    (_answer("future_topics", "contains", "low_income"), False, ["childcare", "care_work"], "low_income"),
    (_answer("future_topics", "gte", 2), True, ["childcare", "care_work"], 2),  # how many chosen
    (_answer("future_topics", "gte", 3), False, ["childcare", "care_work"], 3),
    (_answer("future_topics", "in", ["low_income", "care_work"]), True, ["childcare", "care_work"],
     ["low_income", "care_work"]),
    (_answer("future_topics", "eq", ["care_work", "childcare"]), True, ["childcare", "care_work"],
     ["care_work", "childcare"]),  # the chosen set, in any order
    (_answer("remarks", "contains", "FAMILIENZENTRUM"), True, "Familienzentrum eröffnet",
     "FAMILIENZENTRUM"),
    (_answer("last_event_on", "gte", "2024-01-01"), True, "2024-05-04", "2024-01-01"),
    (_answer("last_event_on", "lte", "2024-01-01"), False, "2024-05-04", "2024-01-01"),
    (_answer("not_answered", "ne", "x"), False, None, "x"),  # no answer is no evidence
    ({"kind": "all_of", "rules": []}, True, 0, 0),
    ({"kind": "any_of", "rules": []}, False, 0, 1),
    ({"kind": "all_of", "rules": [{"kind": "wants_seal"}, {"kind": "partners_at_least", "min": 5}]},
     False, 1, 2),
    ({"kind": "any_of", "rules": [{"kind": "wants_seal"}, {"kind": "partners_at_least", "min": 5}]},
     True, 1, 1),
]


@pytest.mark.parametrize(("rule", "passed", "actual", "threshold"), WORKED_EXAMPLES)
def test_worked_examples(rule, passed, actual, threshold):
    result = evaluate(parse_rule(rule), FACTS)
    assert result.passed is passed
    assert result.actual == actual
    assert result.threshold == threshold
    assert result.explanation.endswith(("– erfüllt.", "– nicht erfüllt.", "erfüllt).")), result.explanation


def test_explanations_are_german_and_name_the_numbers():
    result = evaluate(parse_rule({"kind": "group_score_at_least", "group": "networking", "min": 6.5}),
                      FACTS)
    assert result.explanation == (
        "Aktivitätsgrad im Bereich „networking“: 6 Punkte, mindestens 6,5 nötig – nicht erfüllt.")
    nested = evaluate(parse_rule({"kind": "all_of", "rules": [
        {"kind": "wants_seal"}, _answer("not_answered", "eq", True)]}), FACTS)
    assert nested.explanation == "1 von 2 Teilbedingungen erfüllt, alle nötig – nicht erfüllt."
    assert nested.parts[1].explanation.startswith("Frage „not_answered“ nicht beantwortet")
    data = nested.as_dict()
    assert [p["passed"] for p in data["parts"]] == [True, False]


@pytest.mark.parametrize(("value", "text"), [(12, "12"), (12.0, "12"), (12.5, "12,5"), (0.25, "0,25")])
def test_german_numbers(value, text):
    assert german_number(value) == text


# (rule, the path pydantic must name, error type)
SHAPE_ERRORS = [
    ({"kind": "total_score_at_least", "min": -1}, ("min",), "greater_than_equal"),
    ({"kind": "total_score_at_least"}, ("min",), "missing"),
    ({"kind": "total_score_at_least", "min": 3, "max": 5}, ("max",), "extra_forbidden"),
    ({"kind": "nonsense"}, ("kind",), "union_tag_invalid"),
    ({"min": 3}, ("kind",), "union_tag_not_found"),
    ({"kind": "all_of", "rules": [{"kind": "partners_at_least", "min": "many"}]},
     ("rules", 0, "min"), "int_type"),
    ({"kind": "any_of", "rules": [{"kind": "wants_seal"}, {"kind": "all_of", "rules": [
        {"kind": "group_score_at_least", "group": "", "min": 1}]}]},
     ("rules", 1, "rules", 0, "group"), "string_too_short"),
    (_answer("x", "in", "monthly"), ("value",), "value_error"),
    (_answer("x", "in", []), ("value",), "value_error"),
    (_answer("x", "gte", "viel"), ("value",), "value_error"),
    (_answer("x", "contains", ["a", "b"]), ("value",), "value_error"),
    (_answer("x", "like", "a"), ("op",), "literal_error"),
]


@pytest.mark.parametrize(("rule", "loc", "error_type"), SHAPE_ERRORS)
def test_shape_errors_name_the_path_without_union_tags(rule, loc, error_type):
    with pytest.raises(ValidationError) as caught:
        parse_rule(rule)
    errors = caught.value.errors()
    assert (loc, error_type) in [(e["loc"], e["type"]) for e in errors], errors


def _nested(levels: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"kind": "wants_seal"}
    for _ in range(levels - 1):
        rule = {"kind": "all_of", "rules": [rule]}
    return rule


def test_nesting_is_limited_and_the_fault_is_located():
    assert depth(parse_rule(_nested(MAX_DEPTH))) == MAX_DEPTH
    with pytest.raises(ValidationError) as caught:
        parse_rule(_nested(MAX_DEPTH + 1))
    (error,) = caught.value.errors()
    assert error["loc"] == ("rules", 0) * MAX_DEPTH
    assert "at most 5 levels" in error["msg"]


def test_a_hostile_depth_is_refused_without_recursing():
    with pytest.raises(ValidationError) as caught:
        parse_rule(_nested(5000))
    assert len(caught.value.errors()) == 1


# --- properties ---------------------------------------------------------------------------------

leaf_rules = st.one_of(
    st.builds(lambda g, m: {"kind": "group_score_at_least", "group": g, "min": m},
              st.sampled_from(["networking", "visibility", "offers", "future", "other"]),
              st.floats(0, 30, allow_nan=False)),
    st.builds(lambda m: {"kind": "total_score_at_least", "min": m}, st.floats(0, 60, allow_nan=False)),
    st.builds(lambda m: {"kind": "partners_at_least", "min": m}, st.integers(0, 20)),
    st.just({"kind": "wants_seal"}),
    st.builds(lambda v: _answer("press_coverage", "eq", v), st.booleans()),
    st.builds(lambda v: _answer("partner_meetings", "gte", v), st.integers(0, 20)),
    st.builds(lambda v: _answer("future_topics", "contains", v),
              st.sampled_from(["childcare", "care_work", "low_income"])),
)
rules = st.recursive(
    leaf_rules,
    lambda children: st.builds(lambda kind, parts: {"kind": kind, "rules": parts},
                               st.sampled_from(["all_of", "any_of"]), st.lists(children, max_size=3)),
    max_leaves=8,
).filter(lambda r: depth(parse_rule(r)) < MAX_DEPTH)  # room for one more level
facts = st.builds(
    lambda total, groups, partners, wants, meetings, press, topics: Facts(
        total_score=total, group_scores=groups, partner_count=partners, wants_seal=wants,
        answers={"partner_meetings": meetings, "press_coverage": press, "future_topics": topics}),
    st.floats(0, 60, allow_nan=False),
    st.dictionaries(st.sampled_from(["networking", "visibility", "offers", "future"]),
                    st.floats(0, 30, allow_nan=False)),
    st.integers(0, 20), st.booleans(), st.integers(0, 20) | st.none(), st.booleans() | st.none(),
    st.lists(st.sampled_from(["childcare", "care_work", "low_income"]), unique=True) | st.none(),
)


@given(rules, facts)
def test_all_of_a_rule_with_itself_is_the_rule(rule, fact):
    single = evaluate(parse_rule(rule), fact).passed
    assert evaluate(parse_rule({"kind": "all_of", "rules": [rule, rule]}), fact).passed is single
    assert evaluate(parse_rule({"kind": "any_of", "rules": [rule, rule]}), fact).passed is single


@given(st.lists(rules, max_size=4), facts)
def test_all_of_implies_any_of_for_non_empty_lists(parts, fact):
    every = evaluate(parse_rule({"kind": "all_of", "rules": parts}), fact).passed
    some = evaluate(parse_rule({"kind": "any_of", "rules": parts}), fact).passed
    assert every == all(evaluate(parse_rule(p), fact).passed for p in parts)
    assert some == any(evaluate(parse_rule(p), fact).passed for p in parts)
    if parts and every:
        assert some


@given(rules, facts)
def test_passed_agrees_with_actual_and_threshold_for_combinations(rule, fact):
    result = evaluate(parse_rule({"kind": "all_of", "rules": [rule]}), fact)
    assert result.passed == (result.actual >= result.threshold)
    result = evaluate(parse_rule({"kind": "any_of", "rules": [rule]}), fact)
    assert result.passed == (result.actual >= result.threshold)


@given(st.floats(0, 60, allow_nan=False), st.floats(0, 60, allow_nan=False),
       st.floats(0, 60, allow_nan=False))
def test_raising_a_threshold_never_lets_more_pass(score, low, high):
    low, high = sorted((low, high))
    fact = Facts(total_score=score)
    strict = evaluate(parse_rule({"kind": "total_score_at_least", "min": high}), fact).passed
    lenient = evaluate(parse_rule({"kind": "total_score_at_least", "min": low}), fact).passed
    assert not strict or lenient


@given(rules)
def test_a_valid_rule_survives_its_json_round_trip(rule):
    parsed = parse_rule(rule)
    assert parse_rule(parsed.model_dump(mode="json")) == parsed
