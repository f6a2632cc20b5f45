"""Demo award cycles (seed step ``seed_cycles``; their questionnaires: app/questionnaire/demo.py).

* "2023/24": archived history (ceremony 24 Nov 2023, Berlin; 56 seal alliances that year),
* "2024/25": the survey is open now (ceremony 22 Nov 2024, Berlin),
* "2025/26": a draft for the seal „Ausgezeichnetes Bündnis 2025/2026“.

Idempotent: an existing cycle (matched by key) is left alone.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, select

from app.core.db import utcnow
from app.core.german import GERMAN_TIME
from app.cycles.models import AwardCycle, CycleStatus
from app.cycles.schemas import slug_for


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


# The open demo survey runs from 14 days ago to 42 days ahead; its seal ceremony follows the
# close (the demo ceremony event of app/events/demo.py is held that day, too). So nothing in
# the demo is dated before the survey it rests on.
SURVEY_OPENED_DAYS_AGO = 14
SURVEY_CLOSES_DAYS_AHEAD = 42
CEREMONY_DAYS_AHEAD = 90

def ceremony_day(now: datetime) -> date:
    """The open demo cycle's ceremony day (German calendar day), well after the survey closes."""
    return (now + timedelta(days=CEREMONY_DAYS_AHEAD)).astimezone(GERMAN_TIME).date()


def demo_cycles() -> list[dict[str, Any]]:
    now = utcnow().replace(microsecond=0)
    return [
        {"key": "2023/24", "seal_title": "Ausgezeichnetes Bündnis 2023/24",
         "status": CycleStatus.archived,
         "opens_at": datetime(2023, 4, 17, 6, 0, tzinfo=UTC),
         "closes_at": datetime(2023, 6, 30, 21, 59, tzinfo=UTC),
         "ceremony_on": date(2023, 11, 24), "ceremony_place": "Berlin"},
        {"key": "2024/25", "seal_title": "Ausgezeichnetes Bündnis 2024/25",
         "status": CycleStatus.survey_open,
         "opens_at": now - timedelta(days=SURVEY_OPENED_DAYS_AGO),
         "closes_at": now + timedelta(days=SURVEY_CLOSES_DAYS_AHEAD),
         "ceremony_on": ceremony_day(now), "ceremony_place": "Berlin"},
        {"key": "2025/26", "seal_title": "Ausgezeichnetes Bündnis 2025/2026",
         "status": CycleStatus.draft, "opens_at": None, "closes_at": None,
         "ceremony_on": None, "ceremony_place": None},
    ]


def seed_cycles(session: Session, report: Report) -> None:
    for entry in demo_cycles():
        cycle = session.exec(select(AwardCycle).where(AwardCycle.key == entry["key"])).first()
        if cycle is None:
            cycle = AwardCycle(**entry, slug=slug_for(entry["key"]))
            session.add(cycle)
            session.flush()
            report.count("cycles")
    session.flush()
