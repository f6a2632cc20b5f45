"""The thread and the status: answers, follow-ups, closing, reopening, and the Servicebüro's
filing of a ticket (PATCH)."""

import pytest
from sqlmodel import select

from app.core.db import utcnow
from app.inquiries.models import Inquiry, InquiryMessage, InquiryStatus
from app.mail.models import OutboxMessage
from tests import factories
from tests.inquiries.helpers import filing, member_filing, url
from tests.utils.etags import row_tag
from tests.utils.mail import mail_to
from tests.utils.problems import assert_problem

ANSWER = "Wir haben die Einladung heute erneut an Ihre Kontaktadresse geschickt."


def messages_of(session, inquiry):
    return list(session.exec(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id)
                             .order_by(InquiryMessage.id)).all())


def reloaded(session, inquiry):
    session.expire_all()
    row = session.get(Inquiry, inquiry.id)
    assert row is not None
    return row


@pytest.fixture
def inquiry(session, alliance):
    return factories.make_inquiry(session, alliance, requester_email="anfrage@example.org")


# --- messages --------------------------------------------------------------------------------

def test_the_servicebuero_answers_and_the_requester_gets_it_by_email(client, session, admin,
                                                                    admin_account, inquiry):
    r = client.post(url(inquiry.id, "/messages"), headers=admin, json={"body": ANSWER})

    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "answered" and body["version"] == 2
    assert row_tag(r.headers["etag"]) == f'"inquiry-{inquiry.id}-v2"'
    assert [(m["author"], m["author_user_id"]) for m in body["messages"]] == [
        ("requester", None), ("servicebuero", admin_account.id)]
    assert body["messages"][1]["body"] == ANSWER
    [mail] = mail_to(session, "anfrage@example.org")
    assert ANSWER in mail.body and f"Nr. {inquiry.id}" in mail.subject


def test_the_alliance_writes_again_and_the_inquiry_is_open_again(client, session, alliance, alliance_user,
                                                                 inquiry):
    client.post(url(inquiry.id, "/messages"), headers=factories.user_headers(
        factories.make_user(session, factories.Role.admin)), json={"body": ANSWER})
    before = len(session.exec(select(OutboxMessage)).all())

    r = client.post(url(inquiry.id, "/messages"), headers=alliance_user(alliance),
                    json={"body": "Danke, ist angekommen."})

    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"
    assert [m.author for m in messages_of(session, inquiry)] == ["requester", "servicebuero", "requester"]
    assert len(session.exec(select(OutboxMessage)).all()) == before, "no e-mail for own messages"


def test_an_answer_to_an_anonymous_inquiry_goes_to_the_address_given(client, session, admin):
    filed = client.post(url(), json=filing()).json()

    r = client.post(url(filed["id"], "/messages"), headers=admin, json={"body": ANSWER})

    assert r.status_code == 201
    confirmation, answer = mail_to(session, "erika.muster@example.org")
    assert ANSWER in answer.body and ANSWER not in confirmation.body


@pytest.mark.parametrize(("payload", "loc"), [
    ({}, ["body", "body"]),
    ({"body": "   "}, ["body", "body"]),
    ({"body": "x" * 5001}, ["body", "body"]),
    ({"body": "ok", "author": "servicebuero"}, ["body", "author"]),
])
def test_a_bad_message_names_the_field(client, session, admin, inquiry, payload, loc):
    body = assert_problem(client.post(url(inquiry.id, "/messages"), headers=admin, json=payload), 422)

    assert loc in [e["loc"] for e in body["errors"]]
    assert len(messages_of(session, inquiry)) == 1


