"""GET /inquiries and GET /inquiries/{id}: admins see all, alliance users their alliance's,
and the Servicebüro sees a "no notice" inquiry's survey notices at once."""

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.inquiries.models import InquiryCategory, InquiryStatus
from app.mail.models import OutboxStatus
from tests import factories
from tests.inquiries.helpers import url
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem


def ids(response):
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def queue(session, alliance, other_alliance, cycle):
    """Five inquiries of different kinds, oldest first."""
    now = utcnow()
    made = {
        "own_open": factories.make_inquiry(session, alliance, subject="Umfrage: Einladung fehlt",
                                           cycle_id=cycle.id, created_at=now - timedelta(days=5)),
        "own_answered": factories.make_inquiry(session, alliance, category=InquiryCategory.seal,
                                               subject="Fragen zum SIEGEL",
                                               status=InquiryStatus.answered,
                                               created_at=now - timedelta(days=4)),
        "other": factories.make_inquiry(session, other_alliance, subject="Hamm fragt",
                                        cycle_id=cycle.id, created_at=now - timedelta(days=3)),
        "anonymous": factories.make_inquiry(session, None, category=InquiryCategory.events,
                                            subject="Zukunftswerkstatt 100%",
                                            created_at=now - timedelta(days=2)),
        "closed": factories.make_inquiry(session, alliance, status=InquiryStatus.closed,
                                         subject="Erledigt", closed_at=now - timedelta(hours=1),
                                         created_at=now - timedelta(days=1),
                                         updated_at=now - timedelta(days=1)),
    }
    return {name: inquiry.id for name, inquiry in made.items()}


# --- the list --------------------------------------------------------------------------------

def test_admin_sees_every_inquiry_newest_first(client, admin, queue):
    assert ids(client.get(url(), headers=admin)) == list(reversed(queue.values()))


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "open"}, ["anonymous", "other", "own_open"]),
    ({"status": "closed"}, ["closed"]),
    ({"category": "seal"}, ["own_answered"]),
    ({"q": "siegel"}, ["own_answered"]),
    ({"q": "100%"}, ["anonymous"]),
    ({"q": "%"}, ["anonymous"]),
    ({"sort": "created_at", "status": "open"}, ["own_open", "other", "anonymous"]),
])
def test_admin_filters_the_queue(client, admin, queue, params, expected):
    assert ids(client.get(url(), headers=admin, params=params)) == [queue[n] for n in expected]


def test_admin_filters_by_alliance_and_cycle(client, admin, queue, alliance, cycle):
    by_alliance = ids(client.get(url(), headers=admin, params={"alliance_id": alliance.id}))
    by_cycle = ids(client.get(url(), headers=admin, params={"cycle": cycle.slug, "sort": "created_at"}))
    by_key = ids(client.get(url(), headers=admin, params={"cycle": cycle.key, "sort": "created_at"}))

    assert by_alliance == [queue["closed"], queue["own_answered"], queue["own_open"]]
    assert by_cycle == by_key == [queue["own_open"], queue["other"]]


def test_the_list_pages_with_a_cursor_and_a_link_header(client, admin, queue):
    first = client.get(url(), headers=admin, params={"limit": 2, "include_total": True, "sort": "updated_at"})
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    assert first.json()["total"] == 5 and cursor
    assert 'rel="next"' in first.headers["link"]

    seen = ids(first)
    while cursor:
        page = client.get(url(), headers=admin, params={"limit": 2, "sort": "updated_at", "cursor": cursor})
        seen += ids(page)
        cursor = page.json()["next_cursor"]

    assert sorted(seen) == sorted(queue.values()) and len(seen) == 5


def test_alliance_user_sees_only_the_own_alliance(client, alliance_user, alliance, queue):
    headers = alliance_user(alliance)

    assert ids(client.get(url(), headers=headers)) == [queue["closed"], queue["own_answered"], queue["own_open"]]
    # Filters narrow the own list; they never widen it.
    assert ids(client.get(url(), headers=headers, params={"status": "open"})) == [queue["own_open"]]


def test_asking_for_another_alliance_finds_nothing(client, alliance_user, alliance, other_alliance, queue):
    r = client.get(url(), headers=alliance_user(alliance), params={"alliance_id": other_alliance.id})
    assert ids(r) == []


def test_listing_needs_a_person(client, partner):
    assert_problem(client.get(url()), 401, "unauthorized")
    assert_problem(client.get(url(), headers=partner), 403, "forbidden")


@pytest.mark.parametrize(("params", "loc"), [
    ({"status": "pending"}, ["query", "status"]),
    ({"category": "nonsense"}, ["query", "category"]),
    ({"alliance_id": 0}, ["query", "alliance_id"]),
    ({"alliance_id": 2**31}, ["query", "alliance_id"]),
    ({"cycle": "1999-00"}, ["query", "cycle"]),
    ({"cycle": "x" * 21}, ["query", "cycle"]),
    ({"q": "x" * 101}, ["query", "q"]),
    ({"sort": "subject"}, ["query", "sort"]),
    ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
])
def test_bad_filters_name_the_parameter(client, admin, params, loc):
    body = assert_problem(client.get(url(), headers=admin, params=params), 422)
    assert loc in [e["loc"] for e in body["errors"]]


