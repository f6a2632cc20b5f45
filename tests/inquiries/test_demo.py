"""The demo seed records a handful of inquiries around "2024/25" and fits the other demo data."""

from sqlmodel import col, select

from app.alliances.models import Alliance
from app.auth.models import User
from app.demo.seed import DEMO_ADMIN_EMAIL, SeedReport, seed_demo
from app.inquiries import demo
from app.inquiries.models import Inquiry, InquiryMessage
from app.notices.models import SurveyNotice
from tests.factories import user_headers


def _by_subject(session):
    return {i.subject: i for i in session.exec(
        select(Inquiry).where(col(Inquiry.subject).in_([d.subject for d in demo.DEMO_INQUIRIES])))}


def _user(session, email):
    return session.exec(select(User).where(User.email == email)).one()


def test_demo_inquiries_cover_the_servicebueros_cases(client, session):
    seed_demo(session)
    inquiries = _by_subject(session)

    assert len(inquiries) == len(demo.DEMO_INQUIRIES) == 5
    missing = inquiries[demo.MISSING_NOTICE_SUBJECT]
    potsdam = session.get(Alliance, missing.alliance_id)
    assert potsdam is not None and "Potsdam" in potsdam.name
    assert (missing.category, missing.status) == ("missing_notice", "open")
    assert not session.exec(select(SurveyNotice).where(
        SurveyNotice.alliance_id == potsdam.id, SurveyNotice.cycle_id == missing.cycle_id)).all()

    answered = inquiries[demo.ANSWERED_SUBJECT]
    assert answered.status == "answered" and answered.requester_user_id is not None
    closed = inquiries[demo.CLOSED_SUBJECT]
    assert closed.status == "closed" and closed.closed_at is not None
    anonymous = inquiries[demo.ANONYMOUS_SUBJECT]
    assert anonymous.alliance_id is None and anonymous.requester_user_id is None
    assert anonymous.stated_alliance_name
    for inquiry in inquiries.values():
        thread = session.exec(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id)
                              .order_by(col(InquiryMessage.created_at))).all()
        assert thread and thread[0].author == "requester"
        assert inquiry.created_at <= thread[-1].created_at <= inquiry.updated_at
        if inquiry.status == "answered":
            assert thread[-1].author == "servicebuero"


def test_the_demo_admin_sees_that_potsdam_got_no_notice_and_saarbruecken_a_failed_one(client, session):
    seed_demo(session)
    inquiries = _by_subject(session)
    admin = user_headers(_user(session, DEMO_ADMIN_EMAIL))

    missing = client.get(f"/api/v1/inquiries/{inquiries[demo.MISSING_NOTICE_SUBJECT].id}", headers=admin)
    bounced = client.get(f"/api/v1/inquiries/{inquiries[demo.BOUNCED_SUBJECT].id}", headers=admin)

    assert missing.status_code == 200 and missing.json()["survey_notices"] == []
    assert [n["status"] for n in bounced.json()["survey_notices"]] == ["failed"]


def test_the_demo_logins_see_their_own_inquiries(client, session):
    seed_demo(session)
    inquiries = _by_subject(session)
    answered = inquiries[demo.ANSWERED_SUBJECT]
    login = session.get(User, answered.requester_user_id)
    assert login is not None

    r = client.get("/api/v1/inquiries", headers=user_headers(login))

    assert [i["id"] for i in r.json()["items"]] == [answered.id]


def test_seeding_twice_changes_nothing(client, session):
    assert seed_demo(session).created["inquiries"] == 5
    before = {i.id: (i.status, i.version) for i in session.exec(select(Inquiry)).all()}
    messages = len(session.exec(select(InquiryMessage)).all())

    report = seed_demo(session)

    assert "inquiries" not in report.created
    assert {i.id: (i.status, i.version) for i in session.exec(select(Inquiry)).all()} == before
    assert len(session.exec(select(InquiryMessage)).all()) == messages


def test_without_the_cycle_nothing_is_seeded(session):
    counter = SeedReport()
    demo.seed_inquiries(session, counter)

    assert counter.created == {}
    assert not session.exec(select(Inquiry)).all()
