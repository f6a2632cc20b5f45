"""POST /alliances/import: CSV (UTF-8 or Windows-1252, comma or semicolon) and XLSX, all or
nothing, idempotent, errors naming line and field."""

import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.alliances.models import Alliance
from tests.alliances.helpers import API, count, snapshot
from tests.utils.problems import assert_problem, error_locs
from tests.utils.xlsx import xlsx

IMPORT = f"{API}/import"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ("name,slug,ags,municipality,district,state,region,level,legal_form,founded_on,"
          "website,description,status,listed_in_finder,partners")
ROWS = [
    'Lokales Bündnis für Familie Fürth,fuerth,09563000,Fürth,,,Metropolregion Nürnberg,city,'
    'working_group,2005-03-01,https://familie-fuerth.de,"Monatlich, offen",active,ja,'
    'Stadt Fürth:municipality|Caritas:welfare',
    "Hammer Bündnis für Familie,,05915000,Hamm,,,,city,informal,15.09.2006,,,,nein,"
    "Stadt Hamm:municipality|Bäckerei Beck",
    "Familienbündnis Vorpommern-Greifswald,,,,Vorpommern-Greifswald,DE-MV,,district,,,"
    "http://vg.example/familie,,dormant,,",
]


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8",
              delimiter: str = ",") -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    if delimiter != ",":
        text = text.replace(",", delimiter)
    return text.encode(encoding)


def upload(client: TestClient, headers: dict[str, str], content: bytes,
           filename: str = "alliances.csv", *, dry_run: bool | None = None,
           content_type: str = "text/csv") -> Any:
    params = {} if dry_run is None else {"dry_run": str(dry_run).lower()}
    return client.post(IMPORT, headers=headers, params=params,
                       files={"file": (filename, content, content_type)})




def by_slug(session: Session, slug: str) -> Alliance:
    session.expire_all()
    alliance = session.exec(select(Alliance).where(Alliance.slug == slug)).first()
    assert alliance is not None, slug
    return alliance


# --- happy paths -----------------------------------------------------------------------------


def test_csv_import_creates_alliances(client: TestClient, admin: dict[str, str],
                                      session: Session) -> None:
    r = upload(client, admin, csv_bytes(*ROWS))
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["dry_run"], report["created"], report["updated"], report["unchanged"]) == (
        False, 3, 0, 0)
    assert report["ignored_columns"] == []
    assert [(row["line"], row["action"]) for row in report["rows"]] == [
        (2, "create"), (3, "create"), (4, "create")]
    assert all(isinstance(row["id"], int) for row in report["rows"])
    assert count(session) == 3

    fuerth = client.get(f"{API}/{report['rows'][0]['id']}", headers=admin).json()
    assert fuerth["slug"] == "fuerth"
    assert (fuerth["state"], fuerth["municipality"], fuerth["founded_on"]) == (
        "DE-BY", "Fürth", "2005-03-01")
    assert fuerth["website"] == "https://familie-fuerth.de"
    assert fuerth["description"] == "Monatlich, offen"
    assert fuerth["listed_in_finder"] is True
    assert [(p["name"], p["sector"]) for p in fuerth["partners"]] == [
        ("Stadt Fürth", "municipality"), ("Caritas", "welfare")]

    hamm = client.get(f"{API}/{report['rows'][1]['id']}", headers=admin).json()
    assert hamm["slug"] == "hammer-buendnis-fuer-familie"
    assert (hamm["state"], hamm["founded_on"], hamm["listed_in_finder"]) == (
        "DE-NW", "2006-09-15", False), "German date format, 'nein'"
    assert [(p["name"], p["sector"]) for p in hamm["partners"]] == [
        ("Stadt Hamm", "municipality"), ("Bäckerei Beck", "other")]

    vg = client.get(f"{API}/{report['rows'][2]['id']}", headers=admin).json()
    assert (vg["ags"], vg["state"], vg["status"], vg["level"]) == (
        None, "DE-MV", "dormant", "district")


