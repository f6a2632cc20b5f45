"""The one reader for CSV/XLSX uploads: table-driven unit tests of ``app.core.tabular``, and
the same files through the three imports (alliances, survey responses, past awards), which
must read them alike."""

import io
import zipfile
from datetime import date, datetime, time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import tabular
from app.core.config import get_settings
from app.core.errors import AppError
from app.cycles.models import AwardCycle, CycleStatus
from tests import factories
from tests.utils.problems import assert_problem
from tests.utils.xlsx import xlsx

PLAIN = "name,level\nBündnis Fürth – 100 €,city\n"




def rewrite_zip(content: bytes, member: str, change: Any) -> bytes:
    """The workbook with one member's bytes passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            archive.writestr(item, change(data) if item.filename == member else data)
    return buffer.getvalue()


def read(content: bytes, filename: str = "upload.csv", max_rows: int = 100,
         **options: Any) -> tabular.Table:
    return tabular.read_table(content, filename, max_rows=max_rows, **options)


def rows_of(table: tabular.Table) -> list[tuple[int, dict[str, str]]]:
    return [(row.line, row.values) for row in table.rows]


def refused(content: bytes, filename: str = "upload.csv", max_rows: int = 100) -> AppError:
    with pytest.raises(AppError) as caught:
        read(content, filename, max_rows)
    return caught.value


# --- CSV text --------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [
    pytest.param(PLAIN.encode(), id="utf-8"),
    pytest.param(PLAIN.encode("utf-8-sig"), id="utf-8 with BOM"),
    pytest.param(PLAIN.encode("cp1252"), id="windows-1252"),
    pytest.param(PLAIN.encode("utf-16"), id="utf-16 with BOM"),
    pytest.param(PLAIN.encode("utf-16-be").join([b"\xfe\xff", b""]), id="utf-16 big endian"),
    pytest.param(PLAIN.replace("\n", "\r\n").encode(), id="CRLF"),
    pytest.param(PLAIN.replace("\n", "\r").encode(), id="CR only"),
    pytest.param(PLAIN.replace(",", ";").encode("cp1252"), id="semicolon"),
    pytest.param(PLAIN.replace(",", "\t").encode("utf-16"), id="tab (Excel Unicode text)"),
    pytest.param(("\n \n" + PLAIN.replace("\n", "\n\n")).encode(), id="blank lines"),
    pytest.param(PLAIN.rstrip("\n").encode(), id="no final newline"),
])
def test_every_encoding_and_layout_reads_the_same_text(content: bytes) -> None:
    table = read(content)
    assert table.header == ["name", "level"]
    assert [row.values for row in table.rows] == [{"name": "Bündnis Fürth – 100 €",
                                                   "level": "city"}]
    assert all(row.errors == [] for row in table.rows)


@pytest.mark.parametrize(("header", "delimiter"), [
    ("name,level,state", ","),
    ("name;level;state", ";"),
    ("name\tlevel\tstate", "\t"),
    ("name;level,state;region", ";"),        # the one the header has most of
    ("name;level,state", ","),                # a tie: comma
    ("name", ","),                            # a single column
    ('"name, long";level;state', ";"),
])
def test_delimiter_is_the_one_the_header_has_most_of(header: str, delimiter: str) -> None:
    names = [part.strip('"') for part in header.split(delimiter)]
    row = delimiter.join(f"v{i}" for i in range(len(names)))
    table = read(f"{header}\n{row}\n".encode())
    assert table.header == [name.lower() for name in names]
    assert table.rows[0].values == {name.lower(): f"v{i}" for i, name in enumerate(names)}


@pytest.mark.parametrize(("text", "expected"), [
    ("name,level\n\nA,city\n\n\nB,town\n",
     [(3, {"name": "A", "level": "city"}), (6, {"name": "B", "level": "town"})]),
    ("\n\n  \nname,level\nA,city\n", [(5, {"name": "A", "level": "city"})]),
    ('name,level\n"eine\nmehrzeilige\nZeile",city\nB,town\n',
     [(2, {"name": "eine\nmehrzeilige\nZeile", "level": "city"}),
      (5, {"name": "B", "level": "town"})]),
    ('name,level\r\n"zwei\r\nZeilen",city\r\n\r\nB,town\r\n',
     [(2, {"name": "zwei\r\nZeilen", "level": "city"}), (5, {"name": "B", "level": "town"})]),
    ("name,level\n , \n;,;\nA,city\n",  # line 2 is blank: spaces only
     [(3, {"name": ";", "level": ";"}), (4, {"name": "A", "level": "city"})]),
    ('name,level\n"Kita ""Sonne"", Fürth",city\n', [(2, {"name": 'Kita "Sonne", Fürth',
                                                         "level": "city"})]),
    ("name,level\nA\n", [(2, {"name": "A", "level": ""})]),  # a short row: empty cells
    ("name,level,\nA,city,\n", [(2, {"name": "A", "level": "city"})]),  # unnamed column
])
def test_rows_keep_the_line_they_start_on(text: str, expected: list[tuple[int, dict[str, str]]]) -> None:
    assert rows_of(read(text.encode())) == expected


def test_header_names_are_trimmed_and_lower_cased() -> None:
    table = read("\ufeff Name ;LEVEL;\u00a0State\u00a0;\nA;city;DE-BY;\n".encode())
    assert table.header == ["name", "level", "state", ""]
    assert table.columns == ["name", "level", "state"]


@pytest.mark.parametrize(("line", "errors"), [
    ("A,city", []),
    ("A,city,,  ,", []),  # empty cells beyond the header lose nothing
    ("A,city,extra", [{"loc": ["file", 2], "msg": "3 values but 2 columns in the header",
                       "type": "too_many_values"}]),
    ("A,city,,extra,", [{"loc": ["file", 2], "msg": "4 values but 2 columns in the header",
                         "type": "too_many_values"}]),
])
def test_values_beyond_the_header_are_an_error_of_their_line(line: str,
                                                              errors: list[dict[str, Any]]) -> None:
    row = read(f"name,level\n{line}\n".encode()).rows[0]
    assert row.values == {"name": "A", "level": "city"}
    assert row.errors == errors


# --- XLSX ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (None, ""),
    ("", ""),
    (" Fürth ", " Fürth "),  # text is kept as it is: the imports trim
    (True, "true"),
    (False, "false"),
    (0, "0"),
    (9563000, "9563000"),
    (9563000.0, "9563000"),
    (-3.0, "-3"),
    (2.5, "2.5"),
    (1e20, "100000000000000000000"),
    (date(2005, 3, 1), "2005-03-01"),
    (datetime(2005, 3, 1), "2005-03-01"),
    (datetime(2005, 3, 1, 14, 30), "2005-03-01"),
    (time(9, 30), "09:30:00"),
])
def test_cell_text(value: object, text: str) -> None:
    assert tabular.cell_text(value) == text


def test_xlsx_cells_become_text_and_rows_keep_their_sheet_row() -> None:
    content = xlsx([
        [None, None],                                    # 1: blank, before the header
        ["Name", "Founded_On", "Listed", "Count", 2024.0, None, None],  # 2: header
        ["Bündnis Fürth", datetime(2005, 3, 1), True, 12.0, 0.5, None],  # 3
        [None, None, None, None, None, None],            # 4: blank
        ["Bündnis Hamm", date(2006, 9, 15), False, 7, None, None],   # 5
        ["", "  ", None],                                # 6: blank (spaces)
        [None, None, None, None, None, None, "Notiz"],   # 7: a value without a column
    ])
    table = read(content, "alliances.xlsx")
    assert table.header == ["name", "founded_on", "listed", "count", "2024"]
    assert rows_of(table) == [
        (3, {"name": "Bündnis Fürth", "founded_on": "2005-03-01", "listed": "true",
             "count": "12", "2024": "0.5"}),
        (5, {"name": "Bündnis Hamm", "founded_on": "2006-09-15", "listed": "false",
             "count": "7", "2024": ""}),
        (7, {"name": "", "founded_on": "", "listed": "", "count": "", "2024": ""}),
    ]
    assert [row.errors for row in table.rows][:2] == [[], []]
    assert table.rows[2].errors == [{"loc": ["file", 7], "msg": "7 values but 5 columns in the header",
                                     "type": "too_many_values"}]


def test_an_import_converts_its_own_xlsx_columns() -> None:
    calls: list[tuple[str, object]] = []

    def ags_cell(column: str, value: object) -> str:
        calls.append((column, value))
        if column == "ags" and isinstance(value, int):
            return f"{value:08d}"
        return tabular.cell_text(value)

    table = read(xlsx([["Name", "AGS"], ["Fürth", 9563000], ["Berlin", 11000000]]), "a.xlsx",
                 xlsx_cell=ags_cell)
    assert [row.values["ags"] for row in table.rows] == ["09563000", "11000000"]
    assert ("ags", 9563000) in calls and ("name", "Fürth") in calls
    assert ("", "AGS") in calls, "header cells have no column yet"
    csv_table = read(b"name,ags\nF\xc3\xbcrth,9563000\n", xlsx_cell=ags_cell)
    assert csv_table.rows[0].values["ags"] == "9563000", "CSV text is never converted"


def test_xlsx_is_recognised_by_its_content_whatever_the_name() -> None:
    table = read(xlsx([["name"], ["A"]]), "export")
    assert rows_of(table) == [(2, {"name": "A"})]


def test_xlsx_with_a_wrong_dimension_is_read_to_its_last_row() -> None:
    """Some generators write <dimension ref="A1"/>: read-only openpyxl would stop there."""
    content = xlsx([["name", "level"], ["A", "city"], ["B", "town"], ["C", "village"]])
    damaged = rewrite_zip(content, "xl/worksheets/sheet1.xml",
                          lambda xml: xml.replace(b'<dimension ref="A1:B4"', b'<dimension ref="A1"'))
    assert damaged != content
    assert [row.values["name"] for row in read(damaged, "a.xlsx").rows] == ["A", "B", "C"]


def test_an_empty_workbook_has_no_header_and_no_rows() -> None:
    table = read(xlsx([]), "a.xlsx")
    assert (table.header, table.rows) == ([], [])


# --- files that are not tables ---------------------------------------------------------------


def _damaged_sheet() -> bytes:
    return rewrite_zip(xlsx([["name"], ["A"]]), "xl/worksheets/sheet1.xml",
                       lambda xml: xml[: len(xml) // 2])


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "kein Arbeitsblatt")
    return buffer.getvalue()


def _ods() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "filename", "error_type", "detail"), [
    (b"\x00\x01\x02\x03binary\x00", "a.csv", "encoding", "UTF-8"),
    (b"name,level\n\x81\x8d\x8f\x90\x9d,city\n", "a.csv", "encoding", "Windows-1252"),
    (b"\xff\xfe\x00\x81\x8d", "a.csv", "encoding", "UTF-16"),
    (b"name\x00,level\nA,city\n", "a.csv", "encoding", "CSV text"),
    (b"this is not a spreadsheet", "a.xlsx", "xlsx_invalid", "XLSX"),
    (b"PK\x03\x04 broken zip", "a.csv", "xlsx_invalid", "XLSX"),
    (_zip_without_workbook(), "a.xlsx", "xlsx_invalid", "XLSX"),
    (_damaged_sheet(), "a.xlsx", "xlsx_invalid", "XLSX"),
    (_ods(), "a.ods", "xlsx_invalid", "OpenDocument"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "a.xls", "xls_unsupported", ".xls"),
])
def test_files_that_are_neither_csv_nor_xlsx_are_415(content: bytes, filename: str,
                                                     error_type: str, detail: str) -> None:
    error = refused(content, filename)
    assert isinstance(error, tabular.UnsupportedFile)
    assert (error.status, error.code) == (415, "unsupported_file")
    assert error.errors is not None and [(e["loc"], e["type"]) for e in error.errors] == [
        (["file"], error_type)]
    assert error.detail is not None and detail in error.detail


@pytest.mark.parametrize("content", [b"", b" ", b"\n\r\n\t \n"])
def test_an_empty_file_is_422(content: bytes) -> None:
    error = refused(content)
    assert isinstance(error, tabular.EmptyFile)
    assert (error.status, error.code, error.errors) == (
        422, "rule_violation", [{"loc": ["file"], "msg": "empty file", "type": "empty"}])


def test_a_file_of_blank_cells_has_no_header() -> None:
    table = read(b",,\n , \n\t,\n")
    assert (table.header, table.rows) == ([], [])


def test_a_field_csv_cannot_hold_is_422_with_its_line() -> None:
    error = refused(b"name\nA\n\"" + b"x" * 200_000 + b"\"\n")
    assert isinstance(error, tabular.InvalidCsv)
    assert error.status == 422
    assert error.errors is not None and [(e["loc"], e["type"]) for e in error.errors] == [
        (["file", 3], "csv_invalid")]


@pytest.mark.parametrize("make", [
    pytest.param(lambda rows: ("name\n" + "".join(f"B{n}\n\n" for n in range(rows))).encode(),
                 id="csv"),
    pytest.param(lambda rows: xlsx([["name"], *[cells for n in range(rows)
                                                for cells in ([f"B{n}"], [None])]]), id="xlsx"),
])
def test_at_most_max_rows_and_blank_rows_do_not_count(make: Any) -> None:
    assert len(read(make(3), "t", max_rows=3).rows) == 3
    error = refused(make(4), "t", max_rows=3)
    assert isinstance(error, tabular.TooManyRows)
    assert (error.status, error.errors) == (422, [
        {"loc": ["file"], "msg": "more than 3 rows", "type": "too_many_rows"}])


def test_a_file_above_the_body_limit_is_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings().limits, "max_body_bytes", 20)
    assert read(b"name\nA\n").rows[0].values == {"name": "A"}
    error = refused(b"name\n" + b"Bundnis\n" * 5)
    assert (error.status, error.code) == (413, "payload_too_large")


# --- header checks the imports share ---------------------------------------------------------


@pytest.mark.parametrize(("header", "options", "errors"), [
    ("name,level", {"required": ("name", "level")}, []),
    ("Name,LEVEL,extra", {"required": ("name",)}, []),
    ("name,state", {"required": ("name", "level")},
     [(["file", "header", "level"], "missing_column")]),
    ("", {"required": ("name", "level")},
     [(["file", "header", "name"], "missing_column"), (["file", "header", "level"], "missing_column")]),
    ("name,level,name,name", {}, [(["file", "header", "name"], "duplicate_column")]),
    ("b,a,b,a", {}, [(["file", "header", "b"], "duplicate_column"),
                     (["file", "header", "a"], "duplicate_column")]),
    ("alliance,hobbies,wants_seal,hobbies", {"known": {"alliance", "wants_seal"}},
     [(["file", "header", "hobbies"], "unknown_column")]),
    ("hobbies,wants_seal,wants_seal", {"known": {"alliance", "wants_seal"}, "required": ["alliance"]},
     [(["file", "header", "hobbies"], "unknown_column"),
      (["file", "header", "wants_seal"], "duplicate_column"),
      (["file", "header", "alliance"], "missing_column")]),
    ("name,,level,", {"required": ("name", "level"), "known": {"name", "level"}}, []),
])
def test_header_errors(header: str, options: dict[str, Any],
                       errors: list[tuple[list[Any], str]]) -> None:
    table = tabular.Table(header=[name.strip().lower() for name in header.split(",")] if header
                          else [], rows=[])
    assert [(e["loc"], e["type"]) for e in tabular.header_errors(table, **options)] == errors


def test_unknown_column_message_is_the_imports_own() -> None:
    table = tabular.Table(header=["x"], rows=[])
    assert tabular.header_errors(table, known=set(), unknown_msg="not a question")[0]["msg"] == \
        "not a question"


def test_require_header_and_rows() -> None:
    tabular.require_header_and_rows(read(b"name\nA\n"), [])
    with pytest.raises(tabular.NoRows) as no_rows:
        tabular.require_header_and_rows(read(b"name\n\n\n"), [])
    assert no_rows.value.errors == [{"loc": ["file"], "msg": "no rows", "type": "no_rows"}]
    problem = {"loc": ["file", "header", "level"], "msg": "missing column", "type": "missing_column"}
    with pytest.raises(AppError) as header:
        tabular.require_header_and_rows(read(b"name\n\n"), [problem], code="import_rejected",
                                        detail="Kopfzeile passt nicht.")
    assert (header.value.status, header.value.code, header.value.detail, header.value.errors) == (
        422, "import_rejected", "Kopfzeile passt nicht.", [problem]), "header problems first"


# --- the three imports read files alike ------------------------------------------------------


@pytest.fixture
def imports(session: Session) -> dict[str, tuple[str, str]]:
    """Per import: its URL and a valid tab-separated row (the header and one line)."""
    open_cycle = factories.make_cycle(session)
    factories.make_questions(session, open_cycle)
    past: AwardCycle = factories.make_cycle(session, status=CycleStatus.archived)
    seal = factories.make_alliance(session, state="DE-NI")
    answering = factories.make_alliance(session, state="DE-HE")
    return {
        "alliances": ("/api/v1/alliances/import", "name\tlevel\tstate\nBündnis Ölsnitz\tcity\tDE-SN"),
        "responses": (f"/api/v1/cycles/{open_cycle.slug}/responses:import",
                      f"alliance\twants_seal\tremarks\n{answering.id}\tja\tGrüße"),
        "awards": (f"/api/v1/cycles/{past.slug}/awards:import",
                   f"slug\tawarded_on\n{seal.slug}\t24.11.2023"),
    }


IMPORTS = ["alliances", "responses", "awards"]


def post(client: TestClient, admin: dict[str, str], url: str, content: bytes,
         filename: str = "upload.csv") -> Any:
    return client.post(url, headers=admin, files={"file": (filename, content, "text/csv")})


@pytest.mark.parametrize("name", IMPORTS)
def test_every_import_reads_excel_unicode_text(client: TestClient, admin: dict[str, str],
                                               imports: dict[str, tuple[str, str]],
                                               name: str) -> None:
    url, text = imports[name]
    r = post(client, admin, url, (text + "\r\n").encode("utf-16"), "export.txt")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1


@pytest.mark.parametrize("name", IMPORTS)
@pytest.mark.parametrize(("content", "filename", "status", "loc", "error_type"), [
    (b"", "a.csv", 422, ["file"], "empty"),
    (b" \r\n", "a.csv", 422, ["file"], "empty"),
    (b"\x00\x01binary\x00", "a.csv", 415, ["file"], "encoding"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "alt.xls", 415, ["file"], "xls_unsupported"),
    (b"PK\x03\x04 kaputt", "a.xlsx", 415, ["file"], "xlsx_invalid"),
])
def test_every_import_refuses_bad_files_alike(client: TestClient, admin: dict[str, str],
                                              imports: dict[str, tuple[str, str]], name: str,
                                              content: bytes, filename: str, status: int,
                                              loc: list[Any], error_type: str) -> None:
    body = assert_problem(post(client, admin, imports[name][0], content, filename), status)
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(loc, error_type)]


@pytest.mark.parametrize("name", IMPORTS)
def test_every_import_names_the_line_of_extra_values(client: TestClient, admin: dict[str, str],
                                                     imports: dict[str, tuple[str, str]],
                                                     name: str) -> None:
    """The blank line counts: the extra value stands on line 4 of the file."""
    url, text = imports[name]
    header, row = text.split("\n")
    lines = f"{header}\n\n{row}\n{row}\tzu viel\n".replace("\t", ";")
    body = assert_problem(post(client, admin, url, lines.encode()), 422)
    assert ["file", 4] in [e["loc"] for e in body["errors"]]
    assert "too_many_values" in [e["type"] for e in body["errors"]]


@pytest.mark.parametrize("name", IMPORTS)
def test_every_import_wants_rows_below_the_header(client: TestClient, admin: dict[str, str],
                                                  imports: dict[str, tuple[str, str]],
                                                  name: str) -> None:
    url, text = imports[name]
    body = assert_problem(post(client, admin, url, (text.split("\n")[0] + "\n\n\n").encode()), 422)
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(["file"], "no_rows")]


def test_award_import_errors_name_the_real_line(client: TestClient, admin: dict[str, str],
                                                session: Session) -> None:
    """Counting rows instead of lines used to name line 3 for what stands on line 6."""
    past = factories.make_cycle(session, status=CycleStatus.archived)
    seal = factories.make_alliance(session, state="DE-BY")
    content = (f'slug,awarded_on,note\n\n{seal.slug},2023-11-24,"zwei\nZeilen"\n'
               "gibt-es-nicht,2023-11-24,\n").encode()
    body = assert_problem(post(client, admin, f"/api/v1/cycles/{past.slug}/awards:import",
                               content), 422)
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(["file", 5, "slug"], "not_found")]


@pytest.mark.parametrize("name", IMPORTS)
def test_every_import_finds_an_ags_typed_as_a_number(client: TestClient, admin: dict[str, str],
                                                     session: Session, name: str) -> None:
    """A number cell drops the AGS's leading zero (Länder 01-09): 9563000 is 09563000."""
    fuerth = factories.make_alliance(session, ags="09563000", state="DE-BY")
    open_cycle = factories.make_cycle(session)
    factories.make_questions(session, open_cycle)
    past = factories.make_cycle(session, status=CycleStatus.archived)
    url, rows = {
        "alliances": ("/api/v1/alliances/import", [["name", "ags", "level"],
                                                   [fuerth.name, 9563000, "city"]]),
        "responses": (f"/api/v1/cycles/{open_cycle.slug}/responses:import",
                      [["alliance", "wants_seal"], [9563000, True]]),
        "awards": (f"/api/v1/cycles/{past.slug}/awards:import",
                   [["ags", "awarded_on"], [9563000.0, datetime(2023, 11, 24)]]),
    }[name]
    r = post(client, admin, url, xlsx(rows), "liste.xlsx")
    assert r.status_code == 200, r.text
    report = r.json()
    found = [row.get("id") or row.get("alliance_id") for row in report.get("rows") or report["items"]]
    assert found == [fuerth.id]
