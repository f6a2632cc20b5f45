"""Alliance import from CSV or XLSX: validate every row, then write all or nothing.

Rows match existing alliances by slug, else by AGS, else (with neither) by exact name, so
importing the same file twice changes nothing the second time. An empty cell keeps the stored
value. Errors name the file line (the spreadsheet row) and the field: ``["file", 3, "ags"]``.
"""

import re
from typing import Any, Literal

from pydantic import Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.alliances import service
from app.alliances.models import Alliance
from app.alliances.schemas import STATE_MAY_BE_MISSING, AllianceCreate
from app.core import tabular
from app.core.errors import AppError, Conflict, RuleViolation, error_loc, field_error
from app.core.schemas import ReadModel
from app.core.tabular import Table

MAX_ROWS = 5000
COLUMNS = (
    "name", "slug", "ags", "municipality", "district", "state", "region", "level", "legal_form",
    "founded_on", "website", "description", "status", "listed_in_finder", "partners",
)
REQUIRED_COLUMNS = ("name", "level")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
Action = Literal["create", "update", "unchanged"]


class ImportRow(ReadModel):
    line: int = Field(description="Line of the CSV file or row of the sheet (1 is the header)")
    slug: str
    action: Action
    id: int | None = Field(description="null for rows a dry run would create")


class ImportReport(ReadModel):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    ignored_columns: list[str] = Field(
        default_factory=list, description="Header columns the import does not know (check spelling)"
    )
    rows: list[ImportRow]


# --- reading the file ------------------------------------------------------------------------


def _cell_text(column: str, value: object) -> str:
    """An XLSX cell's text; a number cell loses the AGS's leading zero (Länder 01-09), so
    9563000 in the ags column is 09563000."""
    if column == "ags" and isinstance(value, int | float) and not isinstance(value, bool) \
            and float(value).is_integer() and 0 <= value < 10**8:
        return f"{int(value):08d}"
    return tabular.cell_text(value)


async def parse_file(content: bytes, filename: str) -> Table:
    """The upload as a table, parsed outside the database slot (``tabular.parse_upload``)."""
    table = await tabular.parse_upload(content, filename, max_rows=MAX_ROWS, xlsx_cell=_cell_text)
    tabular.require_header_and_rows(table, tabular.header_errors(table, required=REQUIRED_COLUMNS))
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
            try:
                payload[column] = tabular.cell_boolean(value)
            except ValueError:
                payload[column] = value  # the schema names the cell's fault
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
                errors.append(field_error(["file", row.line, *error_loc(err["loc"])], err["msg"],
                                          err["type"]))
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


def import_alliances(session: Session, table: Table, dry_run: bool) -> ImportReport:
    """The alliances of a table from ``parse_file``, all or nothing."""
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