def test_strangers_cannot_write_in_the_thread(client, session, other_alliance, alliance_user, partner,
                                              inquiry):
    unlinked = factories.make_inquiry(session, None)
    stranger = alliance_user(other_alliance)

    for target in (inquiry, unlinked):
        # Refused before the body is read: no hint whether the inquiry exists.
        assert_problem(client.post(url(target.id, "/messages"), headers=stranger, json={}), 404,
                       "inquiry_not_found")
    assert_problem(client.post(url(inquiry.id, "/messages"), headers=partner, json={"body": "x"}), 403)
    assert_problem(client.post(url(inquiry.id, "/messages"), json={"body": "x"}), 401)
    assert len(messages_of(session, inquiry)) == 1


def test_a_closed_inquiry_takes_no_messages(client, session, admin, alliance, alliance_user):
    closed = factories.make_inquiry(session, alliance, status=InquiryStatus.closed, closed_at=utcnow())

    for headers in (admin, alliance_user(alliance)):
        assert_problem(client.post(url(closed.id, "/messages"), headers=headers, json={"body": "Hallo"}),
                       409, "inquiry_closed")
    assert len(messages_of(session, closed)) == 1


def test_an_erased_inquiry_takes_no_messages(client, session, admin, alliance):
    erased = factories.make_inquiry(session, alliance, requester_email=None, erased_at=utcnow())

    assert_problem(client.post(url(erased.id, "/messages"), headers=admin, json={"body": ANSWER}),
                   409, "inquiry_erased")
    assert len(messages_of(session, erased)) == 1


# --- close and reopen ------------------------------------------------------------------------

def test_the_alliance_closes_its_inquiry(client, session, alliance, alliance_user, inquiry):
    r = client.post(url(inquiry.id, "/close"), headers=alliance_user(alliance))

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["closed_at"]
    assert row_tag(r.headers["etag"]) == f'"inquiry-{inquiry.id}-v2"'
    assert_problem(client.post(url(inquiry.id, "/close"), headers=alliance_user(alliance)), 409,
                   "inquiry_closed")


def test_the_servicebuero_closes_and_reopens(client, session, admin, inquiry):
    assert client.post(url(inquiry.id, "/close"), headers=admin).json()["status"] == "closed"

    r = client.post(url(inquiry.id, "/reopen"), headers=admin)

    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["closed_at"], r.json()["version"]) == ("open", None, 3)
    stored = reloaded(session, inquiry)
    assert stored.status == InquiryStatus.open and stored.closed_at is None


def test_only_a_closed_inquiry_can_be_reopened(client, session, admin, alliance):
    for status in (InquiryStatus.open, InquiryStatus.answered):
        inquiry = factories.make_inquiry(session, alliance, status=status)
        assert_problem(client.post(url(inquiry.id, "/reopen"), headers=admin), 409, "inquiry_not_closed")


def test_an_erased_inquiry_stays_closed(client, session, admin, alliance):
    erased = factories.make_inquiry(session, alliance, status=InquiryStatus.closed, closed_at=utcnow(),
                                    requester_email=None, erased_at=utcnow())

    assert_problem(client.post(url(erased.id, "/reopen"), headers=admin), 409, "inquiry_erased")


def test_who_may_close_and_reopen(client, session, alliance, other_alliance, alliance_user, partner,
                                  inquiry):
    own = alliance_user(alliance)
    assert_problem(client.post(url(inquiry.id, "/close"), headers=alliance_user(other_alliance)), 404)
    assert_problem(client.post(url(inquiry.id, "/close"), headers=partner), 403)
    assert_problem(client.post(url(inquiry.id, "/close")), 401)
    assert client.post(url(inquiry.id, "/close"), headers=own).status_code == 200

    assert_problem(client.post(url(inquiry.id, "/reopen"), headers=own), 403)
    assert_problem(client.post(url(inquiry.id, "/reopen"), headers=partner), 403)
    assert_problem(client.post(url(inquiry.id, "/reopen")), 401)
    assert reloaded(session, inquiry).status == InquiryStatus.closed


# --- PATCH: the Servicebüro files the ticket ---------------------------------------------------

