"""Alliance import from CSV or XLSX: validate every row, then write all or nothing.

Rows match existing alliances by slug, then AGS, then the slug derived from the name, so
importing the same file twice changes nothing the second time.
"""

import csv
import io
from typing import Any, Literal

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from app.alliances import service
from app.alliances.models import Alliance
from app.alliances.schemas import AllianceCreate, slugify
from app.core.errors import AppError, RuleViolation, field_error

MAX_ROWS = 5000
COLUMNS = (
    "name", "slug", "ags", "municipality", "district", "state", "region", "level", "legal_form",
    "founded_on", "website", "description", "status", "listed_in_finder", "partners",
)
_TRUE = {"1", "true", "ja", "yes", "j", "y", "x", "wahr"}
_FALSE = {"0", "false", "nein", "no", "n", "falsch", ""}


class UnsupportedFile(AppError):
    status, code, title = 415, "unsupported_file", "The file is neither CSV nor XLSX"


class ImportRow(BaseModel):
    line: int
    slug: str
    action: Literal["create", "update", "unchanged"]
    id: int | None


class ImportReport(BaseModel):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    rows: list[ImportRow]


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252")


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    text = _decode(content)
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [dict(row) for row in reader]


def _xlsx_rows(content: bytes) -> list[dict[str, str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnsupportedFile("The XLSX file cannot be read.") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    result = []
    for values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        result.append({
            header[i]: ("" if v is None else v.isoformat()[:10] if hasattr(v, "isoformat") else str(v))
            for i, v in enumerate(values) if i < len(header) and header[i]
        })
    workbook.close()
    return result


def _parse_partners(raw: str) -> list[dict[str, str]]:
    partners = []
    for item in filter(None, (part.strip() for part in raw.split("|"))):
        name, _, sector = item.rpartition(":")
        partners.append({"name": name.strip() or item, "sector": sector.strip() or "other"})
    return partners


def _row_to_payload(row: dict[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    normalised = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
    for column in COLUMNS:
        if column not in normalised:
            continue
        value = normalised[column]
        if column == "listed_in_finder":
            lowered = value.lower()
            payload[column] = True if lowered in _TRUE else False if lowered in _FALSE else value
        elif column == "partners":
            payload[column] = _parse_partners(value)
        elif value != "":
            payload[column] = value
    return payload


def _find_existing(session: Session, data: AllianceCreate) -> Alliance | None:
    for column, value in (("slug", data.slug), ("ags", data.ags), ("slug", slugify(data.name))):
        if value:
            found = session.exec(select(Alliance).where(getattr(Alliance, column) == value)).first()
            if found is not None:
                return found
    return None


def read_rows(content: bytes, filename: str) -> list[dict[str, str]]:
    if not content:
        raise RuleViolation("The file is empty.", errors=[field_error(["file"], "empty file")])
    is_xlsx = filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04"
    rows = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    if len(rows) > MAX_ROWS:
        raise RuleViolation(f"At most {MAX_ROWS} rows per file.",
                            errors=[field_error(["file"], f"{len(rows)} rows")])
    if not rows:
        raise RuleViolation("The file has a header but no rows.", errors=[field_error(["file"], "no rows")])
    missing = {"name", "level"} - {(k or "").strip().lower() for k in rows[0]}
    if missing:
        raise RuleViolation(f"Missing columns: {sorted(missing)}",
                            errors=[field_error(["file", "header", m], "missing column") for m in sorted(missing)])
    return rows


def import_alliances(session: Session, content: bytes, filename: str, dry_run: bool) -> ImportReport:
    rows = read_rows(content, filename)
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, AllianceCreate, dict[str, Any]]] = []
    for index, row in enumerate(rows):
        line = index + 2  # line 1 is the header
        payload = _row_to_payload(row)
        try:
            parsed.append((line, AllianceCreate.model_validate(payload), payload))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]] or ["row"]
                errors.append(field_error(["file", line, *loc], err["msg"], err["type"]))

    seen: dict[str, int] = {}
    for line, data, _ in parsed:
        key = data.slug or data.ags or slugify(data.name)
        if key in seen:
            errors.append(field_error(["file", line, "slug"], f"same alliance as line {seen[key]}", "duplicate"))
        seen[key] = line

    report = ImportReport(dry_run=dry_run, created=0, updated=0, unchanged=0, rows=[])
    if not errors:
        for line, data, payload in parsed:
            try:
                existing = _find_existing(session, data)
                if existing is None:
                    alliance = service.build_alliance(session, data)
                    report.created += 1
                    action: Literal["create", "update", "unchanged"] = "create"
                else:
                    changes = data.model_dump(mode="json", include=set(payload) | {"state"})
                    alliance = existing
                    action = "update" if service.apply_update(session, existing, changes) else "unchanged"
                    report.updated += action == "update"
                    report.unchanged += action == "unchanged"
            except AppError as exc:
                errors.append(field_error(["file", line], exc.detail or exc.title, exc.code))
                continue
            report.rows.append(ImportRow(line=line, slug=alliance.slug, action=action,
                                         id=None if dry_run and action == "create" else alliance.id))
    if errors:
        session.rollback()
        raise RuleViolation(f"{len(errors)} problem(s) in the file; nothing was imported.",
                            errors=errors)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return report
