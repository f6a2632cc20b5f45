"""Exports for people who read German: column headings, enum values, yes/no and times.

English (no ``Accept-Language``, or English) keeps the machine form: column names as they are,
enum values as the API spells them, ``true``/``false``, ISO 8601 in UTC in CSV. With
``Accept-Language: de`` the headings and enum values come from the German catalog (gettext),
booleans read ``ja``/``nein`` and times are German (``05.12.2026 09:30``, Europe/Berlin).
XLSX time cells are real date-time cells in Berlin time in both languages; their heading says so.
Question keys (``answer`` columns) and free text are the alliances' own and stay as they are.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from app.core.german import BERLIN_KNOWN, GERMAN_TIME
from app.core.i18n import DEFAULT_LANGUAGE, N_, lookup

Target = Literal["csv", "xlsx"]

COLUMN_LABELS: dict[str, str] = {
    "alliance_id": N_("Alliance ID"),
    "slug": N_("Slug"),
    "name": N_("Name"),
    "state": N_("State"),
    "status": N_("Status"),
    "mode": N_("Mode"),
    "entered_by": N_("Entered by"),
    "submitted_at": N_("Submitted"),
    "wants_future_project": N_("Wants Projekt Zukunft"),
    "wants_seal": N_("Wants the seal"),
    "reported_status": N_("Reported status"),
    "activity_score": N_("Activity score"),
    "meets_criteria": N_("Meets the criteria"),
    "invited_to_future_project": N_("Invited to Projekt Zukunft"),
    "function": N_("Function"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "dietary_needs": N_("Dietary needs"),
    "alliance": N_("Alliance"),
    "waiting_position": N_("Waiting list position"),
    "attendance": N_("Attendance"),
}
# Criterion columns of the evaluation export: "<key>_result", "<key>_actual".
CRITERION_RESULT = N_("{key}: result")
CRITERION_ACTUAL = N_("{key}: actual value")

# Enum values by column; any other column's values are left alone.
ENUM_VALUES: dict[str, dict[str, str]] = {
    "status": {
        "draft": N_("draft"), "submitted": N_("submitted"),
        "registered": N_("registered"), "waitlisted": N_("waitlisted"),
        "withdrawn": N_("withdrawn"),
    },
    "mode": {
        "online": N_("online"), "phone_interview": N_("phone interview"),
        "partner_import": N_("partner import"), "admin_entry": N_("entered by the Servicebüro"),
    },
    "reported_status": {
        "active": N_("active"), "dormant": N_("dormant"), "dissolved": N_("dissolved"),
    },
    "attendance": {"attended": N_("attended"), "no_show": N_("did not attend")},
}
CRITERION_VALUES = {"pass": N_("met"), "fail": N_("not met")}
YES, NO = N_("yes"), N_("no")
BERLIN_SUFFIX = N_("{label} (Berlin)")
ZONE = "Europe/Berlin" if BERLIN_KNOWN else "UTC"


@dataclass(frozen=True)
class Columns:
    """What an export's columns are: its own (labelled, enum values translated), the
    criterion columns of the evaluation export, and the time columns. Other columns (question
    keys) keep their names; their values too, but for yes/no, which German readers get in
    German."""

    own: frozenset[str] = frozenset()
    criteria: frozenset[str] = frozenset()
    timestamps: frozenset[str] = frozenset()

    def criterion(self, column: str) -> tuple[str, str] | None:
        if column not in self.criteria:
            return None
        for suffix in ("_result", "_actual"):
            if column.endswith(suffix):
                return column[: -len(suffix)], suffix
        return None


def header(columns: Sequence[str], language: str, target: Target, kinds: Columns) -> list[str]:
    """The heading row: the column names (English), or German labels; a time column says its
    zone where the cells are Berlin time (XLSX always, German CSV)."""
    german = language != DEFAULT_LANGUAGE
    out: list[str] = []
    for column in columns:
        label = column
        if german:
            criterion = kinds.criterion(column)
            if column in kinds.own and column in COLUMN_LABELS:
                label = lookup(COLUMN_LABELS[column], language)
            elif criterion is not None and criterion[1] == "_result":
                label = lookup(CRITERION_RESULT, language).format(key=criterion[0])
            elif criterion is not None:
                label = lookup(CRITERION_ACTUAL, language).format(key=criterion[0])
        if column in kinds.timestamps and (german or target == "xlsx"):
            label = (lookup(BERLIN_SUFFIX, language).format(label=label) if german and BERLIN_KNOWN
                     else f"{label} ({ZONE})")
        out.append(label)
    return out


def berlin(moment: datetime) -> datetime:
    """A moment as Berlin wall-clock time without zone (what a spreadsheet cell holds)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(GERMAN_TIME).replace(tzinfo=None)


def localize_row(row: Sequence[Any], columns: Sequence[str], language: str, target: Target,
                 kinds: Columns) -> list[Any]:
    """One row's values for German readers (English: unchanged)."""
    if language == DEFAULT_LANGUAGE:
        return list(row)
    out: list[Any] = []
    for column, value in zip(columns, row, strict=False):
        criterion = kinds.criterion(column)
        own = column in kinds.own
        if isinstance(value, bool):
            # Answers of yes/no questions too: "ja" beside "true" reads as two languages, and
            # the German import reads ja/nein back.
            value = lookup(YES if value else NO, language)
        elif (own and isinstance(value, str) and column in ENUM_VALUES
              and value in ENUM_VALUES[column]):
            value = lookup(ENUM_VALUES[column][value], language)
        elif (isinstance(value, str) and criterion is not None and criterion[1] == "_result"
              and value in CRITERION_VALUES):
            value = lookup(CRITERION_VALUES[value], language)
        elif isinstance(value, datetime) and target == "csv" and column in kinds.timestamps:
            value = berlin(value).strftime("%d.%m.%Y %H:%M")
        out.append(value)
    return out
