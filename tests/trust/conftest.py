"""Fixtures for the whole-API trust checks: a seeded world every fuzzed request can reach, and
limits raised so that neither the fuzzer nor the log walk is throttled."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session

from app.auth.models import Role
from app.core.config import get_settings
from app.core.db import utcnow
from app.evaluation.models import Evaluation, EvaluationRun
from app.notices.models import SurveyNotice
from tests import factories
from tests.trust.helpers import UNTHROTTLED, World


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Per-minute and login-failure limits out of the way (the cached settings object is the one
    the app reads; monkeypatch restores it after the test)."""
    limits = get_settings().limits
    for name in ("requests_per_minute_user", "requests_per_minute_client",
                 "requests_per_minute_anonymous", "login_failures_per_account",
                 "login_failures_per_pair",
                 "login_failures_per_address", "inquiries_per_hour"):
        monkeypatch.setattr(limits, name, UNTHROTTLED)
    yield




@pytest.fixture
def world(session: Session) -> World:
    """Everything a path parameter can name: an alliance with contacts and partners and its
    coordinator, a second alliance, an admin with a personal access token, a partner system
    restricted to the alliance, an open cycle with questionnaire, a scored response, criteria,
    an evaluation run, and a confirmed seal of an awarded cycle."""
    alliance = factories.make_alliance(session)
    hamm = factories.make_alliance(session, state="DE-NW", municipality="Hamm")
    coordinator = factories.make_user(session, Role.alliance_user, alliance)
    admin = factories.make_user(session, Role.admin)
    partner = factories.make_client(
        session, scopes=("alliances:read", "surveys:read", "surveys:write"), alliances=[alliance],
    )
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    response = factories.make_scored_response(
        session, cycle, alliance, entered_by=f"client:{partner.id}", mode="partner_import",
    )
    factories.make_criteria(session, cycle)
    run = EvaluationRun(cycle_id=cycle.id, started_by=f"user:{admin.id}", evaluated_count=1,
                        passed_count=1)
    session.add(run)
    session.flush()
    session.add(Evaluation(
        run_id=run.id, cycle_id=cycle.id, alliance_id=alliance.id, response_id=response.id,
        activity_score=response.activity_score or 0, meets_criteria=True,
        wants_future_project=True, invited_to_future_project=True,
    ))
    session.commit()
    # Survey follow-up: Hamm was reached ten days ago and has not answered, so reminders and the
    # not-answered list have someone to show; the awarded cycle has criteria to copy.
    reached_at = utcnow() - timedelta(days=10)
    session.add(SurveyNotice(cycle_id=cycle.id, alliance_id=hamm.id, recipient=hamm.contacts[0].email,
                             status="sent", requested_by=f"user:{admin.id}", sent_at=reached_at,
                             created_at=reached_at, updated_at=reached_at))
    session.commit()
    past = factories.make_cycle(session, status="awarded")
    award = factories.make_award(session, past, alliance)
    factories.make_criteria(session, past)
    token = factories.make_pat(session, admin)
    inquiry = factories.make_inquiry(session, alliance)
    event = factories.make_event(session, invited=[alliance], capacity=1)
    factories.make_delegate(session, event, alliance)  # holds the only place
    # The seeded delegate waits in line, so the waiting-list routes reach a real row.
    delegate = factories.make_delegate(session, event, alliance, status="waitlisted")
    faq_entry = factories.make_faq_entry(session)
    _feed, feed_token = factories.make_calendar_feed(session, alliance)
    workgroup = factories.make_workgroup(session, cycle, members=[alliance])
    result = factories.make_workgroup_result(session, workgroup, status="published")
    assert alliance.id and coordinator.id and partner.id and run.id and award.id and token.id
    return World(
        headers={
            "admin": factories.user_headers(admin),
            "alliance_user": factories.user_headers(coordinator),
            "partner": factories.client_headers(partner),
            "anonymous": {},
        },
        params={
            "alliance_id": alliance.id, "cycle": cycle.slug, "user_id": coordinator.id,
            "client_pk": partner.id, "token_id": token.id, "key": "partner_meetings",
            "run_id": run.id, "award_id": award.id, "code": award.verification_code,
            "kind": "contact", "person_id": alliance.contacts[0].id or 0,
            "inquiry_id": inquiry.id or 0, "event_id": event.id or 0,
            "delegate_id": delegate.id or 0, "entry_id": faq_entry.id or 0,
            "feed_token": feed_token,
            "workgroup_id": workgroup.id or 0, "result_id": result.id or 0,
        },
    )
