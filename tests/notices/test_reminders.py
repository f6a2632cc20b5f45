"""Survey reminders through the HTTP API: who gets one, the interval and the cap (time is
controlled by dating the recorded notices back), the survey window, dry runs, retries, wrong
callers, and the notice history that shows them."""

from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.core.config import get_settings
from app.core.db import utcnow
from app.cycles.models import CycleStatus
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import NoticeKind, SurveyNotice
from tests import factories
from tests.utils.problems import assert_problem


def url(cycle, suffix=""):
    return f"/api/v1/cycles/{cycle.slug}/notices{suffix}"


def remind(client, admin, cycle, **params):
    r = client.post(url(cycle, ":remind"), headers=admin, params=params)
    assert r.status_code == 202, r.text
    return r.json()


def reached(session, cycle, alliance, days_ago=10):
    """The alliance got its survey notice (delivered) ``days_ago`` days ago."""
    at = utcnow() - timedelta(days=days_ago)
    notice = SurveyNotice(cycle_id=cycle.id, alliance_id=alliance.id,
                          recipient=next((c.email for c in alliance.contacts if c.email),
                                         "x@example.org"),
                          status=OutboxStatus.sent, requested_by="user:0", sent_at=at,
                          created_at=at, updated_at=at)
    session.add(notice)
    session.commit()
    return notice


def age_all_notices(session, cycle, days, deliver=True):
    """Time control: every notice of the cycle happened ``days`` days earlier (and, unless
    ``deliver`` is false, was delivered meanwhile)."""
    for notice in session.exec(select(SurveyNotice).where(SurveyNotice.cycle_id == cycle.id)).all():
        notice.created_at -= timedelta(days=days)
        if deliver and notice.status == OutboxStatus.queued:
            notice.status, notice.sent_at = OutboxStatus.sent, notice.created_at
        session.add(notice)
    session.commit()


def reminders_of(session, cycle, alliance):
    return list(session.exec(
        select(SurveyNotice).where(SurveyNotice.cycle_id == cycle.id,
                                   SurveyNotice.alliance_id == alliance.id,
                                   SurveyNotice.kind == NoticeKind.reminder)
        .order_by(col(SurveyNotice.id)).execution_options(populate_existing=True)
    ).all())


def reminded_ids(report):
    return {a["id"] for a in report["reminded"]}


def skipped(report):
    return {a["id"]: a["reason"] for a in report["skipped"]}


@pytest.fixture
def cycle(session):
    cycle = factories.make_cycle(session)  # open, window from 10 days ago to 20 days ahead
    factories.make_questions(session, cycle)
    return cycle


def test_only_reached_alliances_without_a_submitted_response_are_reminded(client, session, admin,
                                                                           admin_account, cycle):
    silent = factories.make_alliance(session)
    drafting = factories.make_alliance(session)
    answered = factories.make_alliance(session)
    not_reached = factories.make_alliance(session)
    no_mail = factories.make_alliance(session, contacts=[{"name": "Nur Telefon", "phone": "+49 1"}])
    for alliance in (silent, drafting, answered, no_mail):
        reached(session, cycle, alliance)
    factories.make_response(session, cycle, drafting, submitted=False)
    factories.make_response(session, cycle, answered)

    report = remind(client, admin, cycle)

    assert report["dry_run"] is False
    assert report["considered"] == 3
    assert reminded_ids(report) == {silent.id, drafting.id}
    assert skipped(report) == {no_mail.id: "no_contact_email"}
    assert report["skipped_counts"] == {"too_soon": 0, "max_reminders": 0,
                                        "no_contact_email": 1, "in_progress": 0}
    assert report["reminders_queued"] == 2
    assert (report["min_interval_days"], report["max_reminders"]) == (7, 3)
    assert reminders_of(session, cycle, answered) == reminders_of(session, cycle, not_reached) == []
    [reminder] = reminders_of(session, cycle, silent)
    assert reminder.status == OutboxStatus.queued
    assert reminder.requested_by == f"user:{admin_account.id}"
    entry = next(a for a in report["reminded"] if a["id"] == silent.id)
    assert entry["notice_ids"] == [reminder.id] and entry["recipients"] == [reminder.recipient]
    message = session.get(OutboxMessage, reminder.outbox_message_id)
    assert message.subject.startswith(f"Erinnerung: Bündnisumfrage {cycle.key}")
    assert silent.name in message.body and "noch keine abgeschickte Antwort" in message.body
    assert "Mit freundlichen Grüßen" in message.body


def test_the_interval_counts_from_the_latest_notice_and_a_retry_sends_nothing(client, session,
                                                                             admin, cycle):
    alliance = factories.make_alliance(session)
    reached(session, cycle, alliance, days_ago=3)

    early = remind(client, admin, cycle)
    assert reminded_ids(early) == set()
    assert skipped(early) == {alliance.id: "too_soon"}
    assert early["skipped_counts"]["too_soon"] == 1
    assert early["skipped"][0]["next_possible_at"] is not None

    age_all_notices(session, cycle, days=5)  # the notice is now 8 days old
    assert reminded_ids(remind(client, admin, cycle)) == {alliance.id}
    # A retry (or a second click) right after: too soon, nothing queued twice.
    retry = remind(client, admin, cycle)
    assert reminded_ids(retry) == set() and skipped(retry) == {alliance.id: "too_soon"}
    assert len(reminders_of(session, cycle, alliance)) == 1


