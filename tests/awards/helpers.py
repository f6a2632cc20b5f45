"""Helpers of the awards tests (fixtures stay in conftest.py)."""

from typing import Any

from app.alliances.models import Alliance
from app.cycles.models import AwardCycle

WEAK_ANSWERS = {"partner_meetings": 2, "press_coverage": False, "offer_frequency": "quarterly"}


def cycle_url(cycle: AwardCycle, tail: str) -> str:
    return f"/api/v1/cycles/{cycle.slug}/{tail}"


def confirm(client, admin, cycle: AwardCycle, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = client.post(cycle_url(cycle, "awards:confirm"), headers=admin, json=body or {})
    assert r.status_code == 200, r.text
    return r.json()


def award_of(report: dict[str, Any], alliance: Alliance) -> dict[str, Any]:
    return next(a for a in report["awards"] if a["alliance"]["id"] == alliance.id)
