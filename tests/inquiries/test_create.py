"""POST /inquiries: anonymous callers, alliance users and the Servicebüro file; partner
systems do not. Confirmation by e-mail, without echoing what the requester typed."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.core.config import get_settings
from app.inquiries.models import Inquiry, InquiryMessage
from tests import factories
from tests.inquiries.helpers import filing, member_filing, url
from tests.utils.etags import row_tag
from tests.utils.mail import mail_to
from tests.utils.problems import assert_problem, error_locs


def stored(session, inquiry_id):
    session.expire_all()
    inquiry = session.get(Inquiry, inquiry_id)
    assert inquiry is not None
    messages = session.exec(select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry_id)).all()
    return inquiry, list(messages)






# --- anonymous callers -----------------------------------------------------------------------

def test_anonymous_filing_stores_the_inquiry_unlinked_and_returns_only_a_receipt(client, session, cycle):
    r = client.post(url(), json=filing(cycle=cycle.slug, requester_phone="+49 331 123456",
                                       stated_alliance_name="Familienbündnis Potsdam"))

    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "status", "created_at"}
    assert body["status"] == "open"
    assert r.headers["location"] == f"/api/v1/inquiries/{body['id']}"
    inquiry, messages = stored(session, body["id"])
    assert inquiry.alliance_id is None and inquiry.requester_user_id is None
    assert (inquiry.requester_name, inquiry.requester_email, inquiry.requester_phone) == (
        "Erika Muster", "erika.muster@example.org", "+49 331 123456")
    assert inquiry.stated_alliance_name == "Familienbündnis Potsdam"
    assert inquiry.cycle_id == cycle.id and inquiry.category == "missing_notice"
    assert [(m.author, m.body, m.author_user_id) for m in messages] == [
        ("requester", "Unser Bündnis hat keine Einladung zur Bündnisumfrage bekommen.", None)]


def test_confirmation_names_the_ticket_and_echoes_nothing_the_requester_typed(client, session):
    r = client.post(url(), json=filing(stated_alliance_name="Bündnis Spamhausen"))
    ticket = r.json()["id"]

    [mail] = mail_to(session, "erika.muster@example.org")
    assert mail.status == "queued"
    assert f"Nr. {ticket}" in mail.subject and f"Nr. {ticket}" in mail.body
    for typed in ("Keine Einladung zur Umfrage", "keine Einladung zur Bündnisumfrage bekommen",
                  "Erika", "Spamhausen"):
        assert typed not in mail.subject and typed not in mail.body


@pytest.mark.parametrize("privileged", [{"alliance_id": 1}, {"status": "closed"},
                                        {"requester_user_id": 1}, {"version": 3}])
def test_privileged_and_unknown_fields_are_refused(client, session, alliance, privileged):
    r = client.post(url(), json={**filing(), **privileged})

    body = assert_problem(r, 422, "validation_error")
    assert ["body", next(iter(privileged))] in error_locs(body)
    assert not session.exec(select(Inquiry)).all()


def test_anonymous_callers_must_give_name_and_email(client, session):
    r = client.post(url(), json=member_filing())

    body = assert_problem(r, 422, "invalid_inquiry")
    assert error_locs(body) == [["body", "requester_name"], ["body", "requester_email"]]
    assert not session.exec(select(Inquiry)).all()


@pytest.mark.parametrize(("field", "value"), [
    ("requester_email", "not-an-address"),
    ("requester_email", "a" * 320 + "@example.org"),
    ("requester_phone", "call me maybe"),
    ("requester_name", "x"),
    ("subject", "x" * 201),
    ("subject", "  "),
    ("message", ""),
    ("message", "x" * 5001),
    ("category", "complaint"),
    ("cycle", "x" * 21),
    ("stated_alliance_name", "x" * 201),
])
def test_invalid_input_names_the_field(client, field, value):
    r = client.post(url(), json=filing(**{field: value}))

    body = assert_problem(r, 422, "validation_error")
    assert ["body", field] in error_locs(body)


def test_an_unknown_cycle_is_invalid_input(client, session):
    r = client.post(url(), json=filing(cycle="1999-00"))

    body = assert_problem(r, 422, "unknown_reference")
    assert error_locs(body) == [["body", "cycle"]]
    assert not session.exec(select(Inquiry)).all()


# --- alliance users --------------------------------------------------------------------------

def test_alliance_user_files_for_the_own_alliance_with_the_account_details(
    client, session, alliance, member, member_headers, cycle,
):
    r = client.post(url(), headers=member_headers,
                    json=member_filing(cycle=cycle.key, requester_phone="+49 911 42"))

    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/inquiries/{body['id']}"
    assert row_tag(r.headers["etag"]) == f'"inquiry-{body["id"]}-v1"'
    assert body["alliance_id"] == alliance.id and body["alliance_name"] == alliance.name
    assert (body["requester_name"], body["requester_email"], body["requester_user_id"]) == (
        "Karla Koordination", "karla@familie-teststadt.example.org", member.id)
    assert body["requester_phone"] == "+49 911 42"
    assert (body["cycle_id"], body["cycle_key"]) == (cycle.id, cycle.key)
    assert [(m["author"], m["author_user_id"]) for m in body["messages"]] == [("requester", member.id)]
    assert body["survey_notices"] is None
    [mail] = mail_to(session, "karla@familie-teststadt.example.org")
    assert f"Nr. {body['id']}" in mail.body and "Einladung" not in mail.body


@pytest.mark.parametrize("field", ["requester_name", "requester_email", "stated_alliance_name"])
def test_alliance_users_do_not_send_requester_details(client, session, member_headers, field):
    value = "someone@example.org" if field == "requester_email" else "Jemand Anderes"

    r = client.post(url(), headers=member_headers, json=member_filing(**{field: value}))

    body = assert_problem(r, 422, "invalid_inquiry")
    assert error_locs(body) == [["body", field]]
    assert not session.exec(select(Inquiry)).all()


# --- the Servicebüro and partner systems -----------------------------------------------------

def test_admin_files_for_someone_without_linking_an_alliance(client, session, admin):
    r = client.post(url(), headers=admin, json=filing(category="account", subject="Passwort vergessen"))

    assert r.status_code == 201, r.text
    body = r.json()
    assert body["alliance_id"] is None and body["requester_user_id"] is None
    assert body["requester_email"] == "erika.muster@example.org"
    assert body["messages"][0]["author"] == "requester"
    assert len(mail_to(session, "erika.muster@example.org")) == 1


def test_admin_must_name_the_requester(client, admin):
    body = assert_problem(client.post(url(), headers=admin, json=member_filing()), 422, "invalid_inquiry")
    assert error_locs(body) == [["body", "requester_name"], ["body", "requester_email"]]


@pytest.mark.parametrize("scopes", [("alliances:read", "surveys:read", "surveys:write"), ()])
def test_partner_systems_do_not_file_inquiries(client, session, scopes):
    headers = factories.client_headers(factories.make_client(session, scopes=scopes))

    assert_problem(client.post(url(), headers=headers, json=filing()), 403, "forbidden")
    assert_problem(client.post(url(), headers=headers, json={}), 403, "forbidden")
    assert not session.exec(select(Inquiry)).all()


# --- the anonymous filing limit --------------------------------------------------------------

def test_anonymous_filing_is_limited_per_address(client, app, session, limits):
    limits("inquiries_per_hour", 2)
    assert [client.post(url(), json=filing()).status_code for _ in range(2)] == [201, 201]

    r = client.post(url(), json=filing(subject="Dritter Versuch"))

    assert_problem(r, 429, "too_many_requests")
    assert 1 <= int(r.headers["retry-after"]) <= 3600
    assert len(session.exec(select(Inquiry)).all()) == 2
    assert len(mail_to(session, "erika.muster@example.org")) == 2
    with TestClient(app, client=("203.0.113.7", 50000)) as elsewhere:
        assert elsewhere.post(url(), json=filing()).status_code == 201


def test_the_anonymous_limit_spares_people_signed_in(client, member_headers, admin, limits):
    limits("inquiries_per_hour", 1)
    assert client.post(url(), json=filing()).status_code == 201
    assert client.post(url(), json=filing()).status_code == 429

    assert client.post(url(), headers=member_headers, json=member_filing()).status_code == 201
    assert client.post(url(), headers=admin, json=filing()).status_code == 201


def test_refused_input_does_not_use_up_the_limit(client, limits):
    limits("inquiries_per_hour", 1)
    for _ in range(3):
        assert_problem(client.post(url(), json=filing(requester_email="nope")), 422)

    assert client.post(url(), json=filing()).status_code == 201


def test_the_limit_has_a_documented_default():
    assert get_settings().limits.inquiries_per_hour == 10
