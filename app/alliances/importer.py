"""Alliance import from CSV or XLSX: validate every row, then write all or nothing.

Rows match existing alliances by slug, else by AGS, else (with neither) by exact name, so
importing the same file twice changes nothing the second time. An empty cell keeps the stored
value. Errors name the file line (the spreadsheet row) and the field: ``["file", 3, "ags"]``.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from openpyxl import load_workbook
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.alliances import service
from app.alliances.models import Alliance
from app.alliances.schemas import STATE_MAY_BE_MISSING, AllianceCreate
from app.core.errors import AppError, Conflict, RuleViolation, field_error

MAX_ROWS = 5000
COLUMNS = (
    "name", "slug", "ags", "municipality", "district", "state", "region", "level", "legal_form",
    "founded_on", "website", "description", "status", "listed_in_finder", "partners",
)
REQUIRED_COLUMNS = ("name", "level")
_TRUE = {"1", "true", "ja", "yes", "j", "y", "x", "wahr"}
_FALSE = {"0", "false", "nein", "no", "n", "falsch"}
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
Action = Literal["create", "update", "unchanged"]


class UnsupportedFile(AppError):
    status, code, title = 415, "unsupported_file", "The file is neither CSV nor XLSX"


class ImportRow(BaseModel):
    line: int = Field(description="Line of the CSV file or row of the sheet (1 is the header)")
    slug: str
    action: Action
    id: int | None = Field(description="null for rows a dry run would create")


class ImportReport(BaseModel):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    ignored_columns: list[str] = Field(
        default_factory=list, description="Header columns the import does not know (check spelling)"
    )
    rows: list[ImportRow]


@dataclass
class SourceRow:
    line: int
    values: dict[str, str]
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Table:
    header: list[str]
    rows: list[SourceRow]


# --- reading the file ------------------------------------------------------------------------


def _too_many_rows() -> RuleViolation:
    return RuleViolation(f"At most {MAX_ROWS} rows per file.",
                         errors=[field_error(["file"], f"more than {MAX_ROWS} rows", "too_many_rows")])


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise UnsupportedFile("The file is not CSV text in UTF-8 or Windows-1252 (nor XLSX).")


def _header_name(value: object) -> str:
    return "" if value is None else str(value).strip().lower()


def _csv_table(content: bytes) -> Table:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[SourceRow] = []
    try:
        header = [_header_name(cell) for cell in next(reader, [])]
        end = reader.line_num
        for cells in reader:
            # A quoted cell may span lines: a row starts on the line after the previous one.
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = SourceRow(start, {name: cell for name, cell in zip(header, cells, strict=False)
                                    if name})
            if len(cells) > len(header):
                row.errors.append(field_error(
                    ["file", start], f"{len(cells)} values but {len(header)} columns in the header",
                    "too_many_values"))
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
    except csv.Error as exc:
        raise RuleViolation(f"Line {reader.line_num} is not valid CSV: {exc}",
                            errors=[field_error(["file", reader.line_num], str(exc), "csv_invalid")]
                            ) from exc
    return Table(header, rows)


def _cell_text(column: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and column == "ags" and 0 <= value < 10**8:
        # A number cell loses the AGS's leading zero (Länder 01-09): 9563000 is 09563000.
        return f"{value:08d}"
    return str(value)


def _xlsx_table(content: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnsupportedFile("The XLSX file cannot be read.") from exc
    try:
        values = workbook.worksheets[0].iter_rows(values_only=True)
        header = [_header_name(cell) for cell in next(values, ())]
        rows: list[SourceRow] = []
        for line, cells in enumerate(values, start=2):
            if all(cell is None or str(cell).strip() == "" for cell in cells):
                continue
            rows.append(SourceRow(line, {
                name: _cell_text(name, cell) for name, cell in zip(header, cells, strict=False)
                if name
            }))
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
    except AppError:
        raise
    except Exception as exc:  # a sheet's XML is parsed lazily: damage shows up only here
        raise UnsupportedFile("The XLSX file cannot be read.") from exc
    finally:
        workbook.close()
    return Table(header, rows)


def read_table(content: bytes, filename: str) -> Table:
    if not content.strip():
        raise RuleViolation("The file is empty.", errors=[field_error(["file"], "empty file", "empty")])
    is_zip = content[:4] == b"PK\x03\x04"
    if filename.lower().endswith(".xlsx") or is_zip:
        table = _xlsx_table(content)
    else:
        table = _csv_table(content)
    names = [name for name in table.header if name]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuleViolation(
            f"Columns appear twice: {', '.join(duplicates)}",
            errors=[field_error(["file", "header", d], "column appears twice", "duplicate_column")
                    for d in duplicates])
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise RuleViolation(
            f"Missing columns: {', '.join(missing)}",
            errors=[field_error(["file", "header", m], "missing column", "missing_column")
                    for m in missing])
    if not table.rows:
        raise RuleViolation("The file has a header but no rows.",
                            errors=[field_error(["file"], "no rows", "no_rows")])
    return table


# --- rows to alliances -----------------------------------------------------------------------


def _parse_partners(raw: str) -> list[dict[str, str]]:
    """``Stadt Fürth:municipality|Caritas:welfare|Bäckerei Beck`` (no sector: other)."""
    partners = []
    for item in filter(None, (part.strip() for part in raw.split("|"))):
        name, separator, sector = item.rpartition(":")
        if not separator:
            name, sector = item, "other"
        partners.append({"name": name.strip(), "sector": sector.strip().lower()})
    return partners


def _row_to_payload(values: dict[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for column in COLUMNS:
        value = values.get(column, "").strip()
        if value == "":
            continue  # an empty cell keeps the stored value
        if column == "listed_in_finder":
            lowered = value.lower()
            payload[column] = True if lowered in _TRUE else False if lowered in _FALSE else value
        elif column == "partners":
            payload[column] = _parse_partners(value)
        elif column == "founded_on" and (german := _GERMAN_DATE.fullmatch(value)):
            day, month, year = german.groups()
            payload[column] = f"{year}-{int(month):02d}-{int(day):02d}"
        elif column in ("level", "status", "legal_form"):
            payload[column] = value.lower()
        elif column == "state":
            payload[column] = value.upper()
        else:
            payload[column] = value
    return payload


def _row_errors(line: int, exc: AppError) -> list[dict[str, Any]]:
    """A service error (loc ``["body", field]``) as an error of the file's line."""
    if not exc.errors:
        return [field_error(["file", line], exc.detail or exc.title, exc.code)]
    return [
        {**err, "loc": ["file", line, *(err["loc"][1:] if err["loc"][:1] == ["body"] else err["loc"])]}
        for err in exc.errors
    ]


