"""The one reader for uploaded tables: CSV or XLSX into a header and numbered rows.

Every import (alliances, survey responses, past awards) reads its file here, so a file that one
import accepts, the others accept too, and errors look the same everywhere:

- CSV text in UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or else
  Windows-1252; the delimiter (comma, semicolon or tab) is the one the header line has most of.
- XLSX: the first worksheet; cells become text by ``cell_text`` (dates ISO, 5.0 as "5").
- Line numbers are what a spreadsheet program shows: the sheet row, or the CSV line on which a
  row starts (a quoted cell may span lines). Blank rows are skipped but keep their number; blank
  lines before the header are skipped too.
- Header names are trimmed and lower-cased. A row's values hold every named column ("" where
  the row is short); columns without a name are left out.
- A row with values beyond the header's columns keeps an error of its line (``["file", line]``)
  in ``SourceRow.errors``: the import reports it with the rest.

Errors: 415 ``unsupported_file`` for bytes that are neither (binary, unknown encoding, damaged
or old-format workbooks); 413 above the body limit and for a workbook that unpacks to more than
``BUENDNIS_LIMIT_XLSX_MAX_UNCOMPRESSED_BYTES`` or more than
``BUENDNIS_LIMIT_XLSX_MAX_COMPRESSION_RATIO`` times its packed size (checked from the zip
directory before openpyxl reads a byte; zipfile never unpacks more than an entry declares);
422 ``too_many_rows`` as soon as a sheet has more rows (blank ones included) than
``BUENDNIS_LIMIT_XLSX_MAX_SHEET_ROWS``; 422 with loc ``["file"]`` for an empty file,
too many rows or no rows, and ``["file", line]`` for CSV that cannot be parsed. Which columns an
import needs and what a cell means stays with the import: ``header_errors`` and
``require_header_and_rows`` help it say so in the same words.
"""

import codecs
import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from typing import Any

import anyio

from app.core.config import get_settings
from app.core.errors import AppError, PayloadTooLarge, RuleViolation, field_error

CellText = Callable[[str, object], str]
"""An import's own XLSX cell conversion: ``(column name, cell value) -> text``."""

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Excel (.xls)
_DELIMITERS = (",", ";", "\t")


class UnsupportedFile(AppError):
    status, code, title = 415, "unsupported_file", "The file is neither CSV nor XLSX"


class EmptyFile(RuleViolation):
    def __init__(self) -> None:
        super().__init__("The file is empty.",
                         errors=[field_error(["file"], "empty file", "empty")])


class TooManyRows(RuleViolation):
    def __init__(self, max_rows: int) -> None:
        super().__init__(f"At most {max_rows} rows per file.", errors=[
            field_error(["file"], f"more than {max_rows} rows", "too_many_rows")])


class WorkbookTooLarge(PayloadTooLarge):
    code = "workbook_too_large"


class NoRows(RuleViolation):
    def __init__(self) -> None:
        super().__init__("The file has a header but no rows.",
                         errors=[field_error(["file"], "no rows", "no_rows")])


class InvalidCsv(RuleViolation):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"Line {line} is not valid CSV: {reason}",
                         errors=[field_error(["file", line], reason, "csv_invalid")])


# How spreadsheets say yes and no: German first, English and digits as Excel exports them.
CELL_TRUE = frozenset({"ja", "j", "true", "wahr", "yes", "y", "1", "x"})
CELL_FALSE = frozenset({"nein", "n", "false", "falsch", "no", "0"})


def cell_boolean(raw: str) -> bool | None:
    """A yes/no cell: True or False, None for an empty cell; ValueError for anything else."""
    lowered = raw.strip().lower()
    if lowered == "":
        return None
    if lowered in CELL_TRUE:
        return True
    if lowered in CELL_FALSE:
        return False
    raise ValueError("must be ja/nein (or true/false)")


@dataclass
class SourceRow:
    line: int
    values: dict[str, str]
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Table:
    header: list[str]
    rows: list[SourceRow]

    @property
    def columns(self) -> list[str]:
        """The header's names, without unnamed columns."""
        return [name for name in self.header if name]


# --- cells -----------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """An XLSX cell as the text a CSV export would hold: dates ISO (a date-time cell as its
    date), whole numbers without ".0", booleans true/false, an empty cell as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _any_column(column: str, value: object) -> str:
    return cell_text(value)


