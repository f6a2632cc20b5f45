"""Exports for people who read German (Accept-Language: de): headings, enum values, yes/no and
times in German; CSV with ; for German Excel; English stays the machine form."""

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from app.reports import labels
from app.surveys.models import ResponseMode
from tests import factories
from tests.reports.helpers import WEAK_ANSWERS, cycle_url, evaluate
from tests.utils.problems import assert_problem

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
SUBMITTED_AT = datetime(2024, 1, 15, 9, 5, tzinfo=UTC)  # 10:05 in Berlin (winter time)


def rows_of_csv(content: bytes, sep: str) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=sep))


def _answered(session, cycle):
    alliance = factories.make_alliance(session, name="Bündnis Fürth", slug="buendnis-fuerth",
                                       state="DE-BY")
    other = factories.make_alliance(session, name="Bündnis Hamm", slug="buendnis-hamm",
                                    state="DE-NW")
    factories.make_response(session, cycle, alliance, submitted_at=SUBMITTED_AT,
                            activity_score=12.5, entered_by="user:7")
    factories.make_response(session, cycle, other, submitted=False,
                            mode=ResponseMode.phone_interview, wants_seal=False,
                            reported_status="dormant", entered_by="user:8",
                            answers={"partner_meetings": 3})
    return alliance, other


def test_german_csv_for_german_excel(client, admin, session, cycle):
    _answered(session, cycle)
    response = client.get(cycle_url(cycle, "responses/export.csv"), params={"sep": ";"},
                          headers={**admin, **GERMAN})
    assert response.status_code == 200, response.text
    assert "Accept-Language" in response.headers["vary"]
    rows = rows_of_csv(response.content, ";")
    heading = rows[0]
    assert heading[:12] == [
        "Bündnis-ID", "Kurzname", "Name", "Land", "Status", "Erfassungsart", "Erfasst von",
        "Eingereicht (Berlin)", "Interesse an Projekt Zukunft", "Möchte das Siegel",
        "Gemeldeter Status", "Aktivitätspunkte"]
    assert "partner_meetings" in heading  # question keys stay as the questionnaire names them
    first = dict(zip(heading, rows[1], strict=True))
    second = dict(zip(heading, rows[2], strict=True))
    assert first["Status"] == "eingereicht" and second["Status"] == "Entwurf"
    assert first["Erfassungsart"] == "online" and second["Erfassungsart"] == "Telefoninterview"
    assert first["Eingereicht (Berlin)"] == "15.01.2024 10:05"
    assert first["Aktivitätspunkte"] == "12,5"
    assert second["Möchte das Siegel"] == "nein" and second["Gemeldeter Status"] == "ruhend"
    assert first["Land"] == "DE-BY"  # codes stay codes
    assert first["press_coverage"] == "ja"  # a yes/no answer reads like the fixed columns
    assert first["offer_frequency"] == "monthly"  # option values stay the questionnaire's


def test_english_csv_is_unchanged_for_machines(client, admin, session, cycle):
    _answered(session, cycle)
    rows = rows_of_csv(client.get(cycle_url(cycle, "responses/export.csv"), headers=admin).content,
                       ",")
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["status"] == "submitted" and first["submitted_at"] == "2024-01-15T09:05:00+00:00"
    assert first["activity_score"] == "12.5" and first["wants_seal"] == "true"


def test_german_xlsx_has_berlin_datetime_cells_and_german_headings(client, admin, session, cycle):
    _answered(session, cycle)
    response = client.get(cycle_url(cycle, "responses/export.xlsx"), headers={**admin, **GERMAN})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Eingereicht (Berlin)"] == datetime(2024, 1, 15, 10, 5)  # a real date-time cell
    assert first["Status"] == "eingereicht"
    assert first["Aktivitätspunkte"] == 12.5  # a number cell, Excel shows it the German way
    assert first["Interesse an Projekt Zukunft"] in ("ja", "nein")


def test_german_evaluation_export_translates_criteria(client, admin, session, cycle):
    good = factories.make_alliance(session, name="Bündnis Würzburg")
    weak = factories.make_alliance(session, name="Bündnis Kiel", state="DE-SH")
    factories.make_scored_response(session, cycle, good)
    factories.make_scored_response(session, cycle, weak, answers=WEAK_ANSWERS,
                                   wants_future_project=False)
    evaluate(client, admin, cycle)
    rows = rows_of_csv(client.get(cycle_url(cycle, "evaluations/export.csv"), params={"sep": ";"},
                                  headers={**admin, **GERMAN}).content, ";")
    heading = rows[0]
    assert "networking: Ergebnis" in heading and "networking: Istwert" in heading
    assert heading[-3:] == ["Kriterien erfüllt", "Interesse an Projekt Zukunft",
                            "Zu Projekt Zukunft eingeladen"]
    results = {row[heading.index("networking: Ergebnis")] for row in rows[1:]}
    assert results <= {"erfüllt", "nicht erfüllt"} and results
    assert {row[heading.index("Kriterien erfüllt")] for row in rows[1:]} <= {"ja", "nein"}


def test_german_delegates_export(client, admin, session):
    event = factories.make_event(session)
    alliance = factories.make_alliance(session)
    factories.make_delegate(session, event, alliance)
    response = client.get(f"/api/v1/events/{event.id}/delegates/export.csv",
                          params={"sep": ";"}, headers={**admin, **GERMAN})
    assert response.status_code == 200, response.text
    rows = rows_of_csv(response.content, ";")
    assert rows[0][:3] == ["Name", "Funktion", "E-Mail"]
    assert dict(zip(rows[0], rows[1], strict=True))["Status"] == "angemeldet"


def test_german_export_errors_are_german_too(client, admin, session, cycle):
    response = client.get(cycle_url(cycle, "evaluations/export.csv"), headers={**admin, **GERMAN})
    problem = assert_problem(response, 409)
    assert problem["detail"] == f"Für die Runde {cycle.key} gibt es noch keinen Auswertungslauf: " \
                                "werten Sie sie zuerst aus."


def test_labels_leave_foreign_columns_alone():
    kinds = labels.Columns(own=frozenset({"status"}), criteria=frozenset({"a_result"}))
    row = labels.localize_row(["submitted", "submitted", "pass", True, True],
                              ["status", "remarks", "a_result", "status", "x_result"], "de",
                              "csv", kinds)
    assert row == ["eingereicht", "submitted", "erfüllt", "ja", "ja"]
    assert labels.header(["status", "remarks", "x_result"], "de", "csv", kinds) == [
        "Status", "remarks", "x_result"]
