"""The activity score (Aktivitätsgrad) and the answer and questionnaire checks: worked examples
as tables, and invariants as hypothesis properties."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.questionnaire import rules as scoring
from app.questionnaire.rules import (
    check_answers,
    check_question,
    check_questionnaire,
    max_points,
    max_score,
    missing_required,
    raw_points,
    round2,
    score,
)
from tests.factories import GOOD_ANSWERS, STANDARD_QUESTIONS


@dataclass
class Q:
    key: str
    type: str
    scoring: dict[str, Any] = field(default_factory=lambda: {"kind": "none"})
    options: list[dict[str, Any]] = field(default_factory=list)
    weight: float = 1.0
    required: bool = False
    criterion_group: str | None = None


def opts(*points: float) -> list[dict[str, Any]]:
    return [{"value": f"o{i}", "label": f"Option {i}", "points": p} for i, p in enumerate(points)]


STANDARD = [Q(**{k: v for k, v in spec.items() if k != "text"}) for spec in STANDARD_QUESTIONS]

PER_UNIT = Q("meetings", "integer", {"kind": "per_unit", "points_per_unit": 1.5, "cap": 6})
UNCAPPED = Q("partners", "integer", {"kind": "per_unit", "points_per_unit": 0.5})
IF_YES = Q("press", "boolean", {"kind": "if_yes", "points": 3})
SINGLE = Q("frequency", "single_choice", {"kind": "per_option"}, opts(0, 2, 4))
MULTI = Q("topics", "multi_choice", {"kind": "per_option"}, opts(1, 1.5, 2))
TEXT = Q("remarks", "text")
DATE = Q("last_event_on", "date")


# --- raw points per kind ----------------------------------------------------------------------

@pytest.mark.parametrize(("question", "answer", "points"), [
    (PER_UNIT, 0, 0.0),
    (PER_UNIT, 3, 4.5),
    (PER_UNIT, 4, 6.0),          # exactly at the cap
    (PER_UNIT, 100, 6.0),        # capped
    (UNCAPPED, 41, 20.5),        # no cap: grows with the answer
    (PER_UNIT, -5, 0.0),         # invalid (negative) counts like no answer
    (PER_UNIT, "5", 0.0),        # text for a number: invalid
    (PER_UNIT, True, 0.0),       # a boolean is not a count
    (PER_UNIT, 2.5, 0.0),        # not a whole number
    (IF_YES, True, 3.0),
    (IF_YES, False, 0.0),
    (IF_YES, "yes", 0.0),
    (IF_YES, 1, 0.0),
    (SINGLE, "o2", 4.0),
    (SINGLE, "o0", 0.0),
    (SINGLE, "o9", 0.0),         # unknown option
    (SINGLE, ["o2"], 0.0),       # a list for a single choice
    (MULTI, ["o0", "o2"], 3.0),
    (MULTI, ["o0", "o1", "o2"], 4.5),
    (MULTI, [], 0.0),
    (MULTI, ["o2", "o2"], 0.0),  # an option twice is invalid, never double points
    (MULTI, "o2", 0.0),          # a single value for a multi choice
    (MULTI, ["o0", "o9"], 0.0),  # one unknown option spoils the answer
    (TEXT, "Alles gut", 0.0),
    (DATE, "2024-05-04", 0.0),
    (PER_UNIT, None, 0.0),
])
def test_raw_points(question, answer, points):
    assert raw_points(question, answer) == points


@pytest.mark.parametrize(("question", "answer", "points"), [
    # kind does not fit the type: the answer scores nothing instead of crashing
    (Q("x", "boolean", {"kind": "per_unit", "points_per_unit": 2}), True, 0.0),
    (Q("x", "text", {"kind": "per_option"}), "o1", 0.0),
    (Q("x", "integer", {"kind": "if_yes", "points": 5}), 3, 0.0),
    (Q("x", "integer", {"kind": "mystery"}), 3, 0.0),
    # missing or broken scoring numbers fall back to the documented defaults
    (Q("x", "integer", {"kind": "per_unit"}), 3, 3.0),
    (Q("x", "integer", {"kind": "per_unit", "points_per_unit": None, "cap": None}), 3, 3.0),
    (Q("x", "boolean", {"kind": "if_yes"}), True, 1.0),
    (Q("x", "boolean", {"kind": "if_yes", "points": -4}), True, 0.0),
    (Q("x", "single_choice", {"kind": "per_option"}, opts(-3, 2)), "o0", 0.0),
    (Q("x", "integer", {"kind": "per_unit", "points_per_unit": float("nan")}), 3, 3.0),
])
def test_raw_points_of_odd_definitions_are_safe(question, answer, points):
    assert raw_points(question, answer) == points


# --- maxima -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "best"), [
    (PER_UNIT, 6.0),
    (UNCAPPED, None),
    (Q("x", "integer", {"kind": "per_unit", "points_per_unit": 0}), 0.0),
    (IF_YES, 3.0),
    (SINGLE, 4.0),           # the best single option
    (MULTI, 4.5),            # all options together
    (TEXT, 0.0),
    (Q("x", "single_choice", {"kind": "none"}, opts(5, 6)), 0.0),
])
def test_max_points(question, best):
    assert max_points(question) == best


def test_max_score_is_weighted_and_unbounded_only_when_it_matters():
    assert max_score(STANDARD) == 6 + 3 + 4 * 2 + 4
    assert max_score([PER_UNIT, UNCAPPED]) is None
    assert max_score([PER_UNIT, Q("p", "integer", {"kind": "per_unit", "points_per_unit": 1},
                                  weight=0)]) == 6.0
    assert max_score([]) == 0.0


# --- whole questionnaires: worked examples ----------------------------------------------------

@pytest.mark.parametrize(("answers", "total", "groups"), [
    # the documented example: 6 (capped) + 3 + 4×2 + 2
    (GOOD_ANSWERS, 19.0, {"networking": 6.0, "visibility": 3.0, "offers": 8.0, "future": 2.0}),
    ({}, 0.0, {"networking": 0.0, "visibility": 0.0, "offers": 0.0, "future": 0.0}),
    ({"partner_meetings": 2, "press_coverage": False}, 2.0,
     {"networking": 2.0, "visibility": 0.0, "offers": 0.0, "future": 0.0}),
    ({"offer_frequency": "quarterly", "future_topics": ["childcare", "care_work", "low_income",
                                                         "company_policy"]}, 8.0,
     {"networking": 0.0, "visibility": 0.0, "offers": 4.0, "future": 4.0}),
    ({"partner_meetings": None, "remarks": "", "last_event_on": "2024-01-01"}, 0.0,
     {"networking": 0.0, "visibility": 0.0, "offers": 0.0, "future": 0.0}),
])
def test_score_worked_examples(answers, total, groups):
    result = score(STANDARD, answers)
    assert result.total == total
    assert result.group_scores() == groups
    assert result.max_total == 21.0
    assert [row["question"] for row in result.breakdown] == [q.key for q in STANDARD]


def test_breakdown_explains_each_question():
    rows = {row["question"]: row for row in score(STANDARD, GOOD_ANSWERS).breakdown}
    assert rows["offer_frequency"] == {
        "question": "offer_frequency", "group": "offers", "answered": True, "points": 4.0,
        "weight": 2.0, "weighted": 8.0, "max": 8.0,
    }
    assert rows["partner_meetings"]["points"] == 6.0  # 8 meetings, capped at 6
    assert rows["remarks"]["answered"] is True and rows["remarks"]["weighted"] == 0.0
    assert score(STANDARD, {}).breakdown[0]["answered"] is False


@pytest.mark.parametrize(("weight", "total"), [(0, 0.0), (0.5, 2.0), (1, 4.0), (2.5, 10.0)])
def test_weight_multiplies_points(weight, total):
    question = Q("f", "single_choice", {"kind": "per_option"}, opts(0, 4), weight=weight)
    assert score([question], {"f": "o1"}).total == total


def test_negative_weight_counts_as_zero():
    question = Q("f", "boolean", {"kind": "if_yes", "points": 3}, weight=-2)
    assert score([question], {"f": True}).total == 0.0


def test_rounding_is_half_up_and_rows_add_up_to_the_total():
    # 0.125 per unit: 1 unit -> 0.125 -> 0.13 (round() would give 0.12)
    question = Q("n", "integer", {"kind": "per_unit", "points_per_unit": 0.125})
    assert score([question], {"n": 1}).total == 0.13
    three = [Q(f"n{i}", "integer", {"kind": "per_unit", "points_per_unit": 0.1}) for i in range(3)]
    result = score(three, {"n0": 1, "n1": 2, "n2": 3})
    assert result.total == 0.6  # 0.1 + 0.2 + 0.3 without float noise
    assert round2(2.675) == 2.68 and round2(1.005) == 1.01


@pytest.mark.parametrize(("per_unit", "total"), [(1e300, 1e306), (1e308, 0.0)])
def test_absurd_definitions_never_crash_the_score(per_unit, total):
    question = Q("n", "integer", {"kind": "per_unit", "points_per_unit": per_unit})
    assert score([question], {"n": 1_000_000}).total == total


def test_answers_for_unknown_questions_do_not_count():
    assert score(STANDARD, {"invented": 100}).total == 0.0


# --- answer checks ----------------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "expected"), [
    (GOOD_ANSWERS, []),
    ({**GOOD_ANSWERS, "extra": 1}, [(("body", "answers", "extra"), "unknown_question")]),
    ({**GOOD_ANSWERS, "partner_meetings": "8"}, [(("body", "answers", "partner_meetings"), "integer_type")]),
    ({**GOOD_ANSWERS, "partner_meetings": -1}, [(("body", "answers", "partner_meetings"), "integer_type")]),
    ({**GOOD_ANSWERS, "partner_meetings": 1_000_001}, [(("body", "answers", "partner_meetings"), "integer_type")]),
    ({**GOOD_ANSWERS, "press_coverage": "ja"}, [(("body", "answers", "press_coverage"), "boolean_type")]),
    ({**GOOD_ANSWERS, "offer_frequency": "weekly"}, [(("body", "answers", "offer_frequency"), "single_choice_type")]),
    ({**GOOD_ANSWERS, "future_topics": ["childcare", "childcare"]}, [(("body", "answers", "future_topics"), "multi_choice_type")]),
    ({**GOOD_ANSWERS, "future_topics": "childcare"}, [(("body", "answers", "future_topics"), "multi_choice_type")]),
    ({**GOOD_ANSWERS, "remarks": "x" * 5001}, [(("body", "answers", "remarks"), "text_type")]),
    ({**GOOD_ANSWERS, "last_event_on": "04.05.2024"}, [(("body", "answers", "last_event_on"), "date_type")]),
    ({**GOOD_ANSWERS, "last_event_on": "20240504"}, [(("body", "answers", "last_event_on"), "date_type")]),
    ({**GOOD_ANSWERS, "last_event_on": "2024-W18-6"}, [(("body", "answers", "last_event_on"), "date_type")]),
    ({**GOOD_ANSWERS, "last_event_on": "2024-02-30"}, [(("body", "answers", "last_event_on"), "date_type")]),
])
def test_check_answers_names_the_answer_at_fault(answers, expected):
    errors = check_answers(STANDARD, answers, complete=True)
    assert [(tuple(e["loc"]), e["type"]) for e in errors] == expected


def test_required_answers_only_when_complete():
    partial = {"partner_meetings": 3}
    assert check_answers(STANDARD, partial, complete=False) == []
    missing = check_answers(STANDARD, partial, complete=True)
    assert [e["loc"][-1] for e in missing] == ["press_coverage", "offer_frequency"]
    assert {e["type"] for e in missing} == {"missing"}
    assert missing_required(STANDARD, partial) == ["press_coverage", "offer_frequency"]


def test_blank_text_does_not_answer_a_required_text_question():
    question = Q("story", "text", required=True)
    assert [e["type"] for e in check_answers([question], {"story": "   "}, complete=True)] == ["missing"]
    assert check_answers([question], {"story": "   "}, complete=False) == []
    assert missing_required([question], {"story": " Gut "}) == []


def test_check_answers_takes_a_loc_prefix():
    errors = check_answers(STANDARD, {"nope": 1}, complete=False, loc_prefix=("items", 3, "answers"))
    assert errors[0]["loc"] == ["items", 3, "answers", "nope"]


# --- questionnaire definitions ----------------------------------------------------------------

def spec(type_: str, scoring_: dict[str, Any], options: list[dict[str, Any]] | None = None,
         key: str = "q") -> dict[str, Any]:
    return {"key": key, "type": type_, "scoring": scoring_, "options": options or []}


@pytest.mark.parametrize(("question", "expected"), [
    (spec("boolean", {"kind": "if_yes", "points": 2}), []),
    (spec("integer", {"kind": "per_unit", "points_per_unit": 1, "cap": 5}), []),
    (spec("integer", {"kind": "per_unit", "points_per_unit": 1}), []),
    (spec("single_choice", {"kind": "per_option"}, opts(0, 1)), []),
    (spec("multi_choice", {"kind": "per_option"}, opts(1, 1, 1)), []),
    (spec("text", {"kind": "none"}), []),
    (spec("date", {}), []),
    (spec("boolean", {"kind": "per_option"}), [(("scoring", "kind"), "scoring_kind_mismatch")]),
    (spec("integer", {"kind": "if_yes", "points": 1}), [(("scoring", "kind"), "scoring_kind_mismatch")]),
    (spec("single_choice", {"kind": "per_unit", "points_per_unit": 1}, opts(0, 1)),
     [(("scoring", "kind"), "scoring_kind_mismatch")]),
    (spec("text", {"kind": "if_yes", "points": 1}), [(("scoring", "kind"), "scoring_kind_mismatch")]),
    (spec("integer", {"kind": "per_unit"}), [(("scoring", "points_per_unit"), "missing")]),
    (spec("boolean", {"kind": "if_yes"}), [(("scoring", "points"), "missing")]),
    (spec("boolean", {"kind": "if_yes", "points": 1, "cap": 3}),
     [(("scoring", "cap"), "scoring_field_not_allowed")]),
    (spec("integer", {"kind": "none", "points_per_unit": 2}),
     [(("scoring", "points_per_unit"), "scoring_field_not_allowed")]),
    (spec("single_choice", {"kind": "per_option"}, opts(1)), [(("options",), "too_few_options")]),
    (spec("multi_choice", {"kind": "per_option"}), [(("options",), "too_few_options")]),
    (spec("single_choice", {"kind": "per_option"},
          [{"value": "a", "label": "A"}, {"value": "a", "label": "A again"}]),
     [(("options", 1, "value"), "duplicate_option")]),
    (spec("boolean", {"kind": "if_yes", "points": 1}, opts(0, 1)),
     [(("options",), "options_not_allowed")]),
    (spec("single_choice", {"kind": "none"}, opts(0, 3)), [(("scoring", "kind"), "option_points_unused")]),
    (spec("integer", {"kind": "bonus"}), [(("scoring", "kind"), "scoring_kind")]),
])
def test_check_question_names_the_inconsistent_field(question, expected):
    errors = check_question(question, ("body",))
    assert [(tuple(e["loc"][1:]), e["type"]) for e in errors] == expected
    assert all(e["loc"][0] == "body" for e in errors)


def test_check_questionnaire_finds_duplicate_keys_and_indexes_errors():
    questions = [spec("text", {}, key="a"), spec("boolean", {"kind": "if_yes"}, key="b"),
                 spec("text", {}, key="a")]
    errors = check_questionnaire(questions)
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "questions", 1, "scoring", "points"], "missing"),
        (["body", "questions", 2, "key"], "duplicate_key"),
    ]


def test_standard_questionnaire_is_consistent():
    assert check_questionnaire(STANDARD_QUESTIONS) == []


# --- properties -------------------------------------------------------------------------------

points_st = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
weight_st = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)


@st.composite
def questions_st(draw: st.DrawFn, index: int) -> Q:
    key = f"q{index}"
    kind = draw(st.sampled_from(["per_unit", "per_unit_capped", "if_yes", "single", "multi", "none"]))
    weight = draw(weight_st)
    group = draw(st.sampled_from([None, "networking", "visibility", "offers", "future"]))
    if kind.startswith("per_unit"):
        rule: dict[str, Any] = {"kind": "per_unit", "points_per_unit": draw(points_st)}
        if kind == "per_unit_capped":
            rule["cap"] = draw(st.floats(min_value=0, max_value=10_000, allow_nan=False))
        return Q(key, "integer", rule, weight=weight, criterion_group=group)
    if kind == "if_yes":
        return Q(key, "boolean", {"kind": "if_yes", "points": draw(points_st)}, weight=weight,
                 criterion_group=group)
    if kind in ("single", "multi"):
        options = opts(*draw(st.lists(points_st, min_size=2, max_size=6)))
        return Q(key, f"{kind}_choice", {"kind": "per_option"}, options, weight=weight,
                 criterion_group=group)
    return Q(key, draw(st.sampled_from(["text", "date"])), weight=weight, criterion_group=group)


@st.composite
def questionnaire_st(draw: st.DrawFn) -> list[Q]:
    size = draw(st.integers(min_value=0, max_value=8))
    return [draw(questions_st(i)) for i in range(size)]


def valid_answer_st(question: Q) -> st.SearchStrategy[Any]:
    values = [o["value"] for o in question.options]
    return {
        "integer": st.integers(min_value=0, max_value=scoring.MAX_INTEGER),
        "boolean": st.booleans(),
        "single_choice": st.sampled_from(values) if values else st.none(),
        "multi_choice": st.lists(st.sampled_from(values), unique=True) if values else st.none(),
        # what a text answer may hold: no control or bidi formatting characters (core/text)
        "text": st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=(
            "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
            "\u2028\u2029")), max_size=50),
        "date": st.dates().map(lambda d: d.isoformat()),
    }[question.type]


@st.composite
def answered_st(draw: st.DrawFn) -> tuple[list[Q], dict[str, Any]]:
    questions = draw(questionnaire_st())
    answers = {}
    for question in questions:
        if draw(st.booleans()):
            answers[question.key] = draw(valid_answer_st(question))
    return questions, answers


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(answered_st())
def test_score_is_never_negative_nor_above_the_maximum(case):
    questions, answers = case
    result = score(questions, answers)
    assert result.total >= 0
    best = max_score(questions)
    assert result.max_total == best
    if best is not None:
        assert result.total <= best + 1e-9
    assert check_answers(questions, answers, complete=False) == []


@settings(max_examples=300, deadline=None)
@given(answered_st())
def test_breakdown_adds_up_to_total_and_groups(case):
    questions, answers = case
    result = score(questions, answers)
    assert result.total == pytest.approx(sum(row["weighted"] for row in result.breakdown), rel=1e-9, abs=1e-6)
    grouped = sum(result.group_scores().values())
    ungrouped = sum(row["weighted"] for row in result.breakdown if not row["group"])
    assert grouped + ungrouped == pytest.approx(result.total, rel=1e-9, abs=1e-6)
    for row in result.breakdown:
        assert row["weighted"] >= 0
        assert row["max"] is None or row["weighted"] <= row["max"] + 1e-9


@settings(max_examples=300, deadline=None)
@given(questionnaire_st(), st.dictionaries(st.sampled_from([f"q{i}" for i in range(8)]), any_json))
def test_any_json_answers_never_crash_and_never_go_negative(questions, answers):
    result = score(questions, answers)
    assert result.total >= 0
    best = max_score(questions)
    if best is not None:
        assert result.total <= best + 1e-9


@settings(max_examples=200, deadline=None)
@given(answered_st(), st.data())
def test_answering_more_never_lowers_the_score(case, data):
    questions, answers = case
    unanswered = [q for q in questions if q.key not in answers]
    if not unanswered:
        return
    extra = data.draw(st.sampled_from(unanswered))
    more = {**answers, extra.key: data.draw(valid_answer_st(extra))}
    assert score(questions, more).total >= score(questions, answers).total


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000),
       points_st, st.one_of(st.none(), st.floats(min_value=0, max_value=500)))
def test_per_unit_is_monotonic_in_the_answer(a, b, per_unit, cap):
    rule: dict[str, Any] = {"kind": "per_unit", "points_per_unit": per_unit}
    if cap is not None:
        rule["cap"] = cap
    question = Q("n", "integer", rule)
    low, high = sorted((a, b))
    assert raw_points(question, low) <= raw_points(question, high)
    if cap is not None:
        assert raw_points(question, high) <= cap


ANY_ANSWER = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2_000_000), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["o0", "o1", "2024-05-04", "Zeile\x1bzwei"]),
    st.lists(st.sampled_from(["o0", "o1", "o2", "x"]), max_size=4),
)
KINDS = [{"kind": "none"}, {"kind": "if_yes", "points": 3}, {"kind": "per_unit", "points_per_unit": 2},
         {"kind": "per_option"}, {"kind": "bogus"}]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["boolean", "integer", "single_choice", "multi_choice", "text", "date"]),
       st.sampled_from(KINDS), ANY_ANSWER)
def test_an_answer_earns_points_only_if_valid_and_its_kind_scores_its_type(kind_of, rule, answer):
    """``raw_points`` checks an answer only where its kind can score it; anywhere else, and for
    any invalid answer, it gives 0, as when it checked every answer first."""
    question = Q("q", kind_of, rule, opts(1, 2, 3) if kind_of.endswith("choice") else [])
    points = raw_points(question, answer)
    invalid = answer is None or scoring._type_error(question, answer) is not None
    if invalid or not scoring._scores(scoring._kind(question), kind_of):
        assert points == 0.0