def test_reimporting_the_same_file_changes_nothing(client: TestClient, admin: dict[str, str],
                                                   session: Session) -> None:
    content = csv_bytes(*ROWS)
    first = upload(client, admin, content)
    assert first.status_code == 200, first.text
    before = snapshot(session)
    second = upload(client, admin, content)
    assert second.status_code == 200, second.text
    report = second.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 3)
    assert {row["action"] for row in report["rows"]} == {"unchanged"}
    assert [row["id"] for row in report["rows"]] == [row["id"] for row in first.json()["rows"]]
    assert snapshot(session) == before, "no new version, no new rows"


def test_reimporting_an_xlsx_file_changes_nothing(client: TestClient, admin: dict[str, str],
                                                  session: Session) -> None:
    content = xlsx([
        ["name", "ags", "level", "founded_on", "website", "listed_in_finder", "partners"],
        ["Bündnis Fürth", "09563000", "city", date(2005, 3, 1), "https://fuerth.example", True,
         "Stadt Fürth:municipality"],
    ])
    assert upload(client, admin, content, "a.xlsx", content_type=XLSX_TYPE).json()["created"] == 1
    before = snapshot(session)
    report = upload(client, admin, content, "a.xlsx", content_type=XLSX_TYPE).json()
    assert report["unchanged"] == 1 and report["updated"] == 0
    assert snapshot(session) == before


def test_import_updates_existing_alliances_matched_by_slug_or_ags(
    client: TestClient, admin: dict[str, str], session: Session, make: Any
) -> None:
    by_ags = make(name="Alter Name Fürth", ags="09563000", state="DE-BY", slug="alt-fuerth")
    by_slug_ = make(name="Alter Name Hamm", slug="hamm", state="DE-NW")
    content = csv_bytes(
        "Neuer Name Fürth,,09563000,Fürth,,,,city,,,,,,,",
        "Neuer Name Hamm,hamm,,Hamm,,DE-NW,,city,,,,,,,",
        header=HEADER,
    )
    r = upload(client, admin, content)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["created"], report["updated"]) == (0, 2)
    assert [(row["id"], row["action"]) for row in report["rows"]] == [
        (by_ags.id, "update"), (by_slug_.id, "update")]
    assert by_slug(session, "alt-fuerth").name == "Neuer Name Fürth"
    assert by_slug(session, "alt-fuerth").version == 2
    assert by_slug(session, "hamm").name == "Neuer Name Hamm"
    assert count(session) == 2


def test_empty_cells_keep_stored_values(client: TestClient, admin: dict[str, str],
                                        session: Session, make: Any) -> None:
    make(name="Bündnis Fürth", slug="fuerth", ags="09563000", state="DE-BY",
         description="bleibt", website="https://bleibt.example", listed_in_finder=True)
    r = upload(client, admin, csv_bytes("Bündnis Fürth,fuerth,,,,,,city,,,,,,,"))
    assert r.json()["rows"][0]["action"] == "unchanged", r.text
    kept = by_slug(session, "fuerth")
    assert (kept.description, kept.website, kept.listed_in_finder, len(kept.partners)) == (
        "bleibt", "https://bleibt.example", True, 2)


def test_row_without_slug_or_ags_matches_by_exact_name(client: TestClient, admin: dict[str, str],
                                                       session: Session, make: Any) -> None:
    existing = make(name="Bündnis Ohne Schlüssel", state="DE-HE", description="alt")
    content = csv_bytes("Bündnis Ohne Schlüssel,,,,,DE-HE,,city,,,,neu,,,")
    row = upload(client, admin, content).json()["rows"][0]
    assert (row["id"], row["action"]) == (existing.id, "update")
    assert count(session) == 1


def test_numbered_slug_is_no_trap_for_the_next_import(client: TestClient, admin: dict[str, str],
                                                      session: Session, make: Any) -> None:
    """A new row whose name's slug is taken gets "-2"; importing it again finds it by name."""
    make(name="Anderes Bündnis", slug="buendnis-fuerth", state="DE-BY")
    content = csv_bytes("Bündnis Fürth,,,,,DE-BY,,city,,,,,,,")
    first = upload(client, admin, content).json()["rows"][0]
    assert (first["slug"], first["action"]) == ("buendnis-fuerth-2", "create")
    second = upload(client, admin, content).json()["rows"][0]
    assert (second["id"], second["action"]) == (first["id"], "unchanged")
    assert by_slug(session, "buendnis-fuerth").name == "Anderes Bündnis"


