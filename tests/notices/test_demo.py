"""The demo seed records realistic notices for "2024/25" and fits the other demo data."""

from datetime import timedelta

from sqlmodel import col, select

from app.alliances.models import Alliance, AllianceStatus
from app.auth.models import User
from app.awards.models import Award, AwardStatus
from app.cycles.models import AwardCycle
from app.demo.seed import SeedReport, seed_demo
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices import demo
from app.notices.models import NoticeKind, SurveyNotice
from app.surveys.eligibility import eligible_alliances_query
from tests.factories import user_headers


def _notices(session, cycle, kind=NoticeKind.notice):
    rows = session.exec(
        select(SurveyNotice, Alliance).join(Alliance, col(Alliance.id) == SurveyNotice.alliance_id)
        .where(SurveyNotice.cycle_id == cycle.id, SurveyNotice.kind == kind)
    ).all()
    return {alliance.slug: notice for notice, alliance in rows}


def test_demo_notices_for_the_open_cycle(client, session):
    seed_demo(session)
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == "2024/25")).one()
    by_slug = _notices(session, cycle)

    failed = demo._slug(demo.FAILED)
    missing = demo._slug(demo.MISSING)
    assert by_slug[failed].status == OutboxStatus.failed and by_slug[failed].attempts == 5
    assert missing not in by_slug
    sent = [n for slug, n in by_slug.items() if slug != failed]
    assert len(sent) >= 5
    assert all(n.status == OutboxStatus.sent and n.sent_at is not None for n in sent)
    assert by_slug[demo._slug(demo.RETRIED)].attempts == 2
    for notice in by_slug.values():  # every notice has its e-mail, in the same state
        message = session.get(OutboxMessage, notice.outbox_message_id)
        assert message is not None and message.status == notice.status
        assert message.subject.startswith("Bündnisumfrage 2024/25: Ihre Chance auf das Siegel „")

    eligible = {a.slug for a in session.exec(eligible_alliances_query()).all()}
    assert missing in eligible
    assert set(by_slug) <= eligible, "no seal holder or dissolved alliance got a notice"
    sealed = set(session.exec(
        select(Alliance.slug).join(Award, col(Award.alliance_id) == Alliance.id)
        .where(Award.status == AwardStatus.confirmed)).all())
    assert not sealed & set(by_slug), "seals seeded after this step went to alliances never asked"
    dissolved = session.exec(select(Alliance.slug).where(
        Alliance.status == AllianceStatus.dissolved)).all()
    assert not set(dissolved) & set(by_slug)


def test_the_demo_admin_sees_who_is_missing_and_the_step_is_idempotent(client, session):
    seed_demo(session)
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == "2024/25")).one()
    before = len(_notices(session, cycle))

    report = seed_demo(session)

    assert "survey notices" not in report.created
    assert len(_notices(session, cycle)) == before
    admin = session.exec(select(User).where(User.email == "servicebuero@demo.lokale-buendnisse.de")).one()
    r = client.get("/api/v1/cycles/2024-25/notices", headers=user_headers(admin),
                   params={"status": "missing", "limit": 100})
    assert r.status_code == 200
    names = {i["alliance_name"] for i in r.json()["items"]}
    assert "Familienbündnis Potsdam" in names and "Saarbrücker Bündnis für Familie" in names


def test_without_the_cycle_nothing_is_seeded(session):
    counter = SeedReport()
    demo.seed_notices(session, counter)

    assert counter.created == {}


def test_the_demo_reminds_the_alliance_with_a_draft_once(client, session):
    seed_demo(session)
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == "2024/25")).one()
    reminders = _notices(session, cycle, NoticeKind.reminder)
    assert set(reminders) == {demo._slug(demo.REMINDED)}
    reminder = reminders[demo._slug(demo.REMINDED)]
    notice = _notices(session, cycle)[demo._slug(demo.REMINDED)]
    assert reminder.created_at - notice.created_at >= timedelta(days=7)
    assert reminder.status == OutboxStatus.sent
    message = session.get(OutboxMessage, reminder.outbox_message_id)
    assert message.subject.startswith("Erinnerung: Bündnisumfrage 2024/25")
    admin = client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": "servicebuero@demo.lokale-buendnisse.de",
        "password": "Familie-Demo-2024!"}).json()["access_token"]
    r = client.get(f"/api/v1/cycles/{cycle.slug}/notices", params={"status": "not_answered"},
                   headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 200, r.text
    by_id = {i["alliance_id"]: i for i in r.json()["items"]}
    assert by_id[reminder.alliance_id]["reminder_count"] == 1