def test_linking_an_anonymous_inquiry_shows_it_to_the_alliance(client, session, admin, alliance,
                                                               alliance_user, cycle):
    filed = client.post(url(), json=filing(stated_alliance_name=alliance.name)).json()
    member = alliance_user(alliance)
    assert_problem(client.get(url(filed["id"]), headers=member), 404)

    r = client.patch(url(filed["id"]), headers={**admin, "If-Match": f'"inquiry-{filed["id"]}-v1"'},
                     json={"alliance_id": alliance.id, "cycle": cycle.key, "category": "survey"})

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["alliance_id"], body["cycle_id"], body["category"], body["version"]) == (
        alliance.id, cycle.id, "survey", 2)
    assert row_tag(r.headers["etag"]) == f'"inquiry-{filed["id"]}-v2"'
    assert client.get(url(filed["id"]), headers=member).status_code == 200


def test_null_unlinks_and_an_unchanged_patch_keeps_the_version(client, session, admin, alliance, cycle):
    inquiry = factories.make_inquiry(session, alliance, cycle_id=cycle.id)

    same = client.patch(url(inquiry.id), headers=admin, json={"alliance_id": alliance.id})
    unlinked = client.patch(url(inquiry.id), headers=admin, json={"alliance_id": None, "cycle": None})

    assert same.json()["version"] == 1
    assert unlinked.status_code == 200, unlinked.text
    assert (unlinked.json()["alliance_id"], unlinked.json()["cycle_id"]) == (None, None)


def test_a_stale_if_match_is_refused(client, session, admin, inquiry):
    r = client.patch(url(inquiry.id), headers={**admin, "If-Match": f'"inquiry-{inquiry.id}-v7"'},
                     json={"category": "other"})

    body = assert_problem(r, 412, "precondition_failed")
    assert body["current_etag"] == f'"inquiry-{inquiry.id}-v1"'
    assert reloaded(session, inquiry).category == "missing_notice"


@pytest.mark.parametrize(("payload", "loc", "code"), [
    ({"alliance_id": 2**31 - 1}, ["body", "alliance_id"], "unknown_reference"),
    ({"alliance_id": 0}, ["body", "alliance_id"], "validation_error"),
    ({"cycle": "1999-00"}, ["body", "cycle"], "unknown_reference"),
    ({"category": None}, ["body", "category"], "validation_error"),
    ({"category": "complaint"}, ["body", "category"], "validation_error"),
    ({"status": "closed"}, ["body", "status"], "validation_error"),
    ({"requester_email": "x@example.org"}, ["body", "requester_email"], "validation_error"),
])
def test_bad_updates_name_the_field(client, session, admin, inquiry, payload, loc, code):
    body = assert_problem(client.patch(url(inquiry.id), headers=admin, json=payload), 422, code)

    assert [e["loc"] for e in body["errors"]] == [loc]
    assert reloaded(session, inquiry).version == 1


def test_an_inquiry_filed_by_an_alliance_user_stays_with_that_alliance(client, session, admin, alliance,
                                                                       other_alliance, alliance_user):
    filed = client.post(url(), headers=alliance_user(alliance), json=member_filing()).json()

    r = client.patch(url(filed["id"]), headers=admin, json={"alliance_id": other_alliance.id})

    body = assert_problem(r, 422, "invalid_inquiry")
    assert [e["loc"] for e in body["errors"]] == [["body", "alliance_id"]]
    assert client.get(url(filed["id"]), headers=admin).json()["alliance_id"] == alliance.id


def test_only_the_servicebuero_patches(client, session, alliance, alliance_user, partner, inquiry):
    assert_problem(client.patch(url(inquiry.id), headers=alliance_user(alliance), json={}), 403)
    assert_problem(client.patch(url(inquiry.id), headers=partner, json={}), 403)
    assert_problem(client.patch(url(inquiry.id), json={}), 401)


def test_patching_an_unknown_inquiry_is_404(client, admin):
    assert_problem(client.patch(url(2**31 - 1), headers=admin, json={"category": "other"}), 404,
                   "inquiry_not_found")
