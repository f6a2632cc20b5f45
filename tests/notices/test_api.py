"""Survey notices through the HTTP API: sending, the overview, "were we reached?", resend."""

import time
from datetime import timedelta
from functools import partial

import aiosmtplib
import anyio
import pytest
from sqlmodel import col, select

from app.alliances.models import AllianceStatus
from app.auth.models import Role
from app.core.db import utcnow
from app.cycles.models import CycleStatus
from app.mail.dispatch import dispatch_due
from app.mail.models import OutboxMessage, OutboxStatus
from app.notices.models import SurveyNotice
from tests import factories
from tests.mail.smtp import down_sender
from tests.utils.problems import assert_problem


def url(cycle, suffix=""):
    return f"/api/v1/cycles/{cycle.slug}/notices{suffix}"


def deliver(session, sender, now=None):
    return anyio.run(partial(dispatch_due, session, sender, now))


def notices_of(session, cycle, alliance):
    return list(session.exec(
        select(SurveyNotice).where(SurveyNotice.cycle_id == cycle.id,
                                   SurveyNotice.alliance_id == alliance.id)
        .order_by(col(SurveyNotice.id)).execution_options(populate_existing=True)
    ).all())


def queued_ids(body):
    return {a["id"] for a in body["queued"]}


def refs(body, key):
    return {a["id"] for a in body[key]}


# --- POST /cycles/{cycle}/notices ----------------------------------------------------------

def test_send_queues_one_notice_per_contact_of_each_eligible_alliance(
    client, session, admin, admin_account, cycle, seal,
):
    two_contacts = factories.make_alliance(session, contacts=[
        {"name": "Erika Muster", "email": "erika@fuerth.example.org"},
        {"name": "Max Muster", "email": "max@fuerth.example.org"},
        {"name": "Dieselbe", "email": "ERIKA@fuerth.example.org"},  # same address, other case
        {"name": "Ohne Mail", "phone": "+49 911 1"},
        {"name": "Keine Post", "email": "keine-post@fuerth.example.org", "accepts_mail": False},
    ])
    dormant = factories.make_alliance(session, status=AllianceStatus.dormant)
    no_mail = factories.make_alliance(session, contacts=[
        {"name": "Nur Telefon", "phone": "+49 1"},
        {"name": "Will keine Post", "email": "nein@example.org", "accepts_mail": False}])
    dissolved = factories.make_alliance(session, status=AllianceStatus.dissolved)
    holder = factories.make_alliance(session)
    seal(holder)

    r = client.post(url(cycle), headers=admin)

    assert r.status_code == 202, r.text
    body = r.json()
    assert body["cycle_key"] == cycle.key
    assert {two_contacts.id, dormant.id} <= queued_ids(body)
    assert not {dissolved.id, holder.id, no_mail.id} & queued_ids(body)
    assert no_mail.id in refs(body, "not_reachable")
    entry = next(a for a in body["queued"] if a["id"] == two_contacts.id)
    assert entry["recipients"] == ["erika@fuerth.example.org", "max@fuerth.example.org"]
    assert len(entry["notice_ids"]) == 2
    assert body["notices_queued"] == sum(len(a["recipients"]) for a in body["queued"])

    notices = notices_of(session, cycle, two_contacts)
    assert [(n.recipient, n.status, n.channel, n.attempts) for n in notices] == [
        ("erika@fuerth.example.org", OutboxStatus.queued, "email", 0),
        ("max@fuerth.example.org", OutboxStatus.queued, "email", 0),
    ]
    assert all(n.requested_by == f"user:{admin_account.id}" for n in notices)
    message = session.get(OutboxMessage, notices[0].outbox_message_id)
    assert message is not None and message.status == OutboxStatus.queued
    assert message.subject == (f"Bündnisumfrage {cycle.key}: Ihre Chance auf das Siegel "
                               f"„{cycle.seal_title}“")
    assert two_contacts.name in message.body
    assert notices_of(session, cycle, holder) == []
    assert notices_of(session, cycle, dissolved) == []


def test_send_returns_at_once_without_touching_smtp(client, session, admin, cycle, alliance,
                                                     smtp_server, monkeypatch):
    async def no_smtp_in_requests(*args, **kwargs):
        raise AssertionError("a request must not talk to SMTP")

    monkeypatch.setattr(aiosmtplib, "send", no_smtp_in_requests)
    started = time.monotonic()

    r = client.post(url(cycle), headers=admin)

    assert r.status_code == 202
    assert time.monotonic() - started < 5
    assert alliance.id in queued_ids(r.json())
    assert smtp_server.received == []
    assert [n.status for n in notices_of(session, cycle, alliance)] == [OutboxStatus.queued]