def test_windows_1252_csv_with_semicolons(client: TestClient, admin: dict[str, str]) -> None:
    content = csv_bytes("Bündnis für Familie Fürth;;09563000;Fürth;;;;city;;01.03.2005;;"
                        "Grüße aus Franken – 100 €;;x;Stadt Fürth:municipality",
                        header=HEADER.replace(",", ";"), encoding="cp1252")
    assert b"F\xfcrth" in content, "really Windows-1252"
    r = upload(client, admin, content)
    assert r.status_code == 200, r.text
    body = client.get(f"{API}/{r.json()['rows'][0]['id']}", headers=admin).json()
    assert (body["name"], body["municipality"], body["description"]) == (
        "Bündnis für Familie Fürth", "Fürth", "Grüße aus Franken – 100 €")
    assert body["listed_in_finder"] is True


def test_utf8_with_bom_and_crlf_and_capitalised_header(client: TestClient, admin: dict[str, str]) -> None:
    content = "\ufeffName;Level;State;Municipality\r\nBündnis Köln;City;de-nw;Köln\r\n".encode()
    r = upload(client, admin, content)
    assert r.status_code == 200, r.text
    body = client.get(f"{API}/{r.json()['rows'][0]['id']}", headers=admin).json()
    assert (body["name"], body["level"], body["state"], body["municipality"]) == (
        "Bündnis Köln", "city", "DE-NW", "Köln")


def test_unknown_columns_are_reported_not_silently_dropped(client: TestClient,
                                                           admin: dict[str, str]) -> None:
    content = "name,level,state,webiste,id\nBündnis A,city,DE-BY,https://a.example,7\n".encode()
    report = upload(client, admin, content).json()
    assert report["ignored_columns"] == ["webiste", "id"]
    assert report["created"] == 1


def test_xlsx_import_with_date_number_and_boolean_cells(client: TestClient, admin: dict[str, str],
                                                        session: Session) -> None:
    content = xlsx([
        ["Name", "AGS", "Level", "Founded_on", "Listed_in_finder", "Partners", "Website"],
        ["Bündnis Fürth", 9563000, "city", datetime(2005, 3, 1), True,
         "Stadt Fürth:municipality|Kirche:church", "https://fuerth.example"],
        [None, None, None, None, None, None, None],
        ["Bündnis Hamm", "05915000", "city", date(2006, 9, 15), False, None, None],
        ["Bündnis Berlin", 11000000.0, "district", "07.07.2007", "ja", None, None],
    ])
    r = upload(client, admin, content, "alliances.xlsx", content_type=XLSX_TYPE)
    assert r.status_code == 200, r.text
    report = r.json()
    assert [row["line"] for row in report["rows"]] == [2, 4, 5], "sheet rows, blank row skipped"
    fuerth, hamm, berlin = (client.get(f"{API}/{row['id']}", headers=admin).json()
                            for row in report["rows"])
    assert (fuerth["ags"], fuerth["state"], fuerth["founded_on"], fuerth["listed_in_finder"]) == (
        "09563000", "DE-BY", "2005-03-01", True), "the leading zero of a number cell restored"
    assert [p["sector"] for p in fuerth["partners"]] == ["municipality", "church"]
    assert (hamm["founded_on"], hamm["listed_in_finder"], hamm["state"]) == (
        "2006-09-15", False, "DE-NW")
    assert (berlin["ags"], berlin["state"], berlin["founded_on"]) == (
        "11000000", "DE-BE", "2007-07-07")
    assert count(session) == 3


def test_xlsx_recognised_by_content_whatever_the_name(client: TestClient,
                                                      admin: dict[str, str]) -> None:
    content = xlsx([["name", "level", "state"], ["Bündnis X", "city", "DE-BY"]])
    r = upload(client, admin, content, "export", content_type="application/octet-stream")
    assert (r.status_code, r.json()["created"]) == (200, 1)


