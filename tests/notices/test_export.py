"""The notice lists as JSON pages and as CSV for German Excel: the whole overview, not reached
(status=missing) and reached but not answered (status=not_answered)."""

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.mail.models import OutboxStatus
from app.notices.models import NoticeKind, SurveyNotice
from tests import factories
from tests.utils.problems import assert_problem

HEADER = ["Bündnis-ID", "Bündnis", "Land", "Bündnisstatus", "Teilnahmeberechtigt", "Erreicht",
          "Anschreiben-Status", "Zuletzt zugestellt", "Anschreiben", "Erinnerungen",
          "Letzte Erinnerung", "Antwort", "Empfänger"]


def url(cycle, suffix=""):
    return f"/api/v1/cycles/{cycle.slug}/notices{suffix}"


def notice(session, cycle, alliance, status=OutboxStatus.sent, kind=NoticeKind.notice, days_ago=9):
    at = utcnow() - timedelta(days=days_ago)
    session.add(SurveyNotice(
        cycle_id=cycle.id, alliance_id=alliance.id, recipient=alliance.contacts[0].email,
        status=status, kind=kind, requested_by="user:0", created_at=at, updated_at=at,
        sent_at=at if status == OutboxStatus.sent else None))
    session.commit()


def parse(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def world(session):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    silent = factories.make_alliance(session, name="Bündnis Aachen (schweigt)", state="DE-NW")
    drafting = factories.make_alliance(session, name="Bündnis Bamberg (Entwurf)")
    answered = factories.make_alliance(session, name="Bündnis Celle (geantwortet)", state="DE-NI")
    missing = factories.make_alliance(session, name="Bündnis Dresden (nicht erreicht)", state="DE-SN")
    failed = factories.make_alliance(session, name="=Bündnis Erfurt (fehlgeschlagen)", state="DE-TH")
    for alliance in (silent, drafting, answered):
        notice(session, cycle, alliance)
    notice(session, cycle, silent, kind=NoticeKind.reminder, days_ago=1)
    notice(session, cycle, failed, status=OutboxStatus.failed)
    factories.make_response(session, cycle, drafting, submitted=False)
    factories.make_response(session, cycle, answered)
    return {"cycle": cycle, "silent": silent, "drafting": drafting, "answered": answered,
            "missing": missing, "failed": failed}


def test_not_answered_as_a_json_page(client, admin, world):
    r = client.get(url(world["cycle"]), headers=admin,
                   params={"status": "not_answered", "include_total": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["alliance_id"] for i in body["items"]] == [world["silent"].id, world["drafting"].id]
    assert body["total"] == 2
    assert all(i["reached"] for i in body["items"])
    missing = client.get(url(world["cycle"]), headers=admin, params={"status": "missing"}).json()
    # By name: "=" sorts before letters.
    assert [i["alliance_id"] for i in missing["items"]] == [world["failed"].id, world["missing"].id]


def test_not_answered_csv_for_german_excel(client, admin, world):
    rows = parse(client.get(url(world["cycle"], "/export.csv"), headers=admin,
                            params={"status": "not_answered"}))
    assert rows[0] == HEADER
    by_name = {row[1]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {world["silent"].name, world["drafting"].name}
    silent = by_name[world["silent"].name]
    assert silent["Bündnis-ID"] == str(world["silent"].id)
    assert (silent["Land"], silent["Bündnisstatus"]) == ("DE-NW", "aktiv")
    assert (silent["Teilnahmeberechtigt"], silent["Erreicht"]) == ("ja", "ja")
    assert silent["Anschreiben-Status"] == "zugestellt"
    assert (silent["Anschreiben"], silent["Erinnerungen"]) == ("1", "1")
    assert silent["Antwort"] == "keine"
    day, time_ = silent["Letzte Erinnerung"].split(" ")
    assert len(day.split(".")) == 3 and len(day) == 10 and ":" in time_  # TT.MM.JJJJ HH:MM
    assert by_name[world["drafting"].name]["Antwort"] == "Entwurf"
    assert by_name[world["drafting"].name]["Erinnerungen"] == "0"
    assert silent["Empfänger"] == world["silent"].contacts[0].email


def test_not_reached_csv_and_the_formula_guard(client, admin, world):
    rows = parse(client.get(url(world["cycle"], "/export.csv"), headers=admin,
                            params={"status": "missing"}))
    # A name that would start a formula gets an apostrophe.
    assert [row[1] for row in rows[1:]] == ["'" + world["failed"].name, world["missing"].name]
    failed = dict(zip(HEADER, rows[1], strict=True))
    assert (failed["Erreicht"], failed["Anschreiben-Status"]) == ("nein", "fehlgeschlagen")
    assert dict(zip(HEADER, rows[2], strict=True))["Anschreiben-Status"] == "keins"


def test_whole_overview_csv_is_audited(client, admin, session, world):
    r = client.get(url(world["cycle"], "/export.csv"), headers=admin, params={"state": "DE-NI"})
    rows = parse(r)
    assert [row[1] for row in rows[1:]] == [world["answered"].name]
    assert dict(zip(HEADER, rows[1], strict=True))["Antwort"] == "abgeschickt"
    assert 'filename="anschreiben-' in r.headers["content-disposition"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "notices.export")).one()
    assert event.resource_id == str(world["cycle"].id)


def test_export_wrong_callers_and_bad_input(client, admin, alliance, alliance_user, partner, world):
    target = url(world["cycle"], "/export.csv")
    assert_problem(client.get(target), 401)
    assert_problem(client.get(target, headers=alliance_user(world["silent"])), 403)
    assert_problem(client.get(target, headers=partner), 403)
    assert_problem(client.get("/api/v1/cycles/1999-00/notices/export.csv", headers=admin), 404)
    bad = assert_problem(client.get(target, headers=admin, params={"status": "nobody"}), 422)
    assert ["query", "status"] in [e["loc"] for e in bad["errors"]]
    assert_problem(client.get(target, headers=admin, params={"state": "XX"}), 422)
