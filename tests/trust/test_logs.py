"""Logs never contain personal data or secrets.

One realistic working session drives the whole API (sign-ins and failed ones, token refresh,
alliances with contact persons, an invitation accepted, a partner system pushing a batch, a
personal access token, survey notices delivered through the log sender and refused by an SMTP
server, an anonymous inquiry answered, an event delegate registered, exported and told of the
cancellation, a certificate, exports, erasure of every kind of person, a deliberate 500) while the root logger records
everything at DEBUG. Every record is rendered the way the app's log handler writes it
(``JsonFormatter``) and as its bare message and arguments; none may contain a name, an e-mail
address, a phone number, a password or a token that went through the API.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote_plus

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.alliances import service as alliances_service
from app.alliances.models import Alliance
from app.auth.models import Role
from app.core.config import get_settings
from app.core.logging import JsonFormatter
from app.cycles.models import CycleStatus
from app.events.models import Event
from app.mail.dispatch import dispatch_due
from app.mail.senders import LogSender
from app.notices.models import SurveyNotice
from tests import factories
from tests.mail.smtp import running_smtp_server

ADMIN_EMAIL = "Gisela.Verwaltung@servicebuero-example.de"
ADMIN_NAME = "Gisela Verwaltung"
CONTACT_NAME = "Paula Privatmann"
CONTACT_EMAIL = "paula.privatmann@familie-example.de"
CONTACT_PHONE = "+49 911 7654321"
SECOND_CONTACT = {"name": "Konrad Kontaktlos", "email": "konrad.k@familie-example.de",
                  "phone": "0911 555 0199"}
USER_NAME = "Ursula Einladung"
USER_EMAIL = "ursula.einladung@familie-example.de"
USER_PASSWORD = "Sommerfest im Familienzentrum 2025!"
UNKNOWN_EMAIL = "niemand.bekannt@familie-example.de"
WRONG_PASSWORD = "falsches Passwort fuer Gisela"
FREE_TEXT = "Rückfragen bitte an Frau Privatmann persönlich"
REQUESTER = {"requester_name": "Rita Anfragend", "requester_email": "rita.anfragend@familie-example.de",
             "requester_phone": "0341 998877", "stated_alliance_name": "Bündnis Rita Anfragend"}
INQUIRY_TEXT = "Frau Anfragend erreicht man unter 0341 998877 am besten vormittags"
DELEGATE = {"name": "Dora Delegierte", "function": "Koordination Familienzentrum",
            "email": "dora.delegierte@familie-example.de", "phone": "+49 761 2233445",
            "dietary_needs": "glutenfrei wegen Zöliakie"}
WAITING = {"name": "Wanda Wartend", "email": "wanda.wartend@familie-logstadt.de",
           "phone": "+49 171 5550199"}

# The test's own infrastructure logs too: the TestClient (httpx) and the SMTP server the test
# runs (aiosmtpd's "mail.log") see requests and envelopes by design. They are not the app.
HARNESS_LOGGERS = ("httpx", "httpcore", "mail.log")


@dataclass
class Secrets:
    """What must never reach a log line, by label (the label is what a failure reports)."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, label: str, value: str) -> None:
        assert value, label
        self.values[label] = value

    def needles(self) -> dict[str, str]:
        """Each value, lower-cased, plus fragments a careless log line would still carry: an
        e-mail's local part, a phone number's digits, a 16-character piece of a token, the
        URL-encoded form a logged query string would show."""
        found: dict[str, str] = {}
        for label, value in self.values.items():
            found[label] = value.lower()
            if quote_plus(value) != value:
                found[f"{label} (URL-encoded)"] = quote_plus(value).lower()
            if "@" in value:
                found[f"{label} (local part)"] = value.split("@")[0].lower()
            digits = re.sub(r"\D", "", value)
            if label.startswith("phone"):
                found[f"{label} (digits)"] = digits
            if len(value) >= 40:  # tokens and secrets
                middle = len(value) // 2
                found[f"{label} (fragment)"] = value[middle - 8:middle + 8].lower()
        return found