# --- dry run ---------------------------------------------------------------------------------


def test_dry_run_validates_and_writes_nothing(client: TestClient, admin: dict[str, str],
                                              session: Session, make: Any) -> None:
    make(name="Fürth alt", slug="fuerth", ags="09563000", state="DE-BY")
    before = snapshot(session)
    r = upload(client, admin, csv_bytes(*ROWS), dry_run=True)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["dry_run"] is True
    assert (report["created"], report["updated"], report["unchanged"]) == (2, 1, 0)
    assert [(row["action"], row["id"] is None) for row in report["rows"]] == [
        ("update", False), ("create", True), ("create", True)]
    assert snapshot(session) == before


def test_dry_run_reports_the_same_errors(client: TestClient, admin: dict[str, str],
                                         session: Session) -> None:
    content = csv_bytes(ROWS[0], "Kaputt,,1234,,,,,city,,,,,,,")
    dry = assert_problem(upload(client, admin, content, dry_run=True), 422)
    real = assert_problem(upload(client, admin, content), 422)
    assert error_locs(dry) == error_locs(real) == [["file", 3, "ags"]]
    assert count(session) == 0


def test_dry_run_then_real_import(client: TestClient, admin: dict[str, str],
                                  session: Session) -> None:
    content = csv_bytes(*ROWS)
    dry = upload(client, admin, content, dry_run=True).json()
    real = upload(client, admin, content, dry_run=False).json()
    assert [(r["line"], r["slug"], r["action"]) for r in dry["rows"]] == [
        (r["line"], r["slug"], r["action"]) for r in real["rows"]]
    assert count(session) == 3


# --- all or nothing and errors ---------------------------------------------------------------


def test_one_bad_row_leaves_the_database_unchanged(client: TestClient, admin: dict[str, str],
                                                   session: Session, make: Any) -> None:
    make(name="Fürth alt", slug="fuerth", state="DE-BY", ags="09563000")
    before = snapshot(session)
    content = csv_bytes(ROWS[0], ROWS[1], "Kaputt,,0956300,,,,,city,,,,,,,", ROWS[2])
    r = upload(client, admin, content)
    body = assert_problem(r, 422, "rule_violation")
    assert error_locs(body) == [["file", 4, "ags"]]
    assert "nothing was imported" in body["detail"]
    assert snapshot(session) == before


def test_every_error_is_reported_with_line_and_field(client: TestClient, admin: dict[str, str],
                                                     session: Session) -> None:
    content = csv_bytes(
        "X,,,,,,,city,,,,,,,",                                  # 2: name too short
        "Bündnis Neu,,,,,,,city,,,,,,,",                          # 3: new, but no state or AGS
        "Bündnis Fürth,,09563000,,,DE-NW,,city,,,,,,,",          # 4: state contradicts the AGS
        "Bündnis Drei,,,,,DE-BY,,village,,2099-01-01,,,,,",      # 5: level, future date
        "Bündnis Vier,,,,,DE-BY,,city,,,no-url,,asleep,vielleicht,",  # 6: website, status, flag
        "Bündnis Fünf,,,,,DE-BY,,city,,,,,,,Firma:mafia",        # 7: partner sector
        "Bündnis Sechs,BAD SLUG,,,,DE-BY,,city,,31.02.2005,,,,,",  # 8: slug, impossible date
    )
    body = assert_problem(upload(client, admin, content), 422)
    assert {tuple(loc) for loc in error_locs(body)} == {
        ("file", 2, "name"),
        ("file", 3, "state"),
        ("file", 4, "state"),
        ("file", 5, "level"), ("file", 5, "founded_on"),
        ("file", 6, "website"), ("file", 6, "status"), ("file", 6, "listed_in_finder"),
        ("file", 7, "partners", 0, "sector"),
        ("file", 8, "slug"), ("file", 8, "founded_on"),
    }
    lines = [loc[1] for loc in error_locs(body)]
    assert lines == sorted(lines), "errors come in file order"
    assert all({"loc", "msg", "type"} == e.keys() for e in body["errors"])
    assert count(session) == 0


