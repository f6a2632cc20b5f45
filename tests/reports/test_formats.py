"""The pure parts of the exports: cell formatting, the header, and chunked streaming."""

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from openpyxl import Workbook

from app.reports import exports, formats


@pytest.mark.parametrize(("value", "text"), [
    (12, "12"),
    (-3, "-3"),
    (12.0, "12"),
    (12.5, "12.5"),
    (0.1 + 0.2, "0.30000000000000004"),
    (1e-05, "0.00001"),
    (1.5e20, "150000000000000000000"),
    (-0.25, "-0.25"),
])
def test_plain_number_has_a_dot_and_never_an_exponent(value, text):
    assert formats.plain_number(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (None, ""),
    (True, "true"),
    (False, "false"),
    (19.0, "19"),
    ("Fürth", "Fürth"),
    (["childcare", "care_work"], "childcare|care_work"),
    ([], ""),
    ([1, 2.5, True], "1|2.5|true"),
    (date(2024, 11, 22), "2024-11-22"),
    (datetime(2024, 5, 4, 12, 30, tzinfo=timezone(timedelta(hours=2))), "2024-05-04T10:30:00+00:00"),
    ({"b": 1, "a": "ä"}, '{"a": "ä", "b": 1}'),
])
def test_values_as_text(value, text):
    assert formats.as_text(value) == text


@pytest.mark.parametrize(("value", "cell"), [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ("+49 911 123456", "'+49 911 123456"),
    ("-- keine Angabe --", "'-- keine Angabe --"),
    ("@admin", "'@admin"),
    ("\tTab", "'\tTab"),
    ("\rCR", "'\rCR"),
    (["=evil", "ok"], "'=evil|ok"),
    ("Familie = Zukunft", "Familie = Zukunft"),
    (-3, "-3"),
    (-2.5, "-2.5"),
    ("", ""),
])
def test_csv_cells_starting_like_a_formula_get_an_apostrophe(value, cell):
    assert formats.csv_cell(value) == cell


def test_csv_text_quotes_separators_quotes_and_line_breaks():
    text = formats.csv_text([["a;b", 'sagt "ja"', "Zeile 1\nZeile 2", 1.5, -0.25, 3, "1.5"]], ";")
    assert text == '"a;b";"sagt ""ja""";"Zeile 1\nZeile 2";1,5;-0,25;3;1.5\r\n', \
        "with ; numbers take a decimal comma (text stays as written)"
    assert formats.csv_text([[1.5, 0.0001]], ",") == "1.5,0.0001\r\n"
    assert formats.csv_text([["a;b", "c,d"]], ",") == 'a;b,"c,d"\r\n'


def test_xlsx_values_are_typed_and_safe():
    sheet = Workbook(write_only=True).create_sheet("t")
    assert formats.xlsx_value(sheet, 3) == 3
    assert formats.xlsx_value(sheet, 2.5) == 2.5
    assert formats.xlsx_value(sheet, True) is True
    assert formats.xlsx_value(sheet, None) is None
    assert formats.xlsx_value(sheet, ["a", "b"]) == "a|b"
    assert formats.xlsx_value(sheet, "Zeile\x00\x07 eins") == "Zeile eins"
    assert len(formats.xlsx_value(sheet, "x" * 40_000)) == formats.XLSX_MAX_TEXT
    stamp = formats.xlsx_value(sheet, datetime(2024, 5, 4, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    assert stamp.value == datetime(2024, 5, 4, 12, 0)  # Berlin wall-clock time (summer)
    winter = formats.xlsx_value(sheet, datetime(2024, 1, 4, 10, 0, tzinfo=UTC))
    assert winter.value == datetime(2024, 1, 4, 11, 0)
    assert stamp.number_format == formats.XLSX_DATETIME_FORMAT
    formula = formats.xlsx_value(sheet, "=1+1")
    assert (formula.value, formula.data_type) == ("=1+1", "s")


@pytest.mark.parametrize(("base", "extra", "header"), [
    (["id", "status"], ["q1", "q2"], ["id", "status", "q1", "q2"]),
    (["id", "status"], ["status"], ["id", "status", "answer_status"]),
    (["id", "status", "answer_status"], ["status"],
     ["id", "status", "answer_status", "answer_answer_status"]),
    (["id"], [], ["id"]),
])
def test_unique_header(base, extra, header):
    assert exports.unique_header(base, extra, "answer_") == header


def test_csv_is_streamed_one_chunk_per_batch():
    batches = {None: ([[1, "a"], [2, "b"]], 2), 2: ([[3, "c"], [4, "d"]], 4), 4: ([[5, "ä"]], None)}
    calls: list[int | None] = []

    def fetch(_session: Any, after: int | None) -> tuple[list[list[Any]], int | None]:
        return batches[after]

    async def run(fn: Any, table: Any, after: int | None, separator: str) -> Any:
        calls.append(after)
        return fn(None, table, after, separator)

    async def collect() -> list[bytes]:
        table = exports.ExportTable(filename_stem="t", sheet_title="t", header=["id", "x"],
                                    fetch=fetch)
        return [chunk async for chunk in exports.csv_chunks(run, table, ";")]

    chunks = asyncio.run(collect())
    assert calls == [None, 2, 4]
    assert chunks == ["\ufeffid;x\r\n".encode(), b"1;a\r\n2;b\r\n", b"3;c\r\n4;d\r\n",
                      "5;ä\r\n".encode()]


def test_a_finished_file_is_streamed_in_chunks_and_closed(monkeypatch, tmp_path):
    monkeypatch.setattr(exports, "FILE_CHUNK", 4)
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    handle = path.open("rb")

    async def collect() -> list[bytes]:
        return [chunk async for chunk in exports.file_chunks(handle)]

    assert asyncio.run(collect()) == [b"0123", b"4567", b"89"]
    assert handle.closed


def test_utc_timestamps_keep_their_instant():
    moment = datetime(2024, 11, 22, 9, 0, tzinfo=UTC)
    assert formats.as_text(moment) == "2024-11-22T09:00:00+00:00"
