"""Automatic audit trail: every ORM insert, update and delete appends an AuditEvent in the
same transaction, with the caller and request id taken from the request context.

Domains need not remember anything: a new table is audited from its first write. Values are
kept only for columns that cannot hold personal data or secrets (see ``is_sensitive``); for
the others only the field name is recorded. Events outside the ORM's unit of work (logins,
failed logins, exports) are written with ``record``.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Table, event, insert, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.audit.models import AuditEvent
from app.core.bulk import driver_converter, insert_rows, json_text
from app.core.db import table_of, utcnow
from app.core.logging import current_actor, current_request_id

MASK = "***"
# Tables whose rows are bookkeeping of other audited actions, or the trail itself.
NOT_AUDITED = frozenset({
    "audit_event", "refresh_token", "auth_session", "idempotency_record", "response_revision",
    "evaluation", "outbox_message", "webhook_delivery", "alembic_version",
})
_SENSITIVE_NAME = re.compile(
    r"(^|_)(e?mail|name|phone|recipient|body|password|secret|token|hash|function|address|"
    r"answers|reason|text|description|note|comment|message|contact|person|delegate)(s)?($|_)"
)
_SAFE_NAMES = frozenset({"slug", "state", "status", "level", "role", "key", "mode", "sector"})


@lru_cache(maxsize=4096)
def is_sensitive(table: Table, column_name: str) -> bool:
    column = table.c.get(column_name)
    if column is not None and "personal" in column.info:
        return bool(column.info["personal"])
    if column_name in _SAFE_NAMES:
        return False
    return bool(_SENSITIVE_NAME.search(column_name))


_SCALARS = (str, int, float, bool, type(None))  # exact types: an Enum member is not one


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return MASK  # JSON documents and the like may hold anything


def _actor_type(actor: str) -> str:
    return actor.split(":", 1)[0]


def _event_row(action: str, resource_type: str, resource_id: Any, fields: dict[str, Any],
               table: Table | None, actor: str | None = None) -> dict[str, Any]:
    actor = actor or current_actor()
    changes = {
        name: (MASK if table is not None and is_sensitive(table, name) else value)
        for name, value in fields.items()
    }
    return {
        "occurred_at": utcnow(), "actor": actor, "actor_type": _actor_type(actor),
        "action": action, "resource_type": resource_type,
        "resource_id": None if resource_id is None else str(resource_id),
        "changed_fields": sorted(fields), "changes": changes, "request_id": current_request_id(),
    }


def _primary_key(obj: Any) -> Any:
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    if not identity or all(part is None for part in identity):
        return None
    return identity[0] if len(identity) == 1 else "/".join(str(part) for part in identity)


def _changed_columns(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    changed: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            new = history.added[0] if history.added else None
            old = history.deleted[0] if history.deleted else None
            if new != old:
                changed[attr.key] = {"old": _plain(old), "new": _plain(new)}
    return changed


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    rows: list[dict[str, Any]] = []
    for obj, action in (
        *((o, "create") for o in session.new),
        *((o, "update") for o in session.dirty),
        *((o, "delete") for o in session.deleted),
    ):
        table = getattr(obj, "__table__", None)
        if not isinstance(table, Table) or table.name in NOT_AUDITED:
            continue
        if action == "update":
            fields = _changed_columns(obj)
            if not fields:
                continue
        elif action == "create":
            fields = {c.key: _plain(getattr(obj, c.key, None)) for c in inspect(obj).mapper.column_attrs}
        else:
            fields = {}
        rows.append(_event_row(f"{table.name}.{action}", table.name, _primary_key(obj), fields, table))
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def _on_bulk_statement(state: ORMExecuteState) -> None:
    """UPDATE/DELETE statements bypass the unit of work; record them too."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if not isinstance(table, Table) or table.name in NOT_AUDITED:
        return
    values = getattr(state.statement, "_values", None) or {}
    fields = {
        (key.key if isinstance(key, Column) else str(key)): MASK for key in values
    }
    action = "bulk_update" if state.is_update else "bulk_delete"
    state.session.connection().execute(
        insert(AuditEvent), [_event_row(f"{table.name}.{action}", table.name, None, fields, table)]
    )


def record(session: Session, action: str, resource_type: str, resource_id: Any = None,
           fields: dict[str, Any] | None = None, *, actor: str | None = None) -> None:
    """Append an event explicitly (logins, exports, …). Flushes with the session's work."""
    row = _event_row(action, resource_type, resource_id, fields or {}, None, actor)
    session.connection().execute(insert(AuditEvent), [row])


# --- rows written with Core statements (executemany) ---------------------------------------
# Bulk writers bypass the unit of work, so the hook above never sees their rows. They call
# these helpers with the rows they wrote; the events are the ones the hook would have written
# had the same rows gone through ``session.flush()`` (same action, fields, masking, actor and
# request id), in one executemany.

def _auditable(table: Table) -> bool:
    return table.name not in NOT_AUDITED


_EVENT_COLUMNS = ("occurred_at", "actor", "actor_type", "action", "resource_type", "resource_id",
                  "changed_fields", "changes", "request_id")


def record_created(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """One ``<table>.create`` event per inserted row (``rows`` carry every column, the primary
    key included), as the hook records an ORM insert: every field, masked where sensitive,
    the caller and the request id. What is the same for every row is worked out (and
    converted for the driver) once; each row's changes are serialised as the JSON column
    would serialise them."""
    if not rows or not _auditable(table):
        return
    names = sorted(c.key for c in table.columns)
    masked = {name for name in names if is_sensitive(table, name)}
    key = [c.key for c in table.primary_key.columns]
    connection = session.connection()
    events_table = table_of(AuditEvent)
    actor, request_id = current_actor(), current_request_id()
    actor_type = _actor_type(actor)
    occurred_at = driver_converter(events_table.c.occurred_at, connection.dialect)(utcnow())
    action, changed_fields = f"{table.name}.create", json_text(names)
    events = []
    for row in rows:
        pk = row[key[0]] if len(key) == 1 else "/".join(str(row[k]) for k in key)
        changes = {name: MASK if name in masked else _plain(row.get(name)) for name in names}
        events.append((occurred_at, actor, actor_type, action, table.name,
                       None if pk is None else str(pk), changed_fields, json_text(changes),
                       request_id))
    insert_rows(connection, events_table, _EVENT_COLUMNS, events)


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_bulk_statement)


install()
