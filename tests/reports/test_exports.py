"""CSV and XLSX exports of a cycle's responses and evaluation results, through the API."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from app.core.german import GERMAN_TIME
from app.cycles.models import AwardCycle
from app.questionnaire.models import Question
from app.reports import exports
from app.surveys.models import ResponseMode
from tests import factories
from tests.reports.helpers import WEAK_ANSWERS, cycle_url, evaluate
from tests.utils.problems import assert_problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = ["alliance_id", "slug", "name", "state", "status", "mode", "entered_by", "submitted_at",
        "wants_future_project", "wants_seal", "reported_status", "activity_score"]
QUESTIONS = ["partner_meetings", "press_coverage", "offer_frequency", "future_topics", "remarks",
             "last_event_on"]
# XLSX time cells hold Berlin wall-clock time, and their heading says so.
XLSX_BASE = [f"{name} (Europe/Berlin)" if name == "submitted_at" else name for name in BASE]
SUBMITTED_AT = datetime(2024, 5, 4, 10, 30, tzinfo=UTC)
REMARKS = 'Grüße aus Fürth: „Familienzeit“, Väter-Café; "zitiert"'


def rows_of_csv(content: bytes, sep: str = ",") -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=sep))


def rows_of_xlsx(content: bytes) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def as_csv_text(value: Any, sep: str = ",") -> str:
    """How a typed XLSX cell reads in the CSV export (``;``: with a decimal comma)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.replace(tzinfo=GERMAN_TIME).astimezone(UTC).isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and sep == ";":
        return str(value).replace(".", ",")
    if isinstance(value, str) and value.endswith(" (Europe/Berlin)"):
        return value.removesuffix(" (Europe/Berlin)")
    return str(value)


@pytest.fixture
def answered(session: Session, cycle: AwardCycle) -> dict[str, Any]:
    """Two responses: one submitted online (with umlauts and a decimal score), one draft."""
    fuerth = factories.make_alliance(session, name="Lokales Bündnis für Familie Fürth",
                                     slug="buendnis-fuerth", state="DE-BY")
    hamm = factories.make_alliance(session, name="Bündnis Hamm", slug="buendnis-hamm",
                                   state="DE-NW")
    first = factories.make_response(
        session, cycle, fuerth, answers={**factories.GOOD_ANSWERS, "remarks": REMARKS},
        submitted_at=SUBMITTED_AT, activity_score=12.5, entered_by="user:7",
    )
    second = factories.make_response(
        session, cycle, hamm, submitted=False, mode=ResponseMode.phone_interview,
        answers={"partner_meetings": 3, "future_topics": ["low_income"]},
        wants_future_project=None, wants_seal=False, reported_status="dormant",
        entered_by="user:8",
    )
    return {"fuerth": fuerth, "hamm": hamm, "first": first, "second": second}


def expected_response_rows(answered: dict[str, Any]) -> list[list[str]]:
    fuerth, hamm = answered["fuerth"], answered["hamm"]
    return [
        [str(fuerth.id), "buendnis-fuerth", "Lokales Bündnis für Familie Fürth", "DE-BY",
         "submitted", "online", "user:7", "2024-05-04T10:30:00+00:00", "true", "true", "",
         "12.5", "8", "true", "monthly", "childcare|care_work", REMARKS, "2024-05-04"],
        [str(hamm.id), "buendnis-hamm", "Bündnis Hamm", "DE-NW", "draft", "phone_interview",
         "user:8", "", "", "false", "dormant", "", "3", "", "", "low_income", "", ""],
    ]


# --- responses as CSV ---------------------------------------------------------------------------

def test_responses_csv_has_a_header_and_one_row_per_response(client, admin, cycle, answered):
    r = client.get(cycle_url(cycle, "responses/export.csv"), headers=admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        f'attachment; filename="buendnisumfrage-{cycle.slug}-antworten.csv"')
    assert r.headers["cache-control"] == "no-store"
    rows = rows_of_csv(r.content)
    assert rows[0] == BASE + QUESTIONS
    assert rows[1:] == expected_response_rows(answered)


def test_umlauts_survive_as_utf8(client, admin, cycle, answered):
    content = client.get(cycle_url(cycle, "responses/export.csv"), headers=admin).content
    assert "Lokales Bündnis für Familie Fürth".encode() in content
    assert "„Familienzeit“".encode() in content
    assert b"B\xc3\xbcndnis" in content


