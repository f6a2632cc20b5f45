"""Reading the audit trail. There is deliberately no function that changes or deletes events."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import recorder
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead
from app.core.db import columns_of
from app.core.pagination import PageParams, SortKey, paginate

EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _query(filters: AuditFilter) -> SelectOfScalar[AuditEvent]:
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.action:
        query = query.where(col(AuditEvent.action).startswith(filters.action))
    if filters.resource_type:
        query = query.where(AuditEvent.resource_type == filters.resource_type)
    if filters.resource_id:
        query = query.where(AuditEvent.resource_id == filters.resource_id)
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def list_events(
    session: Session, params: PageParams, filters: AuditFilter
) -> tuple[list[AuditEventRead], str | None, int | None]:
    rows, cursor, total = paginate(
        session, _query(filters), SortKey(col(AuditEvent.id), col(AuditEvent.id), descending=True),
        params, value_of=lambda e: e.id, id_of=lambda e: e.id,
    )
    return [AuditEventRead(**columns_of(e)) for e in rows], cursor, total


CSV_COLUMNS = ["id", "occurred_at", "actor", "actor_type", "action", "resource_type",
               "resource_id", "changed_fields", "changes", "request_id"]


def export_csv_chunks(session: Session, filters: AuditFilter, after_id: int | None) -> tuple[str, int | None]:
    """One chunk of CSV (header first when ``after_id`` is None) and the id to continue after."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    if after_id is None:
        buffer.write("\ufeff")
        writer.writerow(CSV_COLUMNS)
    query = _query(filters)
    if after_id is not None:
        query = query.where(col(AuditEvent.id) > after_id)
    rows = session.exec(query.order_by(col(AuditEvent.id)).limit(EXPORT_BATCH)).all()
    for event in rows:
        writer.writerow([
            event.id, event.occurred_at.isoformat(), event.actor, event.actor_type, event.action,
            event.resource_type, event.resource_id or "", ",".join(event.changed_fields),
            json.dumps(event.changes, ensure_ascii=False), event.request_id or "",
        ])
    next_id = rows[-1].id if len(rows) == EXPORT_BATCH else None
    return buffer.getvalue(), next_id


def record_export(session: Session, filters: AuditFilter) -> None:
    recorder.record(session, "audit_event.export", "audit_event",
                    fields={k: str(v) for k, v in filters.__dict__.items() if v is not None})
    session.commit()

