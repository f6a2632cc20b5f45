"""The admin's CSV/XLSX upload of responses: formats, conversions, dry run, all or nothing."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from app.core.db import utcnow
from app.cycles.models import CycleStatus
from app.questionnaire.models import Question
from app.surveys.ingest import cell_answer
from app.surveys.models import ResponseStatus
from tests import factories
from tests.surveys.helpers import response_count, responses_url, revision_count, stored
from tests.utils.problems import assert_problem, error_locs
from tests.utils.xlsx import xlsx

HEADER = ("alliance,wants_future_project,wants_seal,submit,partner_meetings,press_coverage,"
          "offer_frequency,future_topics,remarks,last_event_on")


def import_url(cycle) -> str:
    return f"{responses_url(cycle)}:import"


def upload(client, cycle, headers, content: bytes, name: str = "antworten.csv",
           **params: Any):
    return client.post(import_url(cycle), headers=headers, params=params,
                       files={"file": (name, content, "text/csv")})




def _question(**spec: Any) -> Question:
    return Question(cycle_id=1, key="q", text="?", **spec)


CHOICE = {"options": [{"value": "monthly", "label": "monatlich"}, {"value": "rarely", "label": "selten"}]}


@pytest.mark.parametrize(("spec", "raw", "expected"), [
    ({"type": "boolean"}, "Ja", True),
    ({"type": "boolean"}, "nein", False),
    ({"type": "boolean"}, "x", True),
    ({"type": "boolean"}, "", None),
    ({"type": "integer"}, " 12 ", 12),
    ({"type": "single_choice", **CHOICE}, "monthly", "monthly"),
    ({"type": "single_choice", **CHOICE}, "Monatlich", "monthly"),   # the label works too
    ({"type": "single_choice", **CHOICE}, "weekly", "weekly"),       # left for check_answers
    ({"type": "multi_choice", **CHOICE}, "monthly | selten|", ["monthly", "rarely"]),
    ({"type": "date"}, "2024-05-04", "2024-05-04"),
    ({"type": "date"}, "04.05.2024", "2024-05-04"),
    ({"type": "text"}, "  Familienfest im Park ", "Familienfest im Park"),
])
def test_cell_answer(spec, raw, expected):
    assert cell_answer(_question(**spec), raw) == expected


@pytest.mark.parametrize(("spec", "raw"), [
    ({"type": "boolean"}, "vielleicht"),
    ({"type": "integer"}, "8,5"),
    ({"type": "date"}, "Mai 2024"),
])
def test_cell_answer_refuses(spec, raw):
    with pytest.raises(ValueError, match="must be"):
        cell_answer(_question(**spec), raw)


def test_csv_import_creates_and_submits(client, session, cycle, alliance, other_alliance, admin):
    content = "\n".join([
        HEADER,
        f"{alliance.slug},ja,ja,ja,8,ja,monthly,childcare|care_work,Alles gut,2024-05-04",
        f"{other_alliance.id},nein,,nein,3,,,,,",
    ]).encode()
    r = upload(client, cycle, admin, content, mode="phone_interview")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["dry_run"], body["atomic"]) == (2, False, True)
    assert [i["line"] for i in body["items"]] == [2, 3]
    submitted = stored(session, cycle, alliance)
    assert submitted is not None and submitted.status == ResponseStatus.submitted
    assert submitted.answers == factories.GOOD_ANSWERS
    assert submitted.activity_score == 19.0 and submitted.mode == "phone_interview"
    draft = stored(session, cycle, other_alliance)
    assert draft is not None and draft.status == ResponseStatus.draft
    assert draft.answers == {"partner_meetings": 3} and draft.wants_seal is None
    assert draft.mode == "phone_interview"


def test_windows_1252_semicolon_csv(client, session, cycle, alliance, admin):
    content = ("alliance;wants_future_project;wants_seal;remarks;offer_frequency\n"
               f"{alliance.slug};Ja;Nein;Familienbüro in der Südstadt eröffnet;vierteljährlich\n"
               ).encode("cp1252")
    r = upload(client, cycle, admin, content)
    assert r.status_code == 200, r.text
    row = stored(session, cycle, alliance)
    assert row is not None and row.mode == "admin_entry"
    assert row.answers == {"remarks": "Familienbüro in der Südstadt eröffnet",
                           "offer_frequency": "quarterly"}
    assert (row.wants_future_project, row.wants_seal) == (True, False)


def test_xlsx_import_with_ags_number_and_typed_cells(client, session, cycle, admin):
    hamm = factories.make_alliance(session, ags="05915000", state="DE-NW")
    content = xlsx([
        ["alliance", "wants_future_project", "wants_seal", "submit", "partner_meetings",
         "press_coverage", "offer_frequency", "future_topics", "last_event_on"],
        [5915000, True, True, "ja", 8.0, "ja", "monatlich", "childcare", datetime(2024, 5, 4)],
        [None, None, None, None, None, None, None, None, None],  # empty rows are skipped
    ])
    r = upload(client, cycle, admin, content, name="antworten.xlsx")
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["alliance_id"] == hamm.id
    row = stored(session, cycle, hamm)
    assert row is not None and row.status == ResponseStatus.submitted
    assert row.answers == {"partner_meetings": 8, "press_coverage": True,
                           "offer_frequency": "monthly", "future_topics": ["childcare"],
                           "last_event_on": date(2024, 5, 4).isoformat()}


def test_dry_run_reports_and_writes_nothing(client, session, cycle, alliance, other_alliance,
                                            admin):
    factories.make_response(session, cycle, other_alliance, submitted=False,
                            answers={"partner_meetings": 1})
    content = "\n".join([HEADER, f"{alliance.id},ja,ja,,4,,,,,",
                         f"{other_alliance.id},ja,ja,,5,,,,,"]).encode()
    revisions = revision_count(session)
    r = upload(client, cycle, admin, content, dry_run="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True and (body["created"], body["updated"]) == (1, 1)
    assert body["items"][0]["response_id"] is None
    assert body["items"][1]["response_id"] is not None
    assert stored(session, cycle, alliance) is None
    unchanged = stored(session, cycle, other_alliance)
    assert unchanged is not None and unchanged.answers == {"partner_meetings": 1}
    assert revision_count(session) == revisions


def test_one_bad_row_imports_nothing_and_names_line_and_column(client, session, cycle, alliance,
                                                               other_alliance, admin):
    content = "\n".join([
        HEADER,
        f"{alliance.id},ja,ja,nein,4,,,,,",
        f"{other_alliance.id},vielleicht,ja,nein,viele,,weekly,,,",
        "unbekanntes-buendnis,ja,ja,nein,1,,,,,",
        f"{alliance.id},ja,ja,nein,2,,,,,",
    ]).encode()
    body = assert_problem(upload(client, cycle, admin, content), 422, "import_rejected")
    locs = error_locs(body)
    assert ["file", 3, "wants_future_project"] in locs
    assert ["file", 3, "partner_meetings"] in locs
    assert ["file", 4, "alliance"] in locs
    assert ["file", 5, "alliance"] in locs  # the same alliance as line 2
    assert "nothing was imported" in body["detail"]
    assert response_count(session, cycle) == 0


def test_answer_errors_name_the_question_column(client, session, cycle, alliance, admin):
    content = "\n".join([HEADER, f"{alliance.id},ja,,ja,4,,weekly,,,"]).encode()
    body = assert_problem(upload(client, cycle, admin, content), 422, "import_rejected")
    assert sorted(map(tuple, error_locs(body))) == sorted([
        ("file", 2, "offer_frequency"), ("file", 2, "press_coverage"), ("file", 2, "wants_seal")])


def test_frozen_response_in_a_file_is_refused(client, session, cycle, alliance, admin):
    factories.make_response(session, cycle, alliance)
    content = "\n".join([HEADER, f"{alliance.id},ja,nein,,4,,,,,"]).encode()
    body = assert_problem(upload(client, cycle, admin, content), 422, "import_rejected")
    assert error_locs(body) == [["file", 2]]
    assert body["items"][0]["problem"]["code"] == "response_submitted"


@pytest.mark.parametrize(("header", "loc"), [
    ("alliance,wants_seal,hobbies", ["file", "header", "hobbies"]),
    ("wants_seal,partner_meetings", ["file", "header", "alliance"]),
    ("alliance,wants_seal,wants_seal", ["file", "header", "wants_seal"]),
])
def test_header_problems(client, cycle, alliance, admin, header, loc):
    content = f"{header}\n{alliance.id},ja,ja\n".encode()
    body = assert_problem(upload(client, cycle, admin, content), 422, "import_rejected")
    assert loc in error_locs(body)


@pytest.mark.parametrize(("content", "status"), [
    (b"", 422),
    (b"alliance,wants_seal\n", 422),
    (b"\xff\xfe\x00\x81\x8d", 415),  # no text in any encoding: not CSV, as for every import
])
def test_empty_or_unreadable_files(client, cycle, admin, content, status):
    body = assert_problem(upload(client, cycle, admin, content), status)
    assert ["file"] in error_locs(body)


def test_broken_xlsx_is_415(client, cycle, admin):
    assert_problem(upload(client, cycle, admin, b"PK\x03\x04 kaputt", name="a.xlsx"), 415,
                   "unsupported_file")


def test_import_parameters_are_checked(client, cycle, alliance, admin):
    content = f"alliance\n{alliance.id}\n".encode()
    body = assert_problem(upload(client, cycle, admin, content, mode="online"), 422)
    assert ["query", "mode"] in error_locs(body)
    body = assert_problem(upload(client, cycle, admin, content, dry_run="vielleicht"), 422)
    assert ["query", "dry_run"] in error_locs(body)
    body = assert_problem(client.post(import_url(cycle), headers=admin), 422)
    assert ["body", "file"] in error_locs(body)


def test_import_after_the_window_and_on_a_final_cycle(client, cycle_in, alliance, admin):
    now = utcnow()
    closed = cycle_in(status=CycleStatus.survey_closed, opens_at=now - timedelta(days=40),
                      closes_at=now - timedelta(days=2))
    content = f"alliance,wants_seal\n{alliance.id},ja\n".encode()
    assert upload(client, closed, admin, content).status_code == 200
    final = cycle_in(status=CycleStatus.archived)
    assert_problem(upload(client, final, admin, content), 409, "survey_closed")


def test_import_wrong_callers(client, session, cycle, alliance, coordinator, partner):
    content = f"alliance,wants_seal\n{alliance.id},ja\n".encode()
    assert_problem(upload(client, cycle, {}, content), 401)
    assert_problem(upload(client, cycle, coordinator, content), 403)
    assert_problem(upload(client, cycle, partner, content), 403)
    assert response_count(session, cycle) == 0