def test_semicolon_option_for_german_excel(client, admin, cycle, answered):
    r = client.get(cycle_url(cycle, "responses/export.csv"), headers=admin, params={"sep": ";"})
    assert r.status_code == 200
    header_line = r.content.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header_line == ";".join(BASE + QUESTIONS)
    rows = rows_of_csv(r.content, ";")
    expected = expected_response_rows(answered)
    expected[0][BASE.index("activity_score")] = "12,5"
    assert rows[1:] == expected
    assert "12,5" in rows[1], "a decimal comma, as Excel with German settings reads it"
    assert "12.5" not in rows[1]


def test_columns_follow_the_questionnaire_order_not_the_insertion_order(
    client, admin, session, cycle, answered,
):
    questions = session.exec(select(Question).where(Question.cycle_id == cycle.id)
                             .order_by(col(Question.id))).all()
    for question in questions:
        question.position = len(questions) - question.position  # reverse the questionnaire
        session.add(question)
    session.commit()
    rows = rows_of_csv(client.get(cycle_url(cycle, "responses/export.csv"), headers=admin).content)
    assert rows[0] == BASE + QUESTIONS[::-1]
    assert rows[1][len(BASE):] == expected_response_rows(answered)[0][len(BASE):][::-1]


def test_status_filter_exports_only_submitted_responses(client, admin, cycle, answered):
    r = client.get(cycle_url(cycle, "responses/export.csv"), headers=admin,
                   params={"status": "submitted"})
    rows = rows_of_csv(r.content)
    assert [row[0] for row in rows[1:]] == [str(answered["fuerth"].id)]


def test_a_question_key_that_clashes_with_a_fixed_column_is_prefixed(client, admin, session):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle, [
        {"key": "status", "text": "Wie ist der Stand?", "type": "text", "scoring": {"kind": "none"}},
    ])
    factories.make_response(session, cycle, factories.make_alliance(session),
                            answers={"status": "läuft"})
    rows = rows_of_csv(client.get(cycle_url(cycle, "responses/export.csv"), headers=admin).content)
    assert rows[0] == [*BASE, "answer_status"]
    assert rows[1][4] == "submitted" and rows[1][-1] == "läuft"


def test_formula_like_text_is_neutralised_in_csv(client, admin, session, cycle):
    alliance = factories.make_alliance(session)
    attack = '=HYPERLINK("http://example.com/x","Klick")'
    factories.make_response(session, cycle, alliance,
                            answers={**factories.GOOD_ANSWERS, "remarks": attack})
    rows = rows_of_csv(client.get(cycle_url(cycle, "responses/export.csv"), headers=admin).content)
    assert rows[1][BASE.index("activity_score") + 1 + QUESTIONS.index("remarks")] == "'" + attack


def test_an_empty_cycle_exports_only_the_header(client, admin, cycle):
    r = client.get(cycle_url(cycle, "responses/export.csv"), headers=admin)
    assert rows_of_csv(r.content) == [BASE + QUESTIONS]


def test_rows_are_read_in_batches_without_gaps_or_repeats(client, admin, session, cycle,
                                                          monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 2)
    alliances = [factories.make_alliance(session) for _ in range(5)]
    for alliance in alliances:
        factories.make_response(session, cycle, alliance)
    rows = rows_of_csv(client.get(cycle_url(cycle, "responses/export.csv"), headers=admin).content)
    assert [row[0] for row in rows[1:]] == [str(a.id) for a in alliances]
    xlsx = rows_of_xlsx(client.get(cycle_url(cycle, "responses/export.xlsx"), headers=admin).content)
    assert [row[0] for row in xlsx[1:]] == [a.id for a in alliances]


def test_every_export_is_audited(client, admin, cycle, answered):
    client.get(cycle_url(cycle, "responses/export.csv"), headers=admin, params={"sep": ";"})
    client.get(cycle_url(cycle, "responses/export.xlsx"), headers=admin,
               params={"status": "draft"})
    r = client.get("/api/v1/audit-events", headers=admin, params={"action": "responses.export"})
    events = r.json()["items"]
    assert [(e["resource_type"], e["resource_id"], e["changes"]) for e in events] == [
        ("award_cycle", str(cycle.id), {"format": "xlsx", "status": "draft"}),
        ("award_cycle", str(cycle.id), {"format": "csv", "status": "all"}),
    ]
    assert all(e["actor"].startswith("user:") for e in events)


# --- responses as XLSX --------------------------------------------------------------------------

