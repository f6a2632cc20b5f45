"""Shared by the cycle and questionnaire tests: problem assertions and ready-made payloads."""

from typing import Any

from tests.utils.problems import error_loc_tuples as locs  # noqa: F401 (used by the cycle tests)

CYCLES = "/api/v1/cycles"






def question(key: str = "press_coverage", **overrides: Any) -> dict[str, Any]:
    """A valid boolean question payload."""
    payload: dict[str, Any] = {
        "key": key, "text": "Wurde in der Presse über das Bündnis berichtet?", "type": "boolean",
        "required": True, "criterion_group": "visibility",
        "scoring": {"kind": "if_yes", "points": 3}, "weight": 1.0,
    }
    payload.update(overrides)
    return payload


def choice_question(key: str = "offer_frequency", **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "key": key, "text": "Wie regelmäßig gibt es Angebote für Familien?",
        "type": "single_choice", "required": True, "criterion_group": "offers",
        "options": [{"value": "rarely", "label": "selten", "points": 0},
                    {"value": "monthly", "label": "monatlich", "points": 4}],
        "scoring": {"kind": "per_option"}, "weight": 2.0,
    }
    payload.update(overrides)
    return payload
