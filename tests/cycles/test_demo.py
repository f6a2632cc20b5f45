"""The demo seed step for cycles and questionnaires: realistic, consistent and idempotent."""

from collections import Counter

from sqlmodel import select

from app.cycles import demo
from app.cycles.models import AwardCycle
from app.demo.seed import SEED_STEPS, SeedReport
from app.questionnaire import demo as questionnaire_demo
from app.questionnaire import rules as scoring
from app.questionnaire.models import Question
from tests.cycles.helpers import CYCLES


def _seeded(session):
    report = SeedReport()
    demo.seed_cycles(session, report)
    questionnaire_demo.seed_questionnaires(session, report)
    session.commit()
    return report


def test_seed_creates_three_cycles_with_their_titles_and_statuses(client, session, admin):
    report = _seeded(session)
    assert report.created["cycles"] == 3
    by_key = {c["key"]: c for c in client.get(CYCLES, headers=admin).json()["items"]}
    assert by_key["2023/24"]["status"] == "archived"
    assert by_key["2023/24"]["seal_title"] == "Ausgezeichnetes Bündnis 2023/24"
    assert (by_key["2023/24"]["ceremony_on"], by_key["2023/24"]["ceremony_place"]) == ("2023-11-24", "Berlin")
    assert by_key["2024/25"]["status"] == "survey_open"
    assert by_key["2024/25"]["accepting_answers"] is True
    # The ceremony follows the survey's close (the demo is anchored to today).
    assert by_key["2024/25"]["ceremony_on"] > by_key["2024/25"]["closes_at"][:10]
    assert by_key["2025/26"]["status"] == "draft"
    assert by_key["2025/26"]["seal_title"] == "Ausgezeichnetes Bündnis 2025/2026"
    assert by_key["2023/24"]["question_count"] == 0
    assert by_key["2024/25"]["question_count"] == len(questionnaire_demo.QUESTIONNAIRE_2024)
    assert by_key["2025/26"]["question_count"] == len(questionnaire_demo.QUESTIONNAIRE_2025)


def test_seed_is_idempotent(session):
    _seeded(session)
    again = _seeded(session)
    assert again.created == {}
    keys = session.exec(select(AwardCycle.key).where(
        AwardCycle.key.in_(["2023/24", "2024/25", "2025/26"]))).all()
    assert sorted(keys) == ["2023/24", "2024/25", "2025/26"]


def test_demo_questionnaires_are_consistent_and_cover_the_four_criteria():
    for questions in (questionnaire_demo.QUESTIONNAIRE_2024, questionnaire_demo.QUESTIONNAIRE_2025):
        assert scoring.check_questionnaire(questions) == []
        groups = Counter(q["criterion_group"] for q in questions if q["criterion_group"])
        assert set(groups) == set(questionnaire_demo.CRITERION_GROUPS)
        assert min(groups.values()) >= 3


def test_demo_questionnaire_scores_a_plausible_answer(client, session, admin):
    _seeded(session)
    answers = {"partner_count": 12, "partner_sectors": ["municipality", "business", "church"],
               "network_meetings": 4, "press_reports": 2, "own_channels": True,
               "public_events": 3, "offer_frequency": "monthly",
               "offer_areas": ["childcare", "leisure"], "annual_plan": False}
    r = client.post(f"{CYCLES}/2024-25/questions:score-preview", headers=admin,
                    json={"answers": answers})
    assert r.status_code == 200, r.text
    # 6 + 3 + 4 | 2 + 3 + 4.5 | 10 + 2 | 0
    assert r.json()["total"] == 34.5
    assert r.json()["group_scores"] == {"networking": 13.0, "visibility": 9.5, "offers": 12.0,
                                        "future": 0.0}
    assert r.json()["missing_required"] == []


def test_seed_step_is_registered_right_after_the_users(session):
    names = [step.__name__ for step in SEED_STEPS]
    assert names.index("seed_cycles") == names.index("_seed_users") + 1
    questions = session.exec(select(Question)).all()
    assert all(q.cycle_id for q in questions)
