"""The demo seed step for the 2023/24 seals: idempotent, and only where there is a cycle."""

from datetime import date

from sqlmodel import select

from app.awards.demo import DEMO_SEAL_ALLIANCES, seed_awards
from app.awards.models import Award
from tests import factories


class SeedReport:
    def __init__(self) -> None:
        self.created: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


def test_records_the_2023_seals_once(session):
    cycle = factories.make_cycle(session, key="2023/24", slug="2023-24", status="archived",
                                 seal_title="Ausgezeichnetes Bündnis 2023/24", ceremony_on=date(2023, 11, 24))
    alliances = [factories.make_alliance(session, slug=slug) for slug in DEMO_SEAL_ALLIANCES]
    report = SeedReport()
    seed_awards(session, report)
    seed_awards(session, report)
    awards = session.exec(select(Award).where(Award.cycle_id == cycle.id)).all()
    assert sorted(a.alliance_id for a in awards) == sorted(a.id for a in alliances)
    assert report.created == {"awards": 4}
    assert {(a.title, a.awarded_on, a.status) for a in awards} == {
        ("Ausgezeichnetes Bündnis 2023/24", date(2023, 11, 24), "confirmed")}
    assert len({a.verification_code for a in awards}) == 4


def test_without_the_cycle_nothing_happens(session):
    report = SeedReport()
    seed_awards(session, report)
    assert report.created == {}