# --- one inquiry -----------------------------------------------------------------------------

def test_admin_reads_the_thread_with_an_etag(client, session, admin, alliance):
    inquiry = factories.make_inquiry(session, alliance, message="Wir warten noch.",
                                     category=InquiryCategory.survey)

    r = client.get(url(inquiry.id), headers=admin)

    assert r.status_code == 200, r.text
    body = r.json()
    assert row_tag(r.headers["etag"]) == f'"inquiry-{inquiry.id}-v1"'
    assert body["subject"] == inquiry.subject and body["alliance_name"] == alliance.name
    assert body["requester_email"] == inquiry.requester_email
    assert [(m["author"], m["body"]) for m in body["messages"]] == [("requester", "Wir warten noch.")]
    assert body["survey_notices"] is None


def test_alliance_user_reads_the_own_alliances_inquiry(client, session, alliance, alliance_user):
    inquiry = factories.make_inquiry(session, alliance)

    r = client.get(url(inquiry.id), headers=alliance_user(alliance))

    assert r.status_code == 200
    assert r.json()["id"] == inquiry.id


def test_others_get_404_as_if_it_did_not_exist(client, session, alliance, other_alliance, alliance_user):
    linked = factories.make_inquiry(session, alliance)
    unlinked = factories.make_inquiry(session, None)
    stranger = alliance_user(other_alliance)

    for inquiry_id in (linked.id, unlinked.id):
        assert_problem(client.get(url(inquiry_id), headers=stranger), 404, "inquiry_not_found")
    assert_problem(client.get(url(unlinked.id), headers=alliance_user(alliance)), 404, "inquiry_not_found")
    assert_problem(client.get(url(2**31 - 1), headers=stranger), 404, "inquiry_not_found")


def test_reading_needs_a_person(client, session, alliance, partner):
    inquiry = factories.make_inquiry(session, alliance)

    assert_problem(client.get(url(inquiry.id)), 401, "unauthorized")
    assert_problem(client.get(url(inquiry.id), headers=partner), 403, "forbidden")


@pytest.mark.parametrize("bad_id", ["0", str(2**31), "abc"])
def test_a_bad_id_is_invalid_input(client, admin, bad_id):
    body = assert_problem(client.get(url() + f"/{bad_id}", headers=admin), 422)
    assert ["path", "inquiry_id"] in [e["loc"] for e in body["errors"]]


# --- the survey notices of a "no notice" inquiry -----------------------------------------------

def test_admin_sees_the_alliances_notices_without_recipients(client, session, admin, alliance,
                                                             other_alliance, cycle, notice):
    failed = notice(cycle, alliance, OutboxStatus.failed)
    sent = notice(cycle, alliance, OutboxStatus.sent)
    notice(cycle, other_alliance)  # another alliance's
    notice(factories.make_cycle(session), alliance)  # another cycle's
    inquiry = factories.make_inquiry(session, alliance, cycle_id=cycle.id)

    body = client.get(url(inquiry.id), headers=admin).json()

    assert [(n["id"], n["status"]) for n in body["survey_notices"]] == [
        (failed.id, "failed"), (sent.id, "sent")]
    assert body["survey_notices"][0]["sent_at"] is None and body["survey_notices"][1]["sent_at"]
    assert all("recipient" not in n for n in body["survey_notices"])
    assert "kontakt@alliance.example.org" not in client.get(url(inquiry.id), headers=admin).text


def test_no_notice_at_all_shows_as_an_empty_list(client, session, admin, alliance, cycle):
    inquiry = factories.make_inquiry(session, alliance, cycle_id=cycle.id)

    assert client.get(url(inquiry.id), headers=admin).json()["survey_notices"] == []


def test_notices_only_for_admins_on_linked_missing_notice_inquiries(
    client, session, admin, alliance, alliance_user, cycle, notice,
):
    notice(cycle, alliance)
    other_kind = factories.make_inquiry(session, alliance, cycle_id=cycle.id, category=InquiryCategory.seal)
    no_cycle = factories.make_inquiry(session, alliance)
    no_alliance = factories.make_inquiry(session, None, cycle_id=cycle.id)
    own = factories.make_inquiry(session, alliance, cycle_id=cycle.id)

    for inquiry in (other_kind, no_cycle, no_alliance):
        assert client.get(url(inquiry.id), headers=admin).json()["survey_notices"] is None
    assert client.get(url(own.id), headers=alliance_user(alliance)).json()["survey_notices"] is None


# --- erased inquiries --------------------------------------------------------------------------

def test_an_erased_inquiry_stays_readable_with_the_anonymised_values(client, session, admin, alliance):
    inquiry = factories.make_inquiry(
        session, alliance, message="[gelöscht]", subject="[gelöscht]",
        requester_name="Gelöschte Person", requester_email=None, requester_phone=None,
        erased_at=utcnow(), version=2,
    )

    r = client.get(url(inquiry.id), headers=admin)

    assert r.status_code == 200
    body = r.json()
    assert (body["requester_name"], body["requester_email"], body["requester_phone"]) == (
        "Gelöschte Person", None, None)
    assert body["erased_at"] and body["messages"][0]["body"] == "[gelöscht]"
    assert ids(client.get(url(), headers=admin)) == [inquiry.id]
