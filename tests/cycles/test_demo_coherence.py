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


def test_projekt_zukunft_in_the_demo_follows_the_evaluation_and_now(session):
    """Events, invitations, delegates, workgroups, members and results: every created_at and
    updated_at lies between the thing it belongs to and now; registrations between the
    invitation (or the event's entry) and the deadline; Projekt Zukunft (exchanges, workshops,
    dialogues, workgroups, results) after its cycle's survey closed, and no invitation by the
    rule in a cycle without an evaluation run."""
    from app.evaluation.models import EvaluationRun
    from app.events.models import EventDelegate, EventInvitation
    from app.workgroups.models import Workgroup, WorkgroupMember, WorkgroupResult

    seed_demo(session)
    now = utcnow()
    cycles = {c.id: c for c in session.exec(select(AwardCycle)).all()}
    evaluated = set(session.exec(select(EvaluationRun.cycle_id)).all())
    events = {e.id: e for e in session.exec(select(Event)).all()}
    assert events

    for event in events.values():
        assert event.created_at <= event.updated_at <= now, event.title
        cycle = cycles.get(event.cycle_id)
        if cycle is None:
            continue
        assert cycle.opens_at is None or cycle.opens_at <= event.created_at, event.title
        if event.kind != EventKind.ceremony:
            # Projekt Zukunft follows the evaluation, which follows the survey's close.
            assert cycle.closes_at is not None and event.starts_at > cycle.closes_at, event.title

    invitations = {}
    for invitation in session.exec(select(EventInvitation)).all():
        event = events[invitation.event_id]
        invitations[(event.id, invitation.alliance_id)] = invitation
        assert event.created_at <= invitation.created_at <= now, event.title
        if event.cycle_id not in evaluated:
            assert invitation.basis not in ("future_project", "previous_seal"), event.title
        if event.status == "published":
            # Counted as sent, so the first invitation by hand mails only its own alliances.
            assert invitation.mailed_at is not None, event.title
            assert invitation.created_at <= invitation.mailed_at <= now

    delegates = session.exec(select(EventDelegate)).all()
    assert delegates
    for delegate in delegates:
        event = events[delegate.event_id]
        assert event.created_at <= delegate.created_at <= delegate.updated_at <= now, event.title
        assert delegate.created_at < (event.registration_closes_at or event.starts_at)
        if event.invitation_only:
            assert invitations[(event.id, delegate.alliance_id)].created_at <= delegate.created_at
        if delegate.attendance_recorded_at is not None:
            assert event.ends_at < delegate.attendance_recorded_at <= delegate.updated_at <= now

    workgroups = {w.id: w for w in session.exec(select(Workgroup)).all()}
    assert workgroups
    for workgroup in workgroups.values():
        cycle = cycles[workgroup.cycle_id]
        assert cycle.closes_at is not None and cycle.closes_at < workgroup.created_at, cycle.key
        assert workgroup.created_at <= workgroup.updated_at <= now
    joined = {}
    for member in session.exec(select(WorkgroupMember)).all():
        workgroup = workgroups[member.workgroup_id]
        assert workgroup.created_at <= member.created_at <= member.updated_at <= now
        assert member.joined_at is None or member.created_at <= member.joined_at <= now
        if workgroup.cycle_id not in evaluated:
            assert member.basis not in ("future_project", "previous_seal")
        joined.setdefault(workgroup.id, []).append(member.joined_at)
    for result in session.exec(select(WorkgroupResult)).all():
        workgroup = workgroups[result.workgroup_id]
        assert workgroup.created_at <= result.created_at <= result.updated_at <= now
        if result.published_at is not None:
            assert result.created_at <= result.published_at <= now
            assert all(j is not None and j < result.published_at for j in joined[workgroup.id])