def test_sending_twice_does_not_duplicate(client, session, admin, cycle, alliance, smtp_server):
    first = client.post(url(cycle), headers=admin).json()
    assert alliance.id in queued_ids(first)

    # Still on its way: not queued again.
    second = client.post(url(cycle), headers=admin).json()
    assert alliance.id in refs(second, "in_progress")
    assert alliance.id not in queued_ids(second)

    deliver(session, smtp_server.sender())
    # Delivered: reached, not queued again either.
    third = client.post(url(cycle), headers=admin).json()
    assert alliance.id in refs(third, "already_reached")
    assert alliance.id not in queued_ids(third)
    assert len(notices_of(session, cycle, alliance)) == 1
    assert len(smtp_server.received) == 1


def test_resend_true_sends_again_to_reached_alliances(client, session, admin, cycle, alliance,
                                                      smtp_server):
    client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id]})
    deliver(session, smtp_server.sender())

    r = client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id], "resend": True})

    assert r.status_code == 202
    assert queued_ids(r.json()) == {alliance.id}
    assert [n.status for n in notices_of(session, cycle, alliance)] == [
        OutboxStatus.sent, OutboxStatus.queued]


def test_alliances_whose_notices_all_failed_get_a_new_one(client, session, admin, cycle, alliance):
    client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id]})
    now = utcnow()
    for wait in (0, 60, 300, 1800, 7200):
        now += timedelta(seconds=wait)
        deliver(session, down_sender(), now)
    assert [n.status for n in notices_of(session, cycle, alliance)] == [OutboxStatus.failed]

    r = client.post(url(cycle), headers=admin)

    assert alliance.id in queued_ids(r.json())


def test_send_to_a_given_list_only(client, session, admin, cycle, alliance, other_alliance):
    r = client.post(url(cycle), headers=admin, json={"alliance_ids": [other_alliance.id]})

    assert r.status_code == 202
    assert queued_ids(r.json()) == {other_alliance.id}
    assert notices_of(session, cycle, alliance) == []


def test_an_ineligible_alliance_in_the_list_is_named(client, session, admin, cycle, alliance, seal):
    holder = factories.make_alliance(session)
    seal(holder)
    dissolved = factories.make_alliance(session, status=AllianceStatus.dissolved)

    r = client.post(url(cycle), headers=admin,
                    json={"alliance_ids": [alliance.id, holder.id, dissolved.id, 99999999]})

    body = assert_problem(r, 422, "not_eligible")
    errors = {tuple(e["loc"]): e for e in body["errors"]}
    assert set(errors) == {("body", "alliance_ids", 1), ("body", "alliance_ids", 2),
                           ("body", "alliance_ids", 3)}
    assert errors[("body", "alliance_ids", 1)]["type"] == "not_eligible"
    assert holder.name in errors[("body", "alliance_ids", 1)]["msg"]
    assert errors[("body", "alliance_ids", 3)]["type"] == "not_found"
    assert notices_of(session, cycle, alliance) == [], "nothing is queued when the list is wrong"


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"alliance_ids": ["eins"]}, ["body", "alliance_ids", 0]),
        ({"alliance_ids": []}, ["body", "alliance_ids"]),
        ({"alliance_ids": 5}, ["body", "alliance_ids"]),
        ({"resend": "vielleicht"}, ["body", "resend"]),
        ({"recipients": ["x@example.org"]}, ["body", "recipients"]),
    ],
)
def test_send_rejects_bad_input(client, admin, cycle, payload, loc):
    body = assert_problem(client.post(url(cycle), headers=admin, json=payload), 422, "validation_error")
    assert loc in [e["loc"] for e in body["errors"]]


@pytest.mark.parametrize(
    "changes",
    [
        {"status": CycleStatus.survey_closed},
        {"status": CycleStatus.awarded},
        {"closes_at": "past"},
    ],
)
def test_no_notices_for_a_closed_survey(client, session, admin, alliance, changes):
    if changes.get("closes_at") == "past":
        changes = {"closes_at": utcnow() - timedelta(hours=1)}
    cycle = factories.make_cycle(session, **changes)

    body = assert_problem(client.post(url(cycle), headers=admin), 409, "notices_closed")

    assert cycle.key in body["detail"]
    assert notices_of(session, cycle, alliance) == []


