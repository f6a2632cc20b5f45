"""The whole demo is coherent in time: nothing is dated before the survey it rests on, and the
seal follows the survey (no award, ceremony or answer before the window opened)."""

from zoneinfo import ZoneInfo

from sqlmodel import select

from app.awards.models import Award
from app.core.db import utcnow
from app.cycles.models import AwardCycle
from app.demo.seed import seed_demo
from app.events.models import Event, EventKind
from app.inquiries.models import Inquiry
from app.notices.models import SurveyNotice
from app.surveys.models import SurveyResponse

BERLIN = ZoneInfo("Europe/Berlin")


def _day(moment):
    return moment.astimezone(BERLIN).date()


def test_the_demo_is_coherent_in_time(session):
    seed_demo(session)
    now = utcnow()
    cycles = {c.id: c for c in session.exec(select(AwardCycle)).all()}
    assert {c.key for c in cycles.values()} >= {"2023/24", "2024/25", "2025/26"}
    for cycle in cycles.values():
        if cycle.opens_at and cycle.closes_at:
            assert cycle.opens_at < cycle.closes_at, cycle.key
            if cycle.ceremony_on:
                assert cycle.ceremony_on > _day(cycle.closes_at), cycle.key

    awards = session.exec(select(Award)).all()
    assert awards
    for award in awards:
        cycle = cycles[award.cycle_id]
        assert cycle.closes_at is not None and award.awarded_on > _day(cycle.closes_at), cycle.key
        assert award.awarded_on == cycle.ceremony_on

    responses = session.exec(select(SurveyResponse)).all()
    assert responses
    for response in responses:
        cycle = cycles[response.cycle_id]
        assert cycle.opens_at <= response.created_at <= now
        if response.submitted_at:
            assert cycle.opens_at <= response.submitted_at < cycle.closes_at

    for notice in session.exec(select(SurveyNotice)).all():
        cycle = cycles[notice.cycle_id]
        assert notice.created_at <= now and (notice.sent_at is None or notice.sent_at <= now)
        assert cycle.closes_at is None or notice.created_at < cycle.closes_at

    for inquiry in session.exec(select(Inquiry).where(Inquiry.cycle_id.is_not(None))).all():
        assert cycles[inquiry.cycle_id].opens_at <= inquiry.created_at <= now

    ceremonies = session.exec(select(Event).where(Event.kind == EventKind.ceremony,
                                                  Event.cycle_id.is_not(None))).all()
    assert ceremonies
    for event in ceremonies:
        cycle = cycles[event.cycle_id]
        assert _day(event.starts_at) == cycle.ceremony_on, cycle.key
        assert event.starts_at > cycle.closes_at
