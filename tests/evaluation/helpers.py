"""Helpers of the evaluation tests (fixtures stay in conftest.py)."""

from app.cycles.models import AwardCycle


def cycle_url(cycle: AwardCycle, tail: str) -> str:
    return f"/api/v1/cycles/{cycle.slug}/{tail}"


WEAK_ANSWERS = {"partner_meetings": 2, "press_coverage": False, "offer_frequency": "quarterly"}