def test_notices_may_announce_a_draft_survey(client, session, admin, alliance):
    cycle = factories.make_cycle(session, status=CycleStatus.draft)
    r = client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id]})
    assert r.status_code == 202
    assert queued_ids(r.json()) == {alliance.id}


def test_cycle_by_id_and_unknown_cycle(client, admin, cycle, alliance):
    r = client.post(f"/api/v1/cycles/{cycle.id}/notices", headers=admin,
                    json={"alliance_ids": [alliance.id]})
    assert r.status_code == 202
    assert_problem(client.post("/api/v1/cycles/1999-00/notices", headers=admin), 404,
                   "cycle_not_found")


def test_send_refuses_the_wrong_callers(client, session, cycle, alliance, alliance_user, partner):
    assert_problem(client.post(url(cycle)), 401)
    assert_problem(client.post(url(cycle), headers=alliance_user(alliance)), 403)
    assert_problem(client.post(url(cycle), headers=partner), 403)
    assert notices_of(session, cycle, alliance) == []


# --- GET /cycles/{cycle}/notices -----------------------------------------------------------

def test_missing_lists_eligible_alliances_without_a_delivered_notice(
    client, session, admin, cycle, seal, smtp_server,
):
    reached = factories.make_alliance(session, name="Bündnis A erreicht")
    waiting = factories.make_alliance(session, name="Bündnis B wartet")
    never = factories.make_alliance(session, name="Bündnis C nie", contacts=[])
    holder = factories.make_alliance(session, name="Bündnis D Siegel")
    seal(holder)
    client.post(url(cycle), headers=admin, json={"alliance_ids": [reached.id]})
    deliver(session, smtp_server.sender())
    client.post(url(cycle), headers=admin, json={"alliance_ids": [waiting.id]})

    r = client.get(url(cycle), headers=admin, params={"status": "missing", "limit": 100})

    assert r.status_code == 200, r.text
    items = {i["alliance_id"]: i for i in r.json()["items"]}
    assert waiting.id in items and never.id in items
    assert reached.id not in items and holder.id not in items
    assert items[never.id]["status"] == "none" and items[never.id]["notices"] == []
    assert items[waiting.id]["status"] == "queued" and items[waiting.id]["reached"] is False
    assert items[waiting.id]["eligible"] is True


def test_status_filters_list_alliances_with_such_notices(client, session, admin, cycle,
                                                         smtp_server):
    reached = factories.make_alliance(session)
    waiting = factories.make_alliance(session)
    client.post(url(cycle), headers=admin, json={"alliance_ids": [reached.id]})
    deliver(session, smtp_server.sender())
    client.post(url(cycle), headers=admin, json={"alliance_ids": [waiting.id]})

    sent = client.get(url(cycle), headers=admin, params={"status": "sent"}).json()["items"]
    queued = client.get(url(cycle), headers=admin, params={"status": "queued"}).json()["items"]
    failed = client.get(url(cycle), headers=admin, params={"status": "failed"}).json()["items"]

    assert reached.id in {i["alliance_id"] for i in sent}
    assert waiting.id not in {i["alliance_id"] for i in sent}
    assert {i["alliance_id"] for i in queued} >= {waiting.id}
    assert reached.id not in {i["alliance_id"] for i in queued}
    assert not {reached.id, waiting.id} & {i["alliance_id"] for i in failed}
    [row] = [i for i in sent if i["alliance_id"] == reached.id]
    assert row["reached"] is True and row["status"] == "sent"
    [notice] = row["notices"]
    assert notice["status"] == "sent" and notice["attempts"] == 1
    assert notice["recipient"] == reached.contacts[0].email
    assert notice["sent_at"] is not None and row["last_sent_at"] == notice["sent_at"]
    assert notice["next_attempt_at"] is None


def test_failed_filter_shows_the_servers_answer(client, session, admin, cycle, smtp_server):
    alliance = factories.make_alliance(session, contacts=[
        {"name": "Alte Adresse", "email": "weg@example.org"}])
    smtp_server.collector.reject.add("weg@example.org")
    client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id]})
    deliver(session, smtp_server.sender())

    items = client.get(url(cycle), headers=admin, params={"status": "failed"}).json()["items"]

    [row] = [i for i in items if i["alliance_id"] == alliance.id]
    assert row["status"] == "failed"
    assert row["notices"][0]["last_error"].startswith("550")
    missing = client.get(url(cycle), headers=admin, params={"status": "missing", "limit": 100})
    assert alliance.id in {i["alliance_id"] for i in missing.json()["items"]}