def test_responses_xlsx_opens_and_has_the_same_cells_as_the_csv(client, admin, cycle, answered):
    r = client.get(cycle_url(cycle, "responses/export.xlsx"), headers=admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    assert r.headers["content-disposition"] == (
        f'attachment; filename="buendnisumfrage-{cycle.slug}-antworten.xlsx"')
    assert int(r.headers["content-length"]) == len(r.content)
    rows = rows_of_xlsx(r.content)
    assert rows[0] == XLSX_BASE + QUESTIONS
    csv_rows = rows_of_csv(client.get(cycle_url(cycle, "responses/export.csv"), headers=admin).content)
    assert [[as_csv_text(v) for v in row] for row in rows] == csv_rows


def test_xlsx_cells_are_typed(client, admin, cycle, answered):
    rows = rows_of_xlsx(client.get(cycle_url(cycle, "responses/export.xlsx"), headers=admin).content)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["alliance_id"] == answered["fuerth"].id
    # 10:30 UTC is 12:30 in Berlin (summer time); Excel has no zones, the heading names it
    assert first["submitted_at (Europe/Berlin)"] == datetime(2024, 5, 4, 12, 30)
    assert first["wants_future_project"] is True
    assert first["activity_score"] == 12.5
    assert first["partner_meetings"] == 8
    assert first["future_topics"] == "childcare|care_work"
    assert first["remarks"] == REMARKS


def test_xlsx_header_is_bold_and_frozen(client, admin, cycle, answered):
    content = client.get(cycle_url(cycle, "responses/export.xlsx"), headers=admin).content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "Antworten"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])


def test_formula_like_text_stays_text_in_xlsx(client, admin, session, cycle):
    attack = "=1+2"
    factories.make_response(session, cycle, factories.make_alliance(session),
                            answers={**factories.GOOD_ANSWERS, "remarks": attack + "\x01"})
    content = client.get(cycle_url(cycle, "responses/export.xlsx"), headers=admin).content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cell = sheet.cell(row=2, column=len(BASE) + QUESTIONS.index("remarks") + 1)
    assert (cell.value, cell.data_type) == (attack, "s"), "a text cell, control character removed"


# --- evaluations --------------------------------------------------------------------------------

EVALUATION_HEADER = [
    "alliance_id", "slug", "name", "state", "activity_score",
    "networking_result", "networking_actual", "visibility_result", "visibility_actual",
    "activity_result", "activity_actual", "interest_result", "interest_actual",
    "meets_criteria", "wants_future_project", "invited_to_future_project",
]


@pytest.fixture
def evaluated(client, admin, session, cycle) -> dict[str, Any]:
    good = factories.make_alliance(session, name="Bündnis Würzburg", slug="buendnis-wuerzburg")
    weak = factories.make_alliance(session, name="Bündnis Kiel", slug="buendnis-kiel",
                                   state="DE-SH")
    factories.make_scored_response(session, cycle, good)
    factories.make_scored_response(session, cycle, weak, answers=WEAK_ANSWERS,
                                   wants_future_project=False)
    run = evaluate(client, admin, cycle)
    return {"good": good, "weak": weak, "run": run}