class _Ambiguous(RuleViolation):
    code = "ambiguous_match"


def _find_existing(session: Session, data: AllianceCreate) -> Alliance | None:
    """By slug; else by AGS; else, when the row has neither, by exact name."""
    if data.slug:
        return session.exec(select(Alliance).where(Alliance.slug == data.slug)).first()
    column, value = ("ags", data.ags) if data.ags else ("name", data.name)
    found = session.exec(select(Alliance).where(getattr(Alliance, column) == value).limit(2)).all()
    if len(found) > 1:
        raise _Ambiguous(
            f"Several alliances have this {column}; add the slug column to say which one.",
            errors=[field_error(["body", column], f"several alliances have this {column}",
                                "ambiguous_match")],
        )
    return found[0] if found else None


def _identity(data: AllianceCreate) -> tuple[str, str]:
    if data.slug:
        return "slug", data.slug
    if data.ags:
        return "ags", data.ags
    return "name", data.name


def _validate_rows(table: Table) -> tuple[list[tuple[int, AllianceCreate, set[str]]], list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, AllianceCreate, set[str]]] = []
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        errors.extend(row.errors)
        payload = _row_to_payload(row.values)
        try:
            data = AllianceCreate.model_validate(payload, context={STATE_MAY_BE_MISSING: True})
        except ValidationError as exc:
            for err in exc.errors():
                loc = [part if isinstance(part, int) else str(part) for part in err["loc"]]
                errors.append(field_error(["file", row.line, *loc], err["msg"], err["type"]))
            continue
        key = _identity(data)
        if key in seen:
            errors.append(field_error(["file", row.line, key[0]],
                                      f"same alliance as line {seen[key]}", "duplicate_row"))
            continue
        seen[key] = row.line
        parsed.append((row.line, data, set(payload)))
    return parsed, errors


def _write_row(
    session: Session, data: AllianceCreate, columns: set[str], matched: dict[int, int], line: int,
) -> tuple[Alliance, Action]:
    """Create or update one row's alliance; ``matched`` maps alliance ids to the line that
    wrote them, so two lines never reach the same alliance."""
    existing = _find_existing(session, data)
    if existing is None:
        if data.state is None:
            raise RuleViolation("A new alliance needs a state or an AGS.", errors=[
                field_error(["body", "state"], "state is required when no AGS is given",
                            "missing")])
        created = service.build_alliance(session, data)
        assert created.id is not None
        matched[created.id] = line
        return created, "create"
    assert existing.id is not None
    if existing.id in matched:
        raise RuleViolation(
            f"Line {matched[existing.id]} already imports this alliance.",
            errors=[field_error(["body", "slug"], f"same alliance as line {matched[existing.id]}",
                                "duplicate_row")],
        )
    matched[existing.id] = line
    # A state derived from the row's AGS is a change too; apply_update checks it against the AGS.
    changes = service.changes_of(data, columns | ({"state"} if data.state else set()))
    return existing, "update" if service.apply_update(session, existing, changes) else "unchanged"


def _line_of(error: dict[str, Any]) -> int:
    loc = error["loc"]
    return loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0


def import_alliances(session: Session, content: bytes, filename: str, dry_run: bool) -> ImportReport:
    table = read_table(content, filename)
    parsed, errors = _validate_rows(table)
    report = ImportReport(
        dry_run=dry_run, created=0, updated=0, unchanged=0, rows=[],
        ignored_columns=[name for name in table.header if name and name not in COLUMNS],
    )
    # Rows that are valid on their own are written even when others are not (and everything
    # is rolled back then), so one report lists every problem of the file.
    if parsed:
        matched: dict[int, int] = {}
        try:
            for line, data, columns in parsed:
                try:
                    alliance, action = _write_row(session, data, columns, matched, line)
                except AppError as exc:
                    errors.extend(_row_errors(line, exc))
                    continue
                report.created += action == "create"
                report.updated += action == "update"
                report.unchanged += action == "unchanged"
                report.rows.append(ImportRow(
                    line=line, slug=alliance.slug, action=action,
                    id=None if dry_run and action == "create" else alliance.id,
                ))
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("The alliances changed while the file was imported; import it again."
                           ) from exc
    if errors:
        errors.sort(key=_line_of)  # stable: a line's errors keep their order
        session.rollback()
        raise RuleViolation(f"{len(errors)} problem(s) in the file; nothing was imported.",
                            errors=errors)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return report
