"""What a seal-criterion rule says of one alliance's response: passed or not, the value seen,
the threshold, and a German explanation the alliance can read. Pure; the rule language and
its semantics are described in ``rules.py``."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.evaluation.rules import (
    COMBINATORS,
    SOURCE_ANSWER,
    SOURCE_REGISTRY,
    RuleAllOf,
    RuleAnswer,
    RuleAnyOf,
    RuleGroupScoreAtLeast,
    RulePartnersAtLeast,
    RuleTotalScoreAtLeast,
    RuleWantsSeal,
    is_iso_date,
    is_number,
)


@dataclass(frozen=True)
class Facts:
    """What the rules may look at, for one alliance's response."""

    total_score: float
    group_scores: Mapping[str, float] = field(default_factory=dict)
    answers: Mapping[str, Any] = field(default_factory=dict)
    partner_count: int = 0
    wants_seal: bool = False


@dataclass(frozen=True)
class RuleResult:
    kind: str
    passed: bool
    actual: Any
    op: str
    threshold: Any
    explanation: str
    parts: tuple["RuleResult", ...] = ()
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind, "passed": self.passed, "actual": self.actual, "op": self.op,
            "threshold": self.threshold, "explanation": self.explanation,
        }
        if self.source is not None:
            data["source"] = self.source
        if self.kind in COMBINATORS:
            data["parts"] = [part.as_dict() for part in self.parts]
        return data


def german_number(value: float) -> str:
    """12 → "12", 12.5 → "12,5" (German decimal comma)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if is_number(value):
        return german_number(value)
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "keine Auswahl"
    return f"„{value}“"


def _verdict(passed: bool) -> str:
    return "erfüllt" if passed else "nicht erfüllt"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if is_number(a) and is_number(b):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return {_key(v) for v in a} == {_key(v) for v in b}
    return type(a) is type(b) and a == b


def _key(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return ("bool", value)
    if is_number(value):
        return ("number", float(value))
    return (type(value).__name__, value)


def _ordered(actual: Any, threshold: Any, op: str) -> bool:
    if isinstance(actual, list) and is_number(threshold):
        actual = len(actual)
    if is_number(actual) and is_number(threshold):
        return actual >= threshold if op == "gte" else actual <= threshold
    if is_iso_date(actual) and is_iso_date(threshold):
        return actual >= threshold if op == "gte" else actual <= threshold
    return False


def compare(actual: Any, op: str, value: Any) -> bool:
    """The answer comparison; ``actual`` None (unanswered) never passes."""
    if actual is None:
        return False
    if op == "eq":
        return _same(actual, value)
    if op == "ne":
        return not _same(actual, value)
    if op in ("gte", "lte"):
        return _ordered(actual, value, op)
    if op == "in":
        chosen = actual if isinstance(actual, list) else [actual]
        return any(_same(c, v) for c in chosen for v in value)
    if op == "contains":
        if isinstance(actual, list):
            return any(_same(c, value) for c in actual)
        if isinstance(actual, str) and isinstance(value, str):
            return value.casefold() in actual.casefold()
    return False


_OP_WORDS = {
    "eq": "gleich", "ne": "ungleich", "gte": "mindestens", "lte": "höchstens",
    "in": "eine von", "contains": "enthält",
}


def _at_least(kind: str, what: str, actual: float, minimum: float, unit: str) -> RuleResult:
    passed = actual >= minimum
    return RuleResult(
        kind=kind, passed=passed, actual=actual, op="gte", threshold=minimum,
        explanation=f"{what}: {german_number(actual)} {unit}, mindestens {german_number(minimum)} "
        f"nötig – {_verdict(passed)}.",
    )


def evaluate(rule: Any, facts: Facts) -> RuleResult:
    """Evaluate one rule against one alliance's facts. Pure: no database, no clock."""
    if isinstance(rule, RuleGroupScoreAtLeast):
        actual = round(float(facts.group_scores.get(rule.group, 0.0)), 2)
        return _at_least(rule.kind, f"Aktivitätsgrad im Bereich „{rule.group}“", actual, rule.min,
                         "Punkte")
    if isinstance(rule, RuleTotalScoreAtLeast):
        return _at_least(rule.kind, "Aktivitätsgrad insgesamt", round(float(facts.total_score), 2),
                         rule.min, "Punkte")
    if isinstance(rule, RulePartnersAtLeast):
        return _evaluate_partners(rule, facts)
    if isinstance(rule, RuleWantsSeal):
        passed = facts.wants_seal is True
        text = "Interesse am Siegel bekundet" if passed else "Kein Interesse am Siegel bekundet"
        return RuleResult(kind=rule.kind, passed=passed, actual=passed, op="eq", threshold=True,
                          explanation=f"{text} – {_verdict(passed)}.")
    if isinstance(rule, RuleAnswer):
        return _evaluate_answer(rule, facts)
    if isinstance(rule, RuleAllOf | RuleAnyOf):
        return _evaluate_combination(rule, facts)
    raise TypeError(f"not a rule: {rule!r}")


