"""The Servicebüro's list of an event's registered and waitlisted delegates as CSV (name tags, catering),
streamed batch by batch with the reports' CSV writer (formula guard, UTF-8 with BOM).

The list is personal data: each export is recorded in the audit trail (action
``event.delegates_export``) and committed before the first row is read.
"""

from functools import partial

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.alliances.models import Alliance
from app.audit import recorder
from app.events import waitlist
from app.events.models import DelegateStatus, EventDelegate
from app.events.queries import get_event
from app.reports.exports import BATCH, ExportTable, Row
from app.reports.labels import Columns

COLUMNS = ["name", "function", "email", "phone", "dietary_needs", "alliance", "status",
           "waiting_position", "attendance"]
AUDIT_ACTION = "event.delegates_export"


def _batch(session: Session, after: int | None, *, event_id: int) -> tuple[list[Row], int | None]:
    query = (
        sa_select(col(EventDelegate.id), col(EventDelegate.name), col(EventDelegate.function),
                  col(EventDelegate.email), col(EventDelegate.phone),
                  col(EventDelegate.dietary_needs), col(Alliance.name),
                  col(EventDelegate.status), col(EventDelegate.attendance))
        .join(Alliance, col(Alliance.id) == col(EventDelegate.alliance_id))
        .where(col(EventDelegate.event_id) == event_id,
               col(EventDelegate.status).in_([DelegateStatus.registered,
                                              DelegateStatus.waitlisted]),
               col(EventDelegate.erased_at).is_(None))
        .order_by(col(EventDelegate.id)).limit(BATCH)
    )
    if after is not None:
        query = query.where(col(EventDelegate.id) > after)
    rows = session.execute(query).all()
    positions = waitlist.positions(session, event_id)
    out: list[Row] = [[*row[1:8], positions.get(row[0]), row[8]] for row in rows]
    return out, (rows[-1][0] if len(rows) == BATCH else None)


def delegates_table(session: Session, event_id: int, separator: str) -> ExportTable:
    """The export of ``event_id``'s registered delegates, audited and committed here."""
    get_event(session, event_id)
    recorder.record(session, AUDIT_ACTION, "event", event_id,
                    fields={"format": "csv", "separator": separator})
    session.commit()
    return ExportTable(filename_stem=f"veranstaltung-{event_id}-delegierte",
                       sheet_title="Delegierte", header=list(COLUMNS),
                       fetch=partial(_batch, event_id=event_id),
                       kinds=Columns(own=frozenset(COLUMNS)))
