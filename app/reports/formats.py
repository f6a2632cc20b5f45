"""How a cell value is written into a CSV or an XLSX file. Pure functions, no database.

Values arrive typed (``None``, bool, int, float, str, datetime, date, list, dict) and leave as:

=================  ==========================================  ==================================
value              CSV                                         XLSX
=================  ==========================================  ==================================
None               empty                                       empty cell
bool               ``true`` / ``false``                        boolean cell
int, float         plain decimal: ``12``, ``12.5``, ``0.0001``  number cell
                   (never ``1e-04``; a decimal comma with ``;``)
datetime           ISO 8601 in UTC (``2024-05-04T10:00:00+00:00``)  date-time cell (Europe/Berlin,
                                                               no zone; the heading says so)
date               ``2024-05-04``                              ``2024-05-04`` (text)
list               items joined with ``|`` (multiple choice)   same text
dict               JSON                                        same text
str                as is; see the formula guard below          text cell, never a formula
=================  ==========================================  ==================================

Formula guard (OWASP "CSV injection"): answers are free text written by alliances, and a
spreadsheet treats a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR as a formula. In
CSV such a text gets a leading apostrophe; in XLSX it is stored as a typed text cell instead,
so it keeps its exact content. Numbers are never touched (``-3`` stays a number).
"""

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.reports.labels import berlin

if TYPE_CHECKING:  # openpyxl is imported where a workbook is written, not at start-up
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE (tests/reports compare the two)
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

BOM = "\ufeff"
GERMAN_SEPARATOR = ";"
MULTI_SEPARATOR = "|"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_TEXT = 32_767  # Excel's limit per cell
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def plain_number(value: int | float) -> str:
    """12 → "12", 12.0 → "12", 12.5 → "12.5", 1e-05 → "0.00001" (no exponent, dot decimal)."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_text(value: Any) -> str:
    """A value as text, without the formula guard (which ``csv_cell`` adds)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return plain_number(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return MULTI_SEPARATOR.join(as_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def needs_guard(text: str) -> bool:
    return text.startswith(FORMULA_START)


def csv_cell(value: Any, *, decimal_comma: bool = False) -> str:
    text = as_text(value)
    if _is_number(value):
        return text.replace(".", ",") if decimal_comma else text
    if needs_guard(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Sequence[Any]], separator: str) -> str:
    """CSV lines (CRLF-terminated, quoted where needed) for the given rows. With ``;`` (Excel
    with German settings) numbers take a decimal comma, as that Excel reads them."""
    decimal_comma = separator == GERMAN_SEPARATOR
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerows([csv_cell(value, decimal_comma=decimal_comma) for value in row]
                     for row in rows)
    return buffer.getvalue()


def xlsx_value(sheet: "WriteOnlyWorksheet", value: Any) -> Any:
    """What to append to a write-only sheet for this value."""
    if value is None or isinstance(value, bool) or _is_number(value):
        return value
    if isinstance(value, datetime):
        from openpyxl.cell import WriteOnlyCell

        # Berlin wall-clock time: what people in Germany expect to read (the heading says so).
        cell = WriteOnlyCell(sheet, berlin(value))
        cell.number_format = XLSX_DATETIME_FORMAT
        return cell
    # Control characters are not allowed in XLSX XML; remove them rather than fail the export.
    text = ILLEGAL_CHARACTERS_RE.sub("", as_text(value))[:XLSX_MAX_TEXT]
    if needs_guard(text):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        return cell
    return text


def xlsx_header(sheet: "WriteOnlyWorksheet", names: Sequence[str]) -> list["WriteOnlyCell"]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, name)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def xlsx_row(sheet: "WriteOnlyWorksheet", row: Sequence[Any]) -> list[Any]:
    return [xlsx_value(sheet, value) for value in row]