def test_error_lines_count_blank_and_multi_line_rows(client: TestClient,
                                                     admin: dict[str, str]) -> None:
    content = (
        "name,level,state,description\n"
        "Bündnis Eins,city,DE-BY,\"eine\nmehrzeilige\nBeschreibung\"\n"   # lines 2-4
        "\n"                                                                # line 5: blank
        "Bündnis Zwei,city,DE-XX,\n"                                        # line 6
    ).encode()
    body = assert_problem(upload(client, admin, content), 422)
    assert error_locs(body) == [["file", 6, "state"]]


def test_row_with_too_many_values_is_an_error_of_its_line(client: TestClient,
                                                          admin: dict[str, str]) -> None:
    content = b"name,level,state\nBuendnis Eins,city,DE-BY\nBuendnis Zwei,city,DE-BY,extra,more\n"
    body = assert_problem(upload(client, admin, content), 422)
    assert error_locs(body) == [["file", 3]]


def test_duplicate_rows_in_one_file_are_refused(client: TestClient, admin: dict[str, str],
                                                session: Session) -> None:
    content = csv_bytes(ROWS[0], ROWS[1], ROWS[0])
    body = assert_problem(upload(client, admin, content), 422)
    assert error_locs(body) == [["file", 4, "slug"]]
    assert "line 2" in body["errors"][0]["msg"]
    assert count(session) == 0


def test_two_rows_reaching_the_same_alliance_are_refused(client: TestClient,
                                                         admin: dict[str, str], make: Any,
                                                         session: Session) -> None:
    make(name="Fürth", slug="fuerth", ags="09563000", state="DE-BY")
    before = snapshot(session)
    content = csv_bytes("Fürth A,fuerth,,,,DE-BY,,city,,,,,,,", "Fürth B,,09563000,,,,,city,,,,,,,")
    body = assert_problem(upload(client, admin, content), 422)
    assert error_locs(body) == [["file", 3, "slug"]]
    assert snapshot(session) == before


def test_a_row_cannot_update_what_an_earlier_row_created(client: TestClient,
                                                          admin: dict[str, str],
                                                          session: Session) -> None:
    content = csv_bytes("Bündnis Fürth,,,,,DE-BY,,city,,,,,,,",
                        "Ganz anders,buendnis-fuerth,,,,DE-BY,,city,,,,,,,")
    body = assert_problem(upload(client, admin, content), 422)
    assert error_locs(body) == [["file", 3, "slug"]]
    assert count(session) == 0


def test_ambiguous_ags_asks_for_the_slug(client: TestClient, admin: dict[str, str],
                                         make: Any) -> None:
    make(name="Bündnis Fürth Nord", ags="09563000", state="DE-BY")
    make(name="Bündnis Fürth Süd", ags="09563000", state="DE-BY")
    body = assert_problem(upload(client, admin, csv_bytes("Fürth,,09563000,,,,,city,,,,,,,")), 422)
    assert error_locs(body) == [["file", 2, "ags"]]


def test_slug_is_matched_before_the_ags(client: TestClient, admin: dict[str, str], make: Any,
                                        session: Session) -> None:
    fuerth = make(name="Fürth", ags="09563000", state="DE-BY", slug="fuerth")
    hamm = make(name="Hamm", state="DE-NW", slug="hamm")
    r = upload(client, admin, b"name,ags,slug,level\nHamm,09563000,hamm,city\n")
    assert r.status_code == 200, r.text
    assert (r.json()["rows"][0]["id"], r.json()["rows"][0]["action"]) == (hamm.id, "update")
    moved = by_slug(session, "hamm")
    assert (moved.ags, moved.state) == ("09563000", "DE-BY"), "the new AGS re-derives the state"
    assert by_slug(session, "fuerth").version == fuerth.version