def test_unfiltered_overview_pages_by_name(client, session, admin, cycle):
    names = [f"Bündnis Seitentest {c}" for c in "ABCDE"]
    for name in reversed(names):
        factories.make_alliance(session, name=name, state="DE-SL")
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, "state": "DE-SL", "include_total": True}
        if cursor:
            params["cursor"] = cursor
        r = client.get(url(cycle), headers=admin, params=params)
        assert r.status_code == 200
        page = r.json()
        assert page["total"] == 5
        seen += [i["alliance_name"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert 'rel="next"' in r.headers["link"]
    assert seen == names


def test_overview_includes_a_seal_holder_that_got_a_notice(client, session, admin, cycle, seal):
    alliance = factories.make_alliance(session, state="DE-HB")
    client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id]})
    seal(alliance)  # the seal came later (e.g. confirmed for another cycle)

    items = client.get(url(cycle), headers=admin, params={"state": "DE-HB"}).json()["items"]

    [row] = [i for i in items if i["alliance_id"] == alliance.id]
    assert row["eligible"] is False and len(row["notices"]) == 1


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "lost"}, ["query", "status"]),
        ({"state": "DE-XX"}, ["query", "state"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"cursor": "kaputt"}, ["query", "cursor"]),
    ],
)
def test_overview_rejects_bad_input(client, admin, cycle, params, loc):
    body = assert_problem(client.get(url(cycle), headers=admin, params=params), 422)
    assert loc in [e["loc"] for e in body["errors"]]


def test_overview_is_for_the_servicebuero_only(client, cycle, alliance, alliance_user, partner):
    assert_problem(client.get(url(cycle)), 401)
    assert_problem(client.get(url(cycle), headers=alliance_user(alliance)), 403)
    assert_problem(client.get(url(cycle), headers=partner), 403)


def test_overview_of_an_unknown_cycle(client, admin):
    assert_problem(client.get("/api/v1/cycles/4711/notices", headers=admin), 404, "cycle_not_found")


# --- GET /cycles/{cycle}/notices/mine ------------------------------------------------------

def test_mine_shows_only_the_own_alliance(client, session, admin, cycle, alliance, other_alliance,
                                          alliance_user, smtp_server):
    client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id, other_alliance.id]})
    deliver(session, smtp_server.sender())

    r = client.get(url(cycle, "/mine"), headers=alliance_user(alliance))

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["alliance_id"] == alliance.id and body["cycle_key"] == cycle.key
    assert body["eligible"] is True and body["reached"] is True and body["status"] == "sent"
    assert [n["recipient"] for n in body["notices"]] == [alliance.contacts[0].email]
    assert body["contact_emails"] == [alliance.contacts[0].email]
    assert body["resend_available_at"] is None
    assert other_alliance.contacts[0].email not in r.text


def test_mine_before_any_notice(client, session, cycle, alliance, alliance_user):
    body = client.get(url(cycle, "/mine"), headers=alliance_user(alliance)).json()
    assert body["status"] == "none" and body["reached"] is False and body["notices"] == []
    assert body["eligible"] is True


def test_mine_for_a_seal_holder(client, session, cycle, alliance, alliance_user, seal):
    seal(alliance)
    body = client.get(url(cycle, "/mine"), headers=alliance_user(alliance)).json()
    assert body["eligible"] is False


def test_mine_refuses_the_wrong_callers(client, session, admin, cycle, partner):
    assert_problem(client.get(url(cycle, "/mine")), 401)
    assert_problem(client.get(url(cycle, "/mine"), headers=admin), 403, "alliance_user_only")
    assert_problem(client.get(url(cycle, "/mine"), headers=partner), 403, "alliance_user_only")


def test_mine_of_an_unknown_cycle(client, alliance, alliance_user):
    assert_problem(client.get("/api/v1/cycles/1999-00/notices/mine",
                              headers=alliance_user(alliance)), 404, "cycle_not_found")


def test_mine_rejects_an_overlong_cycle_reference(client, alliance, alliance_user):
    body = assert_problem(client.get(f"/api/v1/cycles/{'x' * 50}/notices/mine",
                                     headers=alliance_user(alliance)), 422)
    assert ["path", "cycle"] in [e["loc"] for e in body["errors"]]


# --- POST /cycles/{cycle}/notices/mine:resend ----------------------------------------------

