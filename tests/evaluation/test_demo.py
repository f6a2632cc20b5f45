"""The demo seed step for the 2024/25 criteria: idempotent, and it fits the demo questionnaire."""

from sqlmodel import select

from app.evaluation.demo import DEMO_CRITERIA, seed_criteria
from app.evaluation.models import SealCriterion
from app.evaluation.rules import parse_rule
from app.questionnaire.demo import QUESTIONNAIRE_2024
from tests import factories


class SeedReport:
    def __init__(self) -> None:
        self.created: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


def _criteria(session, cycle):
    return session.exec(select(SealCriterion).where(SealCriterion.cycle_id == cycle.id)
                        .order_by(SealCriterion.position)).all()


def test_seeds_the_four_published_criteria_once(session):
    cycle = factories.make_cycle(session, key="2024/25", slug="2024-25")
    factories.make_questions(session, cycle, QUESTIONNAIRE_2024)
    report = SeedReport()
    seed_criteria(session, report)
    seed_criteria(session, report)
    rows = _criteria(session, cycle)
    assert [r.key for r in rows] == ["networking", "visibility", "offers", "future"]
    assert report.created == {"seal criteria": 4}
    assert rows[0].label == "Gute Vernetzung mit der Bundesinitiative und regionalen Akteuren"
    assert all(parse_rule(r.rule) for r in rows)


def test_a_questionnaire_the_criteria_do_not_fit_is_left_alone(session):
    cycle = factories.make_cycle(session, key="2024/25", slug="2024-25")
    factories.make_questions(session, cycle)  # the test questionnaire has no annual_plan question
    report = SeedReport()
    seed_criteria(session, report)
    assert _criteria(session, cycle) == [] and report.created == {}


def test_without_the_cycle_nothing_happens(session):
    report = SeedReport()
    seed_criteria(session, report)
    assert report.created == {}
    assert len(DEMO_CRITERIA) == 4
