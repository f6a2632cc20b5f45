"""Demo seals (seed step ``seed_awards``): the 2023/24 seal for a few demo alliances.

In 2023, 56 alliances received the seal on 24 November in Berlin; the demo records four of
them, so the public registry, the certificate and the verification link have something to
show. Idempotent: an alliance that has an award of the cycle already is left alone; without
the cycle "2023/24" or the alliances nothing happens.
"""

from datetime import date
from typing import Protocol

from sqlmodel import Session, select

from app.alliances.models import Alliance
from app.awards import service
from app.awards.models import Award
from app.cycles.models import AwardCycle

DEMO_CYCLE_KEY = "2023/24"
DEMO_CEREMONY = date(2023, 11, 24)
DEMO_ACTOR = "system:seed-demo"
# Slugs of demo alliances (app/alliances/demo.py) that held the 2023/24 seal: none of them
# answers the 2024/25 demo survey (app/surveys/demo.py), as seal holders may not take part.
DEMO_SEAL_ALLIANCES = (
    "familienfreundliches-freiburg",
    "lokales-buendnis-fuer-familie-mainz",
    "bremer-buendnis-fuer-familie",
    "buendnis-fuer-familie-kassel",
)


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


def seed_awards(session: Session, report: Report) -> None:
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == DEMO_CYCLE_KEY)).first()
    if cycle is None or cycle.id is None:
        return
    awarded = set(session.exec(select(Award.alliance_id).where(Award.cycle_id == cycle.id)).all())
    for slug in DEMO_SEAL_ALLIANCES:
        alliance = session.exec(select(Alliance).where(Alliance.slug == slug)).first()
        if alliance is None or alliance.id is None or alliance.id in awarded:
            continue
        session.add(service.build_award(cycle, alliance.id, cycle.ceremony_on or DEMO_CEREMONY,
                                        DEMO_ACTOR))
        report.count("awards")
    session.flush()