def test_resend_queues_a_notice_then_waits_a_day(client, session, cycle, alliance, alliance_user,
                                                 smtp_server):
    headers = alliance_user(alliance)

    r = client.post(url(cycle, "/mine:resend"), headers=headers)

    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued"
    assert [n["recipient"] for n in body["notices"]] == [alliance.contacts[0].email]
    assert body["resend_available_at"] is not None
    deliver(session, smtp_server.sender())
    assert [m.rcpt_tos for m in smtp_server.received] == [[alliance.contacts[0].email]]

    again = client.post(url(cycle, "/mine:resend"), headers=headers)

    assert_problem(again, 429, "too_many_requests")
    retry_after = int(again.headers["Retry-After"])
    assert 23 * 3600 < retry_after <= 24 * 3600
    assert len(notices_of(session, cycle, alliance)) == 1


def test_the_daily_limit_counts_for_the_whole_alliance(client, session, cycle, alliance,
                                                       alliance_user, smtp_server):
    assert client.post(url(cycle, "/mine:resend"), headers=alliance_user(alliance)).status_code == 202
    deliver(session, smtp_server.sender())
    colleague = alliance_user(alliance)
    assert_problem(client.post(url(cycle, "/mine:resend"), headers=colleague), 429)


def test_resend_is_allowed_again_after_24_hours(client, session, cycle, alliance, alliance_user,
                                                smtp_server):
    headers = alliance_user(alliance)
    client.post(url(cycle, "/mine:resend"), headers=headers)
    deliver(session, smtp_server.sender())
    for notice in notices_of(session, cycle, alliance):
        notice.created_at = utcnow() - timedelta(hours=24, minutes=1)
        session.add(notice)
    session.commit()

    r = client.post(url(cycle, "/mine:resend"), headers=headers)

    assert r.status_code == 202
    assert len(notices_of(session, cycle, alliance)) == 2


def test_an_admin_send_does_not_use_up_the_alliances_resend(client, session, admin, cycle,
                                                            alliance, alliance_user, smtp_server):
    client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id]})
    deliver(session, smtp_server.sender())

    r = client.post(url(cycle, "/mine:resend"), headers=alliance_user(alliance))

    assert r.status_code == 202
    assert [n["status"] for n in r.json()["notices"]] == ["sent", "queued"]


def test_resend_while_a_notice_is_on_its_way(client, session, admin, cycle, alliance,
                                             alliance_user):
    client.post(url(cycle), headers=admin, json={"alliance_ids": [alliance.id]})

    r = client.post(url(cycle, "/mine:resend"), headers=alliance_user(alliance))

    assert_problem(r, 409, "notice_in_progress")
    assert len(notices_of(session, cycle, alliance)) == 1


def test_resend_needs_a_contact_email(client, session, cycle, alliance_user):
    alliance = factories.make_alliance(session, contacts=[{"name": "Nur Telefon", "phone": "+49 1"}])
    assert_problem(client.post(url(cycle, "/mine:resend"), headers=alliance_user(alliance)), 422,
                   "no_contact_email")


def test_resend_for_an_ineligible_alliance(client, session, cycle, alliance, alliance_user, seal):
    seal(alliance)
    assert_problem(client.post(url(cycle, "/mine:resend"), headers=alliance_user(alliance)), 422,
                   "not_eligible")
    assert notices_of(session, cycle, alliance) == []


def test_resend_for_a_closed_survey(client, session, alliance, alliance_user):
    cycle = factories.make_cycle(session, status=CycleStatus.survey_closed)
    assert_problem(client.post(url(cycle, "/mine:resend"), headers=alliance_user(alliance)), 409,
                   "notices_closed")


def test_resend_refuses_the_wrong_callers(client, session, admin, cycle, partner):
    assert_problem(client.post(url(cycle, "/mine:resend")), 401)
    assert_problem(client.post(url(cycle, "/mine:resend"), headers=admin), 403)
    assert_problem(client.post(url(cycle, "/mine:resend"), headers=partner), 403)
    unassigned = factories.make_user(session, Role.alliance_user, None)  # no alliance yet
    assert_problem(client.post(url(cycle, "/mine:resend"),
                               headers=factories.user_headers(unassigned)), 403)


def test_resend_of_an_unknown_cycle(client, alliance, alliance_user):
    assert_problem(client.post("/api/v1/cycles/1999-00/notices/mine:resend",
                               headers=alliance_user(alliance)), 404, "cycle_not_found")
