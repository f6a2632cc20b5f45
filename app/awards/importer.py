"""Recording the seal alliances of past cycles from CSV or XLSX: all rows or none.

Columns: ``slug`` (or ``alliance``) and/or ``ags`` to find the alliance, and ``awarded_on``
(2023-11-24 or 24.11.2023). A row matches by slug first; by AGS (7 digits: a spreadsheet dropped
the leading zero) only when exactly one alliance has that key (Berlin or Hamburg districts share
one). Re-importing the same file changes
nothing; every problem is reported with its line and column, and then nothing is written.
"""

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.awards import service
from app.awards.models import AwardStatus
from app.awards.schemas import AwardImportReport, AwardImportRow
from app.core import tabular
from app.core.errors import RuleViolation, field_error
from app.core.tabular import Table
from app.cycles.service import get_cycle

MAX_ROWS = 2000
SLUG_COLUMNS = ("slug", "alliance", "alliance_slug")


async def parse_file(content: bytes, filename: str) -> Table:
    """The upload as a table, parsed outside the database slot (``tabular.parse_upload``);
    its header is checked by ``import_awards`` after the cycle."""
    return await tabular.parse_upload(content, filename, max_rows=MAX_ROWS)


def check_table(table: Table) -> Table:
    problems = tabular.header_errors(table, required=("awarded_on",))
    if not set(table.columns) & {*SLUG_COLUMNS, "ags"}:
        problems.append(field_error(["file", "header", "slug"],
                                    "missing column: give slug (or alliance) or ags",
                                    "missing_column"))
    tabular.require_header_and_rows(table, problems)
    return table


def parse_date(text: str) -> date:
    """2023-11-24 or 24.11.2023."""
    text = text.strip()
    if "." in text:
        return datetime.strptime(text, "%d.%m.%Y").date()
    return date.fromisoformat(text[:10] if "T" in text else text)


def _find_alliance(session: Session, row: dict[str, str], line: int) -> tuple[Alliance | None, dict[str, Any] | None]:
    slug = next((row[c].strip() for c in SLUG_COLUMNS if row.get(c, "").strip()), "")
    ags = row.get("ags", "").strip()
    if ags.isascii() and ags.isdigit() and len(ags) == 7:
        ags = ags.zfill(8)  # a number cell (or Excel's CSV) drops the zero of Länder 01-09
    if slug:
        alliance = session.exec(select(Alliance).where(Alliance.slug == slug.lower())).first()
        if alliance is None:
            return None, field_error(["file", line, "slug"], f"no alliance with slug {slug!r}", "not_found")
        return alliance, None
    if ags:
        matches = list(session.exec(select(Alliance).where(Alliance.ags == ags)).all())
        if not matches:
            return None, field_error(["file", line, "ags"], f"no alliance with AGS {ags}", "not_found")
        if len(matches) > 1:
            return None, field_error(["file", line, "ags"],
                                     f"{len(matches)} alliances have AGS {ags}; give the slug",
                                     "ambiguous")
        return matches[0], None
    return None, field_error(["file", line, "slug"], "give slug or ags", "missing")


def import_awards(
    session: Session, cycle_ref: str, table: Table, filename: str, dry_run: bool,
    principal: Principal,
) -> AwardImportReport:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    service.require_status(cycle, service.IMPORT_STATUSES, "importing awards")
    check_table(table)
    existing = service.awards_by_alliance(session, cycle.id)
    errors: list[dict[str, Any]] = []
    planned: list[tuple[int, Alliance, date]] = []
    seen: dict[int, int] = {}
    for row in table.rows:
        line = row.line
        errors.extend(row.errors)
        alliance, problem = _find_alliance(session, row.values, line)
        try:
            awarded_on = parse_date(row.values.get("awarded_on", ""))
        except ValueError:
            errors.append(field_error(["file", line, "awarded_on"],
                                      "must be a date like 2023-11-24 or 24.11.2023", "date_parsing"))
            awarded_on = None
        if problem is not None:
            errors.append(problem)
        if alliance is None or alliance.id is None or awarded_on is None:
            continue
        if alliance.id in seen:
            errors.append(field_error(["file", line, "slug"],
                                      f"same alliance as line {seen[alliance.id]}", "duplicate"))
            continue
        seen[alliance.id] = line
        award = existing.get(alliance.id)
        if award is not None and award.status == AwardStatus.withdrawn:
            errors.append(field_error(["file", line, "slug"],
                                      "its award of this cycle was withdrawn; re-add it with a "
                                      "reason (POST …/awards)", "withdrawn"))
        elif award is not None and award.awarded_on != awarded_on:
            errors.append(field_error(["file", line, "awarded_on"],
                                      f"already awarded on {award.awarded_on.isoformat()}", "conflict"))
        planned.append((line, alliance, awarded_on))
    if errors:
        raise RuleViolation(f"{len(errors)} problem(s) in the file; nothing was imported.",
                            errors=errors)

    report = AwardImportReport(dry_run=dry_run, created=0, unchanged=0, rows=[])
    created = []
    for line, alliance, awarded_on in planned:
        assert alliance.id is not None
        award = existing.get(alliance.id)
        if award is None:
            award = service.build_award(cycle, alliance.id, awarded_on, principal.actor,
                                        f"Import: {filename}"[:1000] if filename else "Import")
            session.add(award)
            created.append((line, alliance.id, alliance.slug, award))
            report.created += 1
        else:
            report.unchanged += 1
            report.rows.append(AwardImportRow(line=line, alliance_id=alliance.id,
                                              alliance_slug=alliance.slug, awarded_on=awarded_on,
                                              action="unchanged", award_id=award.id))
    if dry_run:
        session.rollback()
    else:
        service.commit_awards(session)
    for line, alliance_id, slug, award in created:
        report.rows.append(AwardImportRow(line=line, alliance_id=alliance_id, alliance_slug=slug,
                                          awarded_on=award.awarded_on, action="create",
                                          award_id=None if dry_run else award.id))
    report.rows.sort(key=lambda r: r.line)
    return report
