"""``Idempotency-Key``: a retried write returns the stored reply instead of writing again.

Follows the IETF draft "The Idempotency-Key HTTP Header Field": the client sends a unique key
with a POST; the server stores the reply under (caller, key) together with a fingerprint of the
request. The same key again with the same request returns the stored reply (header
``Idempotent-Replayed: true``) and writes nothing; the same key with a different request or on
another endpoint is refused with 422 ``idempotency_key_reused``. Keys are kept for
``RETENTION`` and are private to each caller (two partner systems may use the same key).

Only successful replies are stored: a refused request wrote nothing, so retrying it is safe.
The record is written in the same transaction as the work it describes, so a crash leaves
neither. When two requests with one key race, the unique (actor, key) constraint lets one
commit; the other fails with ``IntegrityError``, rolls back and, on its retry, finds the
winner's reply.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, Response
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.errors import RuleViolation, field_error
from app.core.idempotency_models import IdempotencyRecord

RETENTION = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
        description="A unique key per logical request (e.g. a UUID). A retry with the same key "
        "and body returns the stored reply without writing again; keys are kept for 24 hours "
        "and are private to the caller.",
        examples=["6f1c2a9e-7d4b-4a61-9a55-1f0e2b3c4d5e"],
    ),
]


class IdempotencyKeyReused(RuleViolation):
    code, title = "idempotency_key_reused", "Idempotency-Key already used for another request"


@dataclass(frozen=True)
class IdempotentRequest:
    """One keyed request: who sent it, the key, where to (scope) and the body's fingerprint."""

    actor: str
    key: str
    scope: str
    fingerprint: str


def fingerprint(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a request body (key order and spacing do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _reused(request: IdempotentRequest, detail: str) -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        detail, errors=[field_error(["header", "Idempotency-Key"], detail, "idempotency_key_reused")]
    )


def stored_reply(session: Session, request: IdempotentRequest) -> dict[str, Any] | None:
    """The stored reply body for this key, or None when the key is new (or expired)."""
    record = session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.actor == request.actor,
                                        IdempotencyRecord.key == request.key)
    ).first()
    if record is None:
        return None
    if record.created_at < utcnow() - RETENTION:
        session.delete(record)
        session.flush()
        return None
    if record.scope != request.scope:
        raise _reused(request, f"This key was used for {record.scope}; use a new key.")
    if record.request_hash != request.fingerprint:
        raise _reused(request, "This key was used with a different request body; use a new key "
                      "for a new request.")
    return dict(record.response)


def remember(session: Session, request: IdempotentRequest, status_code: int,
             body: dict[str, Any]) -> None:
    """Store the reply in the caller's transaction (flushes only; the caller commits).

    Raises ``IntegrityError`` when a concurrent request with the same key committed first: the
    caller rolls back and retries, and ``stored_reply`` then returns the winner's reply.
    """
    session.add(IdempotencyRecord(
        actor=request.actor, key=request.key, scope=request.scope,
        request_hash=request.fingerprint, status_code=status_code, response=body,
    ))
    session.flush()


def mark_replayed(response: Response) -> None:
    response.headers[REPLAY_HEADER] = "true"


def purge_expired(session: Session) -> int:
    """Delete records past their retention; returns how many (for a periodic job)."""
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < utcnow() - RETENTION)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