def _row(line: int, header: Sequence[str], cells: Sequence[str]) -> SourceRow:
    row = SourceRow(line, {name: cells[i] if i < len(cells) else ""
                           for i, name in enumerate(header) if name})
    beyond = [i for i, cell in enumerate(cells[len(header):], start=len(header) + 1)
              if cell.strip()]
    if beyond:
        row.errors.append(field_error(
            ["file", line], f"{beyond[-1]} values but {len(header)} columns in the header",
            "too_many_values"))
    return row


def _collect(numbered: Iterable[tuple[int, Sequence[object]]], max_rows: int,
             convert: CellText) -> Table:
    """Header (the first non-blank row) and rows as text, skipping blank ones; stops as soon
    as there are more than ``max_rows``, so a huge file is not read to its end."""
    header: list[str] | None = None
    rows: list[SourceRow] = []
    for line, values in numbered:
        names = header or []
        cells = [convert(names[i] if i < len(names) else "", value)
                 for i, value in enumerate(values)]
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            continue
        rows.append(_row(line, header, cells))
        if len(rows) > max_rows:
            raise TooManyRows(max_rows)
    return Table(header or [], rows)


# --- CSV -------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # binary data that happens to decode
        return text
    raise UnsupportedFile(
        "The file is not CSV text in UTF-8, UTF-16 or Windows-1252 (nor XLSX).",
        errors=[field_error(["file"], "neither CSV text nor an XLSX workbook", "encoding")])


def _delimiter(text: str) -> str:
    header = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])  # first wins a tie: comma
    return best if counts[best] else ","


def _csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    end = 0
    try:
        for cells in reader:
            # A quoted cell may span lines: a row starts on the line after the previous one.
            start, end = end + 1, reader.line_num
            yield start, cells
    except csv.Error as exc:
        raise InvalidCsv(reader.line_num, str(exc)) from exc


# --- XLSX ------------------------------------------------------------------------------------


def _unreadable_workbook(content: bytes) -> UnsupportedFile:
    if b"opendocument.spreadsheet" in content[:200]:
        detail = "OpenDocument (.ods) files cannot be read; save the sheet as XLSX or CSV."
    else:
        detail = "The XLSX file cannot be read."
    return UnsupportedFile(detail, errors=[field_error(["file"], "damaged or not an XLSX workbook",
                                                       "xlsx_invalid")])


# Parts of a workbook smaller than this together are not checked for their ratio: small XML
# compresses well without being a bomb.
_RATIO_FLOOR_BYTES = 1024 * 1024
_MAX_ZIP_ENTRIES = 1000


def check_workbook_size(content: bytes) -> None:
    """413 ``workbook_too_large`` when the zip's parts unpack to too much, from the sizes its
    directory declares (zipfile stops every entry at its declared size, so they cannot lie)."""
    limits = get_settings().limits
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _unreadable_workbook(content) from exc
    if len(entries) > _MAX_ZIP_ENTRIES:
        raise WorkbookTooLarge(f"The workbook has more than {_MAX_ZIP_ENTRIES} parts.")
    unpacked = sum(entry.file_size for entry in entries)
    packed = max(1, sum(entry.compress_size for entry in entries))
    if unpacked > limits.xlsx_max_uncompressed_bytes:
        raise WorkbookTooLarge(
            f"The workbook unpacks to more than {limits.xlsx_max_uncompressed_bytes} bytes; "
            "split it or save it as CSV.")
    if unpacked > _RATIO_FLOOR_BYTES and unpacked > packed * limits.xlsx_max_compression_ratio:
        raise WorkbookTooLarge(
            f"The workbook unpacks to more than {limits.xlsx_max_compression_ratio} times its "
            "size; split it or save it as CSV.")


def _counted(rows: Iterable[Sequence[object]], max_sheet_rows: int,
             ) -> Iterator[tuple[int, Sequence[object]]]:
    """Numbered sheet rows, stopping with 422 once more than ``max_sheet_rows`` were read:
    blank rows (which ``_collect`` skips) count too, so a sheet of empty rows ends early."""
    for line, values in enumerate(rows, start=1):
        if line > max_sheet_rows:
            raise TooManyRows(max_sheet_rows)
        yield line, values