def _evaluate_partners(rule: RulePartnersAtLeast, facts: Facts) -> RuleResult:
    if rule.source == SOURCE_REGISTRY:
        result = _at_least(rule.kind, "Partnerorganisationen laut Bündnisregister (nicht aus der "
                           "Umfrage)", facts.partner_count, rule.min, "eingetragen")
        return RuleResult(**{**result.__dict__, "source": SOURCE_REGISTRY})
    reported = facts.answers.get(rule.question or "")
    if not isinstance(reported, int | float) or isinstance(reported, bool):
        return RuleResult(
            kind=rule.kind, passed=False, actual=None, op="gte", threshold=rule.min,
            source=SOURCE_ANSWER,
            explanation=f"Partnerorganisationen laut Umfrageantwort („{rule.question}“): keine "
            f"Angabe; mindestens {german_number(rule.min)} nötig – nicht erfüllt (ohne Angabe "
            "in der Antwort gilt die Bedingung als nicht erfüllt).",
        )
    result = _at_least(rule.kind, f"Partnerorganisationen laut Umfrageantwort („{rule.question}“)",
                       float(reported), rule.min, "angegeben")
    return RuleResult(**{**result.__dict__, "source": SOURCE_ANSWER})


def _evaluate_answer(rule: RuleAnswer, facts: Facts) -> RuleResult:
    actual = facts.answers.get(rule.question)
    passed = compare(actual, rule.op, rule.value)
    wanted = f"verlangt: {_OP_WORDS[rule.op]} {_shown(rule.value)}"
    if actual is None:
        text = f"Frage „{rule.question}“ nicht beantwortet ({wanted}) – {_verdict(passed)}."
    else:
        text = f"Antwort auf „{rule.question}“: {_shown(actual)}; {wanted} – {_verdict(passed)}."
    return RuleResult(kind=rule.kind, passed=passed, actual=actual, op=rule.op,
                      threshold=rule.value, explanation=text)


def _evaluate_combination(rule: "RuleAllOf | RuleAnyOf", facts: Facts) -> RuleResult:
    parts = tuple(evaluate(part, facts) for part in rule.rules)
    met = sum(part.passed for part in parts)
    if isinstance(rule, RuleAllOf):
        needed = len(parts)
        passed = met >= needed
        text = (f"{met} von {needed} Teilbedingungen erfüllt, alle nötig – {_verdict(passed)}."
                if parts else "Keine Teilbedingungen – erfüllt (eine leere Liste gilt als erfüllt).")
    else:
        needed = 1
        passed = met >= needed
        text = (f"{met} von {len(parts)} Teilbedingungen erfüllt, mindestens eine nötig – "
                f"{_verdict(passed)}." if parts
                else "Keine Teilbedingungen – nicht erfüllt (eine leere Auswahl gilt als nicht erfüllt).")
    return RuleResult(kind=rule.kind, passed=passed, actual=met, op="gte", threshold=needed,
                      explanation=text, parts=parts)


def evaluate_all(rules: Sequence[Any], facts: Facts) -> list[RuleResult]:
    return [evaluate(rule, facts) for rule in rules]
