"""Uploads cannot hold shared capacity: a small XLSX whose sheet unpacks to hundreds of
megabytes is refused from the zip directory before openpyxl reads it, a sheet of endless
(blank) rows stops at a row limit, and while an upload is parsed the database slot stays free
for everyone else (issue 11, finding 1)."""

import io
import threading
import time
import zipfile
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import tabular
from tests import factories
from tests.utils.problems import assert_problem, error_locs
from tests.utils.xlsx import xlsx

API = "/api/v1"
SHEET = "xl/worksheets/sheet1.xml"
ROW = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
ALLIANCE_HEADER = ["name", "ags", "level"]


def inflated_xlsx(sheet_bytes: int, *, blank_rows: int = 0) -> bytes:
    """A real workbook whose first sheet is replaced by ``sheet_bytes`` of highly repetitive
    row XML (or ``blank_rows`` empty rows): a few hundred KB that unpack to a lot."""
    base = zipfile.ZipFile(io.BytesIO(xlsx([ALLIANCE_HEADER, ["Bündnis A", "09563000", "city"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            if info.filename != SHEET:
                archive.writestr(info.filename, base.read(info.filename))
                continue
            info = zipfile.ZipInfo(SHEET)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats'
                            b'.org/spreadsheetml/2006/main"><sheetData>')
                if blank_rows:
                    sheet.write(b"".join(b'<row r="%d"/>' % n for n in range(1, blank_rows + 1)))
                chunk = ROW * 16384
                for _ in range(sheet_bytes // len(chunk)):
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()




@pytest.fixture(scope="module")
def bomb() -> bytes:
    """~64 MB of sheet XML in well under a megabyte (default limit: 32 MB unpacked)."""
    content = inflated_xlsx(64 * 1024 * 1024)
    assert len(content) < 1024 * 1024
    return content


def test_alliance_import_refuses_a_workbook_that_unpacks_hugely(
        client: TestClient, admin: dict[str, str], bomb: bytes) -> None:
    started = time.monotonic()
    reply = client.post(f"{API}/alliances/import?dry_run=true", headers=admin,
                        files={"file": ("bombe.xlsx", bomb)})
    assert time.monotonic() - started < 10
    body = assert_problem(reply, 413, "workbook_too_large")
    assert "32" not in body["title"]


def test_response_import_refuses_a_workbook_that_unpacks_hugely(
        client: TestClient, admin: dict[str, str], session: Session, bomb: bytes) -> None:
    cycle = factories.make_cycle(session)
    started = time.monotonic()
    reply = client.post(f"{API}/cycles/{cycle.id}/responses:import?dry_run=true", headers=admin,
                        files={"file": ("bombe.xlsx", bomb)})
    assert time.monotonic() - started < 10
    assert_problem(reply, 413, "workbook_too_large")


def test_a_high_compression_ratio_is_refused_below_the_size_limit(
        client: TestClient, admin: dict[str, str]) -> None:
    content = inflated_xlsx(4 * 1024 * 1024)  # 4 MB at a ratio of several hundred
    reply = client.post(f"{API}/alliances/import?dry_run=true", headers=admin,
                        files={"file": ("bombe.xlsx", content)})
    body = assert_problem(reply, 413, "workbook_too_large")
    assert "times" in body["detail"]


def test_a_sheet_of_blank_rows_stops_at_the_row_limit(
        client: TestClient, admin: dict[str, str], limits: Callable[[str, int], None]) -> None:
    limits("xlsx_max_sheet_rows", 500)
    content = inflated_xlsx(0, blank_rows=5000)
    reply = client.post(f"{API}/alliances/import?dry_run=true", headers=admin,
                        files={"file": ("leer.xlsx", content)})
    body = assert_problem(reply, 422)
    assert error_locs(body) == [["file"]]
    assert body["errors"][0]["type"] == "too_many_rows"


def test_a_damaged_zip_is_unsupported_not_a_crash(client: TestClient, admin: dict[str, str]) -> None:
    content = xlsx([ALLIANCE_HEADER])[:300]
    reply = client.post(f"{API}/alliances/import?dry_run=true", headers=admin,
                        files={"file": ("kaputt.xlsx", content)})
    assert_problem(reply, 415, "unsupported_file")


def test_public_seals_answer_while_an_upload_is_parsed(
        client: TestClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The parse is held open until /public/seals has answered: if parsing held the database
    slot (1 on SQLite), the seal registry would wait for it and the parse would give up."""
    real_read = tabular.read_table
    parsing, seals_answered = threading.Event(), threading.Event()
    waited: list[bool] = []

    def slow_read(*args: object, **kwargs: object) -> tabular.Table:
        table = real_read(*args, **kwargs)  # type: ignore[arg-type]
        parsing.set()
        waited.append(seals_answered.wait(timeout=15))
        return table

    monkeypatch.setattr(tabular, "read_table", slow_read)
    rows = [ALLIANCE_HEADER] + [[f"Bündnis {n}", "", "city"] for n in range(1500)]
    content = xlsx(rows)  # big but allowed
    replies: list[int] = []
    upload = threading.Thread(target=lambda: replies.append(client.post(
        f"{API}/alliances/import?dry_run=true", headers=admin,
        files={"file": ("gross.xlsx", content)}).status_code))
    upload.start()
    try:
        assert parsing.wait(timeout=30), "the upload was never parsed"
        started = time.monotonic()
        seals = client.get(f"{API}/public/seals")
        assert seals.status_code == 200, seals.text
        assert time.monotonic() - started < 10
        seals_answered.set()
    finally:
        seals_answered.set()
        upload.join(timeout=60)
    assert waited == [True]
    assert replies and replies[0] in (200, 422)