def _xlsx_table(content: bytes, max_rows: int, convert: CellText) -> Table:
    from openpyxl import load_workbook  # ~100 ms of import: paid by the first XLSX, not at start

    check_workbook_size(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _unreadable_workbook(content) from exc
    try:
        sheet = workbook.worksheets[0]
        # Read what the sheet holds, not what its <dimension> claims: a wrong one would cut
        # rows off silently (or pad a million empty ones).
        sheet.reset_dimensions()
        sheet_rows = _counted(sheet.iter_rows(values_only=True),
                              get_settings().limits.xlsx_max_sheet_rows)
        return _collect(sheet_rows, max_rows, convert)
    except AppError:
        raise
    except Exception as exc:  # a sheet's XML is parsed lazily: damage shows up only here
        raise _unreadable_workbook(content) from exc
    finally:
        workbook.close()


# --- the reader ------------------------------------------------------------------------------


def read_table(content: bytes, filename: str, *, max_rows: int,
               xlsx_cell: CellText | None = None) -> Table:
    """The header and the non-blank rows of a CSV or XLSX upload (see the module docstring).

    ``xlsx_cell`` lets an import give XLSX cells of its own columns their meaning (a number
    cell's lost leading zero); it falls back to ``cell_text``. The table may have no rows:
    check its header, then call ``require_header_and_rows``.
    """
    if len(content) > get_settings().limits.max_body_bytes:
        raise PayloadTooLarge("The file is too large.")
    if not content.strip():
        raise EmptyFile()
    if content.startswith(_OLE2_MAGIC):
        raise UnsupportedFile(
            "Old Excel (.xls) files cannot be read; save the sheet as XLSX or CSV.",
            errors=[field_error(["file"], "old Excel format (.xls)", "xls_unsupported")])
    if filename.lower().endswith(".xlsx") or content.startswith(_ZIP_MAGIC):
        return _xlsx_table(content, max_rows, xlsx_cell or _any_column)
    return _collect(_csv_lines(_decode(content)), max_rows, _any_column)


_parse_limiter: anyio.CapacityLimiter | None = None


def _parser_slots() -> anyio.CapacityLimiter:
    global _parse_limiter
    if _parse_limiter is None:
        _parse_limiter = anyio.CapacityLimiter(get_settings().limits.parse_concurrency)
    return _parse_limiter


async def parse_upload(content: bytes, filename: str, *, max_rows: int,
                       xlsx_cell: CellText | None = None) -> Table:
    """``read_table`` in a worker thread of the parsers' own small limiter, never the
    database's: a router parses the upload first and hands the table to ``db.run``, so a slow
    or hostile file holds no database slot while it is read."""
    return await anyio.to_thread.run_sync(
        partial(read_table, content, filename, max_rows=max_rows, xlsx_cell=xlsx_cell),
        limiter=_parser_slots())


def header_errors(table: Table, *, required: Iterable[str] = (),
                  known: Collection[str] | None = None,
                  unknown_msg: str = "unknown column (check the spelling)",
                  ) -> list[dict[str, Any]]:
    """Field errors ``["file", "header", name]``, in header order, for columns that are not
    ``known`` (when given) or named twice, then for ``required`` columns that are missing."""
    counts = Counter(table.columns)
    errors: list[dict[str, Any]] = []
    for name in counts:  # each name once, in header order
        if known is not None and name not in known:
            errors.append(field_error(["file", "header", name], unknown_msg, "unknown_column"))
        elif counts[name] > 1:
            errors.append(field_error(["file", "header", name], "column appears twice",
                                      "duplicate_column"))
    errors.extend(field_error(["file", "header", name], "missing column", "missing_column")
                  for name in required if name not in counts)
    return errors


def require_header_and_rows(
    table: Table, problems: Sequence[dict[str, Any]], *,
    detail: str = "The header row is not usable; nothing was imported.", code: str | None = None,
) -> None:
    """422 with every header problem (``header_errors`` and the import's own), else 422
    ``no_rows`` when nothing stands below the header."""
    if problems:
        raise RuleViolation(detail, code=code, errors=problems)
    if not table.rows:
        raise NoRows()