def test_evaluations_csv_has_each_criterion_with_result_and_actual_value(
    client, admin, cycle, evaluated,
):
    r = client.get(cycle_url(cycle, "evaluations/export.csv"), headers=admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == (
        f'attachment; filename="buendnisumfrage-{cycle.slug}-auswertung.csv"')
    rows = rows_of_csv(r.content)
    assert rows[0] == EVALUATION_HEADER
    good, weak = evaluated["good"], evaluated["weak"]
    assert rows[1:] == [
        [str(good.id), "buendnis-wuerzburg", "Bündnis Würzburg", "DE-BY", "19",
         "pass", "2", "pass", "true", "pass", "19", "pass", "true", "true", "true", "true"],
        [str(weak.id), "buendnis-kiel", "Bündnis Kiel", "DE-SH", "6",
         "fail", "1", "fail", "false", "fail", "6", "pass", "true", "false", "false", "false"],
    ]


def test_evaluations_xlsx_has_the_same_cells(client, admin, cycle, evaluated):
    r = client.get(cycle_url(cycle, "evaluations/export.xlsx"), headers=admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    rows = rows_of_xlsx(r.content)
    assert load_workbook(io.BytesIO(r.content)).worksheets[0].title == "Auswertung"
    csv_rows = rows_of_csv(client.get(cycle_url(cycle, "evaluations/export.csv"), headers=admin,
                                      params={"sep": ";"}).content, ";")
    assert [[as_csv_text(v, ";") for v in row] for row in rows] == csv_rows


def test_evaluations_export_uses_the_latest_run_unless_one_is_named(
    client, admin, session, cycle, evaluated,
):
    late = factories.make_alliance(session)
    factories.make_scored_response(session, cycle, late)
    evaluate(client, admin, cycle)
    latest = rows_of_csv(client.get(cycle_url(cycle, "evaluations/export.csv"), headers=admin).content)
    assert str(late.id) in [row[0] for row in latest[1:]]
    first = rows_of_csv(client.get(cycle_url(cycle, "evaluations/export.csv"), headers=admin,
                                   params={"run_id": evaluated["run"]["id"]}).content)
    assert [row[0] for row in first[1:]] == [str(evaluated["good"].id), str(evaluated["weak"].id)]


def test_evaluations_export_is_audited(client, admin, cycle, evaluated):
    client.get(cycle_url(cycle, "evaluations/export.xlsx"), headers=admin)
    events = client.get("/api/v1/audit-events", headers=admin,
                        params={"action": "evaluations.export"}).json()["items"]
    assert [(e["resource_id"], e["changes"]) for e in events] == [
        (str(cycle.id), {"format": "xlsx", "run_id": evaluated["run"]["id"]})]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_evaluations_export_before_any_run_is_409(client, admin, cycle, fmt):
    assert_problem(client.get(cycle_url(cycle, f"evaluations/export.{fmt}"), headers=admin), 409,
                   "not_evaluated")


def test_evaluations_export_of_a_run_of_another_cycle_is_404(client, admin, session, cycle, evaluated):
    other = factories.make_cycle(session)
    r = client.get(cycle_url(other, "evaluations/export.csv"), headers=admin,
                   params={"run_id": evaluated["run"]["id"]})
    assert_problem(r, 404, "evaluation_run_not_found")


# --- wrong callers and bad input ----------------------------------------------------------------

EXPORTS = ["responses/export.csv", "responses/export.xlsx", "evaluations/export.csv",
           "evaluations/export.xlsx"]


@pytest.mark.parametrize("tail", EXPORTS)
def test_anonymous_is_refused(client, cycle, tail):
    assert_problem(client.get(cycle_url(cycle, tail)), 401)


@pytest.mark.parametrize("tail", EXPORTS)
def test_alliance_user_is_refused_even_with_an_own_response(client, session, cycle, alliance,
                                                           alliance_user, tail):
    factories.make_response(session, cycle, alliance)
    assert_problem(client.get(cycle_url(cycle, tail), headers=alliance_user(alliance)), 403)


@pytest.mark.parametrize("tail", EXPORTS)
def test_client_is_refused(client, session, cycle, tail):
    everything = factories.make_client(session, scopes=("alliances:read", "surveys:read",
                                                        "surveys:write"))
    assert_problem(client.get(cycle_url(cycle, tail), headers=factories.client_headers(everything)),
                   403)


@pytest.mark.parametrize("tail", EXPORTS)
def test_unknown_cycle_is_404(client, admin, tail):
    assert_problem(client.get(cycle_url("1999-00", tail), headers=admin), 404, "cycle_not_found")


@pytest.mark.parametrize(("tail", "params", "loc"), [
    ("responses/export.csv", {"sep": "|"}, ["query", "sep"]),
    ("evaluations/export.csv", {"sep": "tab"}, ["query", "sep"]),
    ("responses/export.csv", {"status": "frozen"}, ["query", "status"]),
    ("responses/export.xlsx", {"status": "frozen"}, ["query", "status"]),
    ("evaluations/export.csv", {"run_id": "0"}, ["query", "run_id"]),
    ("evaluations/export.xlsx", {"run_id": "first"}, ["query", "run_id"]),
])
def test_bad_options_are_422_naming_the_field(client, admin, cycle, tail, params, loc):
    body = assert_problem(client.get(cycle_url(cycle, tail), headers=admin, params=params), 422)
    assert loc in [e["loc"] for e in body["errors"]]


def test_nothing_is_audited_for_a_refused_export(client, admin, alliance, alliance_user, cycle):
    client.get(cycle_url(cycle, "responses/export.csv"), headers=alliance_user(alliance))
    client.get(cycle_url(cycle, "responses/export.csv"), headers=admin, params={"sep": "|"})
    events = client.get("/api/v1/audit-events", headers=admin,
                        params={"action": "responses.export"}).json()["items"]
    assert events == []