def test_state_contradicting_the_stored_ags_names_the_field(
    client: TestClient, admin: dict[str, str], make: Any, session: Session
) -> None:
    make(name="Fürth", ags="09563000", state="DE-BY", slug="fuerth")
    before = snapshot(session)
    body = assert_problem(upload(client, admin, b"name,slug,state,level\nF\xc3\xbcrth,fuerth,DE-NW,city\n"),
                          422)
    assert error_locs(body) == [["file", 2, "state"]]
    assert snapshot(session) == before


# --- files that are not what they claim ------------------------------------------------------


@pytest.mark.parametrize(("content", "filename", "status", "loc"), [
    (b"", "a.csv", 422, ["file"]),
    (b"  \n\n", "a.csv", 422, ["file"]),
    (b"name,level,state\n", "a.csv", 422, ["file"]),
    (b"name,level,state\n\n\n", "a.csv", 422, ["file"]),
    (b"name,state\nBuendnis,DE-BY\n", "a.csv", 422, ["file", "header", "level"]),
    (b"titel;ebene\nBuendnis;city\n", "a.csv", 422, ["file", "header", "name"]),
    (b"name,level,name\nA,city,B\n", "a.csv", 422, ["file", "header", "name"]),
    (b"this is not a spreadsheet", "a.xlsx", 415, None),
    (b"PK\x03\x04 broken zip", "a.csv", 415, None),
    (b"\x00\x01\x02\x03binary\x00", "a.csv", 415, None),
    (b"name,level\n\x81\x8d\x8f\x90\x9d,city\n", "a.csv", 415, None),
    (b"name,level,state\n\"unterminated,city,DE-BY\n", "a.csv", 422, None),
])
def test_bad_files_are_4xx_problems(client: TestClient, admin: dict[str, str], session: Session,
                                    content: bytes, filename: str, status: int,
                                    loc: list[Any] | None) -> None:
    body = assert_problem(upload(client, admin, content, filename), status)
    if loc is not None:
        assert loc in error_locs(body)
    assert count(session) == 0


def test_zip_that_is_no_workbook_is_415(client: TestClient, admin: dict[str, str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert_problem(upload(client, admin, buffer.getvalue(), "a.xlsx"), 415, "unsupported_file")


def test_workbook_with_damaged_sheet_is_415(client: TestClient, admin: dict[str, str]) -> None:
    source = zipfile.ZipFile(io.BytesIO(xlsx([["name", "level"], ["A", "city"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # truncated XML
            archive.writestr(item, data)
    assert_problem(upload(client, admin, buffer.getvalue(), "a.xlsx"), 415, "unsupported_file")


def test_empty_workbook_is_422(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(upload(client, admin, xlsx([]), "a.xlsx"), 422)
    assert ["file", "header", "name"] in error_locs(body)


def test_too_many_rows_is_422(client: TestClient, admin: dict[str, str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from app.alliances import importer

    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    rows = [f"Bündnis {n},,,,,DE-BY,,city,,,,,,," for n in range(4)]
    body = assert_problem(upload(client, admin, csv_bytes(*rows)), 422)
    assert error_locs(body) == [["file"]]
    workbook = xlsx([["name", "level", "state"], *[[f"B {n}", "city", "DE-BY"] for n in range(4)]])
    assert_problem(upload(client, admin, workbook, "a.xlsx"), 422)


def test_file_field_is_required(client: TestClient, admin: dict[str, str]) -> None:
    body = assert_problem(client.post(IMPORT, headers=admin), 422)
    assert ["body", "file"] in error_locs(body)


def test_dry_run_must_be_a_boolean(client: TestClient, admin: dict[str, str]) -> None:
    r = client.post(IMPORT, headers=admin, params={"dry_run": "vielleicht"},
                    files={"file": ("a.csv", csv_bytes(*ROWS), "text/csv")})
    assert error_locs(assert_problem(r, 422)) == [["query", "dry_run"]]


def test_file_over_the_size_limit_is_413(client: TestClient, admin: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings().limits, "max_body_bytes", 100)
    assert_problem(upload(client, admin, csv_bytes(*ROWS)), 413, "payload_too_large")