def test_at_most_the_maximum_number_of_reminders(client, session, admin, cycle):
    alliance = factories.make_alliance(session, contacts=[
        {"name": "Erika", "email": "erika@example.org"}, {"name": "Max", "email": "max@example.org"}])
    reached(session, cycle, alliance)
    cap = get_settings().reminder_max_count
    for _ in range(cap):
        assert reminded_ids(remind(client, admin, cycle)) == {alliance.id}
        age_all_notices(session, cycle, days=8)
    last = remind(client, admin, cycle)
    assert skipped(last) == {alliance.id: "max_reminders"}
    assert last["skipped"][0]["next_possible_at"] is None
    # Two contacts per reminder: the count is of reminders, not of e-mails.
    assert len(reminders_of(session, cycle, alliance)) == 2 * cap
    overview = client.get(url(cycle), headers=admin, params={"status": "not_answered"}).json()
    assert overview["items"][0]["reminder_count"] == cap


def test_a_reminder_still_in_delivery_is_not_doubled(client, session, admin, cycle):
    alliance = factories.make_alliance(session)
    reached(session, cycle, alliance)
    remind(client, admin, cycle)
    age_all_notices(session, cycle, days=8, deliver=False)  # the mail server is still down
    report = remind(client, admin, cycle)
    assert skipped(report) == {alliance.id: "in_progress"}
    assert report["skipped_counts"]["in_progress"] == 1
    assert len(reminders_of(session, cycle, alliance)) == 1


def test_dry_run_reports_without_queuing(client, session, admin, cycle):
    alliance = factories.make_alliance(session)
    reached(session, cycle, alliance)
    report = remind(client, admin, cycle, dry_run="true")
    assert report["dry_run"] is True and reminded_ids(report) == {alliance.id}
    assert report["reminded"][0]["notice_ids"] == []
    assert reminders_of(session, cycle, alliance) == []


@pytest.mark.parametrize("change", [
    {"status": CycleStatus.survey_closed},
    {"status": CycleStatus.draft},
    {"status": CycleStatus.evaluated},
    {"closes_at": "past"},
    {"opens_at": "future"},
])
def test_reminders_only_while_the_survey_takes_answers(client, session, admin, cycle, change):
    alliance = factories.make_alliance(session)
    reached(session, cycle, alliance)
    if change.get("closes_at"):
        cycle.closes_at = utcnow() - timedelta(hours=1)
    elif change.get("opens_at"):
        cycle.opens_at = utcnow() + timedelta(days=1)
    else:
        cycle.status = change["status"]
    session.add(cycle)
    session.commit()
    for params in ({}, {"dry_run": "true"}):
        assert_problem(client.post(url(cycle, ":remind"), headers=admin, params=params),
                       409, "reminders_closed")
    assert reminders_of(session, cycle, alliance) == []


def test_reminder_wrong_callers_and_bad_input(client, session, admin, alliance, alliance_user,
                                             partner, cycle):
    reached(session, cycle, alliance)
    target = url(cycle, ":remind")
    assert_problem(client.post(target), 401)
    assert_problem(client.post(target, headers=alliance_user(alliance)), 403)
    assert_problem(client.post(target, headers=partner), 403)
    assert_problem(client.post("/api/v1/cycles/1999-00/notices:remind", headers=admin), 404)
    bad = assert_problem(client.post(target, headers=admin, params={"dry_run": "maybe"}), 422)
    assert ["query", "dry_run"] in [e["loc"] for e in bad["errors"]]
    assert reminders_of(session, cycle, alliance) == []


def test_reminders_are_in_the_notice_history(client, session, admin, alliance, alliance_user, cycle):
    reached(session, cycle, alliance)
    remind(client, admin, cycle)

    overview = client.get(url(cycle), headers=admin, params={"status": "not_answered"}).json()
    [item] = overview["items"]
    assert item["alliance_id"] == alliance.id and item["reminder_count"] == 1
    assert [n["kind"] for n in item["notices"]] == ["notice", "reminder"]
    mine = client.get(url(cycle, "/mine"), headers=alliance_user(alliance)).json()
    assert [n["kind"] for n in mine["notices"]] == ["notice", "reminder"]
    # Still reached; the reminder does not count as a second invitation.
    assert item["reached"] is True


def test_the_worker_sends_due_reminders_only_when_switched_on(session, cycle, monkeypatch):
    """BUENDNIS_REMINDERS_AUTOMATIC: the worker's job reminds by the same rules as the call
    (only open surveys, the interval, so a second run right after sends nothing)."""
    from app.worker.builtin import reminders

    due = factories.make_alliance(session)
    reached(session, cycle, due)
    closed = factories.make_cycle(session, status=CycleStatus.survey_closed)
    reached(session, closed, due)

    monkeypatch.setattr(get_settings(), "reminders_automatic", False)
    assert reminders(session).startswith("off")
    assert reminders_of(session, cycle, due) == []

    monkeypatch.setattr(get_settings(), "reminders_automatic", True)
    assert reminders(session) == "1 reminder(s) queued in 1 open survey(s)"
    [reminder] = reminders_of(session, cycle, due)
    assert reminder.requested_by == "system:worker" and reminder.status == OutboxStatus.queued
    assert reminders_of(session, closed, due) == []

    assert reminders(session) == "0 reminder(s) queued in 1 open survey(s)"
    assert len(reminders_of(session, cycle, due)) == 1
