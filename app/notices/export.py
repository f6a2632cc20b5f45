"""The notice overview as CSV for German Excel: ``;`` between fields, UTF-8 with BOM, German
headers, dates as ``TT.MM.JJJJ HH:MM`` (German time), ja/nein, decimal comma. The same filters
as the JSON overview (``missing`` = not reached, ``not_answered`` = reached, not submitted).

The file names contact addresses: admins only, ``no-store``, and each export is recorded in
the audit trail (action ``notices.export``).
"""

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.audit import recorder
from app.core.german import GERMAN_TIME
from app.cycles import service as cycles
from app.notices.models import NoticeKind
from app.notices.queries import filtered_alliances, overview_items
from app.notices.schemas import AllianceNoticeRead, NoticeFilter
from app.reports.formats import BOM, needs_guard
from app.surveys.models import SurveyResponse

SEPARATOR = ";"
AUDIT_ACTION = "notices.export"
HEADER = ["Bündnis-ID", "Bündnis", "Land", "Bündnisstatus", "Teilnahmeberechtigt", "Erreicht",
          "Anschreiben-Status", "Zuletzt zugestellt", "Anschreiben", "Erinnerungen",
          "Letzte Erinnerung", "Antwort", "Empfänger"]
_STATES = {"none": "keins", "queued": "in Zustellung", "sent": "zugestellt",
           "failed": "fehlgeschlagen"}
_ALLIANCE_STATUS = {"active": "aktiv", "dormant": "ruhend", "dissolved": "aufgelöst"}
_RESPONSE = {None: "keine", "draft": "Entwurf", "submitted": "abgeschickt"}
_NAMES = {None: "uebersicht", NoticeFilter.missing: "nicht-erreicht",
          NoticeFilter.not_answered: "nicht-geantwortet"}


def german_cell(value: Any) -> str:
    """One value as German Excel reads it; text that would start a formula gets an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)).replace(".", ",")
    if isinstance(value, datetime):
        return value.astimezone(GERMAN_TIME).strftime("%d.%m.%Y %H:%M")
    text = str(value)
    return "'" + text if needs_guard(text) else text


def german_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerows([german_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def _row(item: AllianceNoticeRead, response_status: str | None) -> list[Any]:
    invitations = [n for n in item.notices if n.kind == NoticeKind.notice]
    reminders = [n.created_at for n in item.notices if n.kind == NoticeKind.reminder]
    recipients = sorted({n.recipient for n in item.notices}, key=str.lower)
    return [
        item.alliance_id, item.alliance_name, item.state,
        _ALLIANCE_STATUS.get(item.alliance_status, item.alliance_status), item.eligible,
        item.reached, _STATES.get(item.status, item.status), item.last_sent_at,
        len(invitations), item.reminder_count, max(reminders, default=None),
        _RESPONSE.get(response_status, response_status), ", ".join(recipients),
    ]


def notices_csv(session: Session, cycle_ref: str, status: NoticeFilter | None,
                state: str | None) -> tuple[str, bytes]:
    """(file name, CSV bytes) of the overview with these filters; audited and committed."""
    cycle = cycles.get_cycle(session, cycle_ref)
    assert cycle.id is not None
    rows: list[Alliance] = list(session.exec(
        filtered_alliances(cycle.id, status, state).order_by(col(Alliance.name), col(Alliance.id))
    ).all())
    items = overview_items(session, cycle.id, rows)
    ids = [item.alliance_id for item in items]
    answered: dict[int, str] = {
        alliance_id: str(response_status) for alliance_id, response_status in session.exec(
            select(SurveyResponse.alliance_id, SurveyResponse.status)
            .where(SurveyResponse.cycle_id == cycle.id, col(SurveyResponse.alliance_id).in_(ids))
        ).all()
    } if ids else {}
    recorder.record(session, AUDIT_ACTION, "award_cycle", cycle.id,
                    fields={"format": "csv", "status": status.value if status else "all",
                            "state": state, "rows": len(items)})
    session.commit()
    content = german_csv([HEADER, *(_row(i, answered.get(i.alliance_id)) for i in items)])
    return f"anschreiben-{cycle.slug}-{_NAMES.get(status, status)}.csv", content