@pytest.fixture
def debug_logs(app: FastAPI, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The root logger at DEBUG, set after the app configured its logging (``app`` imports
    app.main, which installs the JSON handler and its level)."""
    assert any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers), \
        "the app logs through JsonFormatter"
    caplog.set_level(logging.DEBUG)
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    return caplog


def rendered(record: logging.LogRecord) -> list[str]:
    return [JsonFormatter().format(record), record.getMessage(), repr(record.msg), repr(record.args)]


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content and "json" in response.headers["content-type"] else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def password_login(client: TestClient, username: str, password: str) -> Response:
    return client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": username, "password": password,
    })


def test_a_working_session_leaves_no_personal_data_in_the_logs(
    debug_logs: pytest.LogCaptureFixture, client: TestClient, session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = Secrets()
    for label, value in {
        "admin e-mail": ADMIN_EMAIL, "admin name": ADMIN_NAME, "admin password": factories.PASSWORD,
        "contact name": CONTACT_NAME, "contact e-mail": CONTACT_EMAIL, "phone": CONTACT_PHONE,
        "second contact name": SECOND_CONTACT["name"], "second contact e-mail": SECOND_CONTACT["email"],
        "phone 2": SECOND_CONTACT["phone"], "user name": USER_NAME, "user e-mail": USER_EMAIL,
        "user password": USER_PASSWORD, "unknown e-mail": UNKNOWN_EMAIL,
        "wrong password": WRONG_PASSWORD, "free text": FREE_TEXT,
        "requester name": REQUESTER["requester_name"],
        "requester e-mail": REQUESTER["requester_email"],
        "phone (requester)": REQUESTER["requester_phone"], "inquiry text": INQUIRY_TEXT,
        "delegate name": DELEGATE["name"], "delegate e-mail": DELEGATE["email"],
        "phone (delegate)": DELEGATE["phone"], "dietary needs": DELEGATE["dietary_needs"],
        "waiting delegate name": WAITING["name"], "waiting delegate e-mail": WAITING["email"],
        "phone (waiting delegate)": WAITING["phone"],
    }.items():
        secrets.add(label, value)
    limits = get_settings().limits
    monkeypatch.setattr(limits, "login_failures_per_pair", 2)  # reach the lockout below

    factories.make_user(session, Role.admin, email=ADMIN_EMAIL.lower(), full_name=ADMIN_NAME)
    cycle = factories.make_cycle(session, status=CycleStatus.survey_open)
    factories.make_questions(session, cycle)
    awarded = factories.make_cycle(session, status=CycleStatus.awarded)

    # Sign in, refresh, fail.
    tokens = ok(password_login(client, ADMIN_EMAIL, factories.PASSWORD))
    secrets.add("admin access token", tokens["access_token"])
    secrets.add("admin refresh token", tokens["refresh_token"])
    tokens = ok(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}))
    secrets.add("rotated access token", tokens["access_token"])
    secrets.add("rotated refresh token", tokens["refresh_token"])
    admin = bearer(tokens["access_token"])
    assert password_login(client, UNKNOWN_EMAIL, WRONG_PASSWORD).status_code == 400  # invalid_grant
    for expected in (400, 400, 429):
        assert password_login(client, ADMIN_EMAIL, WRONG_PASSWORD).status_code == expected

    # An alliance with its contact persons, then a second contact.
    alliance = ok(client.post("/api/v1/alliances", headers=admin, json={
        "name": "Lokales Bündnis für Familie Logstadt", "ags": "09563000", "level": "city",
        "partners": [{"name": "Stadt Logstadt", "sector": "municipality"}],
        "contacts": [{"name": CONTACT_NAME, "function": "Koordination", "email": CONTACT_EMAIL,
                      "phone": CONTACT_PHONE}],
    }), 201)
    alliance_url = f"/api/v1/alliances/{alliance['id']}"
    ok(client.patch(alliance_url, headers=admin, json={"contacts": [
        {"name": CONTACT_NAME, "email": CONTACT_EMAIL, "phone": CONTACT_PHONE}, SECOND_CONTACT,
    ]}))
    ok(client.get("/api/v1/alliances", headers=admin, params={"q": CONTACT_NAME}))

    # An invitation, accepted; the new coordinator signs in and edits the alliance.
    invited = ok(client.post("/api/v1/users", headers=admin, json={
        "email": USER_EMAIL, "full_name": USER_NAME, "role": "alliance_user",
        "alliance_id": alliance["id"],
    }), 201)
    secrets.add("invitation token", invited["invitation_token"])
    ok(client.post("/api/v1/auth/accept-invitation", json={
        "token": invited["invitation_token"], "password": USER_PASSWORD}), 204)
    assert client.post("/api/v1/auth/accept-invitation", json={
        "token": invited["invitation_token"], "password": USER_PASSWORD}).status_code == 401
    user_tokens = ok(password_login(client, USER_EMAIL, USER_PASSWORD))
    secrets.add("user access token", user_tokens["access_token"])
    secrets.add("user refresh token", user_tokens["refresh_token"])
    coordinator = bearer(user_tokens["access_token"])
    ok(client.get("/api/v1/me", headers=coordinator))
    ok(client.patch(alliance_url, headers=coordinator, json={"description": FREE_TEXT}))
    ok(client.get("/api/v1/users", headers=admin, params={"q": USER_EMAIL}))

    # A partner system: its secret, two ways of using it, a wrong one, and a batch push.
    partner = ok(client.post("/api/v1/clients", headers=admin, json={
        "name": "Landesportal Logstadt", "scopes": ["alliances:read", "surveys:write"],
        "allowed_alliance_ids": [alliance["id"]],
    }), 201)
    secrets.add("client secret", partner["client_secret"])
    client_tokens = ok(client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": partner["client_id"],
        "client_secret": partner["client_secret"]}))
    secrets.add("client access token", client_tokens["access_token"])
    ok(client.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                   auth=(partner["client_id"], partner["client_secret"])))
    assert client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": partner["client_id"],
        "client_secret": partner["client_secret"][::-1]}).status_code == 401
    pushed = ok(client.post(
        f"/api/v1/cycles/{cycle.slug}/responses:batch",
        headers={**bearer(client_tokens["access_token"]), "Idempotency-Key": "push-logs-1"},
        json={"items": [{"alliance": alliance["id"], "ref": "row-1",
                         "answers": {**factories.GOOD_ANSWERS, "remarks": FREE_TEXT},
                         "wants_future_project": True, "wants_seal": True}]},
    ))
    assert pushed["created"] == 1, pushed

    # A personal access token for the Servicebüro's scripts.
    pat = ok(client.post("/api/v1/me/tokens", headers=admin, json={
        "name": "Monatsexport", "scopes": ["api:read"], "expires_in_days": 30}), 201)
    secrets.add("personal access token", pat["token"])
    ok(client.get("/api/v1/audit-events", headers=bearer(pat["token"])))

    # Survey notices: delivered by the log sender, then resent and refused by an SMTP server.
    queued = ok(client.post(f"/api/v1/cycles/{cycle.slug}/notices", headers=admin, json={}), 202)
    assert queued["notices_queued"] == 2, queued
    assert anyio.run(partial(dispatch_due, session, LogSender())).sent >= 2
    with running_smtp_server() as smtp:
        smtp.collector.reject = {CONTACT_EMAIL, SECOND_CONTACT["email"]}
        ok(client.post(f"/api/v1/cycles/{cycle.slug}/notices/mine:resend", headers=coordinator), 202)
        report = anyio.run(partial(dispatch_due, session, smtp.sender()))
    assert report.failed >= 2, report

    # Reminders once the notices are older than the interval, and the notice lists as CSV.
    for notice in session.exec(select(SurveyNotice).where(SurveyNotice.cycle_id == cycle.id)).all():
        notice.created_at -= timedelta(days=8)
        session.add(notice)
    session.commit()
    ok(client.post(f"/api/v1/cycles/{cycle.slug}/notices:remind", headers=admin), 202)
    anyio.run(partial(dispatch_due, session, LogSender()))
    for status in ("not_answered", "missing"):
        ok(client.get(f"/api/v1/cycles/{cycle.slug}/notices/export.csv", headers=admin,
                      params={"status": status}))

    # An inquiry from someone without an account, answered by the Servicebüro and delivered.
    receipt = ok(client.post("/api/v1/inquiries", json={
        "category": "missing_notice", "subject": "Keine Einladung erhalten",
        "message": INQUIRY_TEXT, **REQUESTER}), 201)
    inquiry_url = f"/api/v1/inquiries/{receipt['id']}"
    ok(client.get("/api/v1/inquiries", headers=admin, params={"status": "open"}))
    ok(client.patch(inquiry_url, headers=admin, json={"alliance_id": alliance["id"]}))
    ok(client.post(f"{inquiry_url}/messages", headers=admin, json={"body": FREE_TEXT}), 201)
    ok(client.post(f"{inquiry_url}/close", headers=admin))
    assert anyio.run(partial(dispatch_due, session, LogSender())).sent >= 2

    # A workshop: the alliance is invited, registers a delegate and changes her details; the
    # participant list is exported; the workshop is cancelled and she is told by e-mail.
    starts = datetime.now(UTC) + timedelta(days=30)
    event = ok(client.post("/api/v1/events", headers=admin, json={
        "kind": "workshop", "title": "Zukunftswerkstatt Logstadt", "topics": [2],
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=6)).isoformat(),
        "venue": "Logstadt"}), 201)
    event_url = f"/api/v1/events/{event['id']}"
    ok(client.post(f"{event_url}/publish", headers=admin))
    ok(client.post(f"{event_url}/invitations", headers=admin,
                   json={"alliance_ids": [alliance["id"]]}))
    delegate = ok(client.post(f"{event_url}/delegates", headers=coordinator, json=DELEGATE), 201)
    ok(client.patch(f"{event_url}/delegates/{delegate['id']}", headers=coordinator,
                    json={"phone": DELEGATE["phone"], "dietary_needs": DELEGATE["dietary_needs"]}))
    duplicate = client.post(f"{event_url}/delegates", headers=coordinator, json=DELEGATE)
    assert duplicate.status_code == 409, duplicate.text
    listing = client.get(f"{event_url}/delegates/export.csv", headers=admin)
    assert listing.status_code == 200 and DELEGATE["email"] in listing.text
    # The alliance subscribes to its calendar feed: the secret URL is fetched without a token,
    # replaced, and the old one tried again.
    feed = ok(client.post(f"{alliance_url}/calendar-feed", headers=coordinator), 201)
    secrets.add("calendar feed secret", feed["path"].rsplit("/", 1)[1].removesuffix(".ics"))
    assert client.get(feed["path"]).status_code == 200
    ok(client.post(f"{alliance_url}/calendar-feed", headers=admin), 201)
    assert client.get(feed["path"]).status_code == 404

    # The waiting list: one place, a second delegate waits, is promoted by hand and told.
    ok(client.patch(event_url, headers=admin, json={"capacity": 1}))
    waiting = ok(client.post(f"{event_url}/delegates", headers=coordinator, json=WAITING), 201)
    assert waiting["status"] == "waitlisted"
    ok(client.post(f"{event_url}/delegates/{waiting['id']}/promote", headers=admin,
                   json={"exceed_capacity": True}))
    ok(client.post(f"{event_url}/delegates/{waiting['id']}/withdraw", headers=coordinator))
    # The workshop begins (moved to an hour ago): attendance is recorded one by one and in
    # bulk, counted, and exported with the participant list.
    session.execute(update(Event).where(col(Event.id) == event["id"]).values(
        starts_at=datetime.now(UTC) - timedelta(hours=1)))
    session.commit()
    ok(client.put(f"{event_url}/delegates/{delegate['id']}/attendance", headers=admin,
                  json={"attendance": "no_show"}))
    ok(client.post(f"{event_url}/attendance", headers=admin,
                   json={"items": [{"delegate_id": delegate["id"], "attendance": "attended"}]}))
    assert ok(client.get(f"{event_url}/counts", headers=admin))["attendance_open"] is True
    attended = client.get(f"{event_url}/delegates/export.csv", headers=admin)
    assert attended.status_code == 200 and DELEGATE["email"] in attended.text
    ok(client.post(f"{event_url}/cancel", headers=admin))
    assert anyio.run(partial(dispatch_due, session, LogSender())).sent >= 2

    # A workgroup: the alliance is admitted with a reason, shares its contact person with the
    # members, who list it, and drafts a result.
    group = ok(client.post("/api/v1/workgroups", headers=admin, json={
        "cycle": cycle.slug, "topic": 2, "title": "Arbeitsrunde Logstadt"}), 201)
    group_url = f"/api/v1/workgroups/{group['id']}"
    factories.make_evaluation_run(session, cycle, [])  # invitations by the rule follow it
    ok(client.post(f"{group_url}/members:invite", headers=admin))
    ok(client.post(f"{group_url}/members", headers=admin,
                   json={"alliance_id": alliance["id"], "reason": FREE_TEXT}))
    shared = ok(client.get(alliance_url, headers=admin))["contacts"][0]
    ok(client.patch(f"{group_url}/membership", headers=coordinator,
                    json={"shared_contact_id": shared["id"]}))
    assert shared["email"] in str(ok(client.get(f"{group_url}/members", headers=coordinator)))
    ok(client.post(f"{group_url}/results", headers=coordinator,
                   json={"title": "Ergebnis Logstadt", "summary": FREE_TEXT}), 201)

    # The seal certificate, the exports, erasure.
    award = factories.make_award(session, awarded, session.get(Alliance, alliance["id"]))
    certificate = client.get(f"/api/v1/awards/{award.id}/certificate.pdf", headers=coordinator)
    assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")
    export = ok(client.get(f"{alliance_url}/personal-data", headers=admin))
    assert CONTACT_EMAIL in str(export), "the export itself does carry the personal data"
    assert client.get(f"/api/v1/cycles/{cycle.slug}/responses/export.csv", headers=admin).status_code == 200
    assert client.get("/api/v1/audit-events/export.csv", headers=bearer(pat["token"])).status_code == 200
    contact_id = next(c["id"] for c in export["contacts"] if c["email"] == CONTACT_EMAIL)
    ok(client.post(f"/api/v1/people/contact/{contact_id}:erase", headers=admin))
    ok(client.post(f"/api/v1/people/user/{invited['id']}:erase", headers=admin))
    ok(client.post(f"/api/v1/people/requester/{receipt['id']}:erase", headers=admin))
    ok(client.post(f"/api/v1/people/delegate/{delegate['id']}:erase", headers=admin))
    ok(client.post("/api/v1/auth/logout", headers=admin), 204)

    # A bug: the exception's message quotes an e-mail address.
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"lookup failed for {CONTACT_EMAIL} ({CONTACT_PHONE})")

    monkeypatch.setattr(alliances_service, "read_alliance", broken)
    failure = client.get(alliance_url, headers=bearer(pat["token"]))
    assert failure.status_code == 500 and failure.json()["request_id"]
    assert CONTACT_EMAIL not in failure.text

    records = [r for r in debug_logs.records if not r.name.startswith(HARNESS_LOGGERS)]
    names = {r.name for r in records}
    assert {"buendnis.access", "buendnis.errors", "buendnis.mail"} <= names, names
    assert any(r.name == "buendnis.errors" and r.exc_info for r in records), "the 500 was logged"
    needles = secrets.needles()
    leaks = sorted({
        f"{record.name} ({record.levelname}) carries the {label}"
        for record in records for line in rendered(record) for label, needle in needles.items()
        if needle in line.lower()
    })
    assert not leaks, "\n".join(leaks)


def test_configuring_logging_again_replaces_its_own_handler_and_keeps_others():
    """Building the app configures logging; a second app (tests, the worker beside the API)
    must not add a second JSON handler, nor drop handlers others installed (a test runner's
    capture: caplog saw nothing when the app was first built inside a test)."""
    from app.core.logging import configure_logging

    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    foreign = logging.NullHandler()
    try:
        root.addHandler(foreign)
        configure_logging("INFO")
        configure_logging("WARNING")
        ours = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
        assert len(ours) == 1 and foreign in root.handlers
        assert root.level == logging.WARNING
    finally:
        root.handlers = saved
        root.setLevel(level)
