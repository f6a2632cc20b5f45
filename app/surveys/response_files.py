"""Reading a response upload: CSV (UTF-8 or Windows-1252, comma or semicolon) or XLSX (first
sheet) into a header and numbered rows, and a cell's text into the answer type of a question.
"""

import csv
import io
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from app.core.config import get_settings
from app.core.errors import AppError, PayloadTooLarge, RuleViolation, field_error
from app.surveys.models import Question

MAX_FILE_ROWS = 2000
BASE_COLUMNS = ("alliance", "wants_future_project", "wants_seal", "submit", "reported_status",
                "wants_finder_listing", "ref")
BOOLEAN_COLUMNS = frozenset({"wants_future_project", "wants_seal", "submit", "wants_finder_listing"})
_TRUE = frozenset({"ja", "j", "true", "wahr", "yes", "y", "1", "x"})
_FALSE = frozenset({"nein", "n", "false", "falsch", "no", "0"})

Table = tuple[list[str], list[tuple[int, list[str]]]]


class UnsupportedFile(AppError):
    status, code, title = 415, "unsupported_file", "The file is neither CSV nor XLSX"


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise RuleViolation("The file is neither UTF-8 nor Windows-1252 text.",
                                errors=[field_error(["file"], "unknown encoding", "encoding")]) from exc


def _csv_table(content: bytes) -> Table:
    text = _decode(content)
    header_line = text.lstrip().split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header = values
        else:
            rows.append((reader.line_num, values))
    return header or [], rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_table(content: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnsupportedFile("The XLSX file cannot be read.") from exc
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = cells
        else:
            rows.append((number, cells))
    workbook.close()
    return header or [], rows


def read_table(content: bytes, filename: str) -> Table:
    """Header and (line, cells) rows of a CSV (UTF-8 or Windows-1252, comma or semicolon) or
    XLSX file (first sheet)."""
    if not content:
        raise RuleViolation("The file is empty.", errors=[field_error(["file"], "empty file")])
    if len(content) > get_settings().limits.max_body_bytes:
        raise PayloadTooLarge("The file is too large.")
    is_xlsx = filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04"
    header, rows = _xlsx_table(content) if is_xlsx else _csv_table(content)
    if not header or not rows:
        raise RuleViolation("The file has no rows below the header.",
                            errors=[field_error(["file"], "no rows", "empty")])
    if len(rows) > MAX_FILE_ROWS:
        raise RuleViolation(f"At most {MAX_FILE_ROWS} rows per file.",
                            errors=[field_error(["file"], f"{len(rows)} rows", "too_long")])
    return header, rows


def parse_boolean(raw: str) -> bool | None:
    lowered = raw.strip().lower()
    if lowered == "":
        return None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("must be ja/nein (or true/false)")


def _choice(question: Question, raw: str) -> str:
    for option in question.options:
        if raw in (str(option["value"]), str(option.get("label", ""))) or \
                raw.lower() == str(option.get("label", "")).lower():
            return str(option["value"])
    return raw  # check_answers names the allowed values


def cell_answer(question: Question, raw: str) -> Any:
    """A cell's text as the answer type of the question (None when empty)."""
    text = raw.strip()
    if text == "":
        return None
    if question.type == "boolean":
        return parse_boolean(text)
    if question.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError("must be a whole number") from None
    if question.type == "single_choice":
        return _choice(question, text)
    if question.type == "multi_choice":
        return [_choice(question, part.strip()) for part in text.split("|") if part.strip()]
    if question.type == "date":
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, pattern).date().isoformat()
            except ValueError:
                continue
        raise ValueError("must be a date (YYYY-MM-DD or DD.MM.YYYY)")
    return text
