"""Sending the webhook outbox: ``send_due`` runs one pass (the worker's ``webhooks`` job and
``buendnis send-webhooks`` call it), never inside a request.

Claiming is the mail outbox's pattern: due rows of active endpoints are locked (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL) and leased in one committed step (``next_attempt_at`` pushed out,
the attempt counted), so two senders never take the same row and a row whose sender died is
taken again when the lease ends. No transaction stays open while a request is on the wire.
Outcomes are written only while the row is still pending and leased by this attempt."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, ScalarSelect, delete, update
from sqlmodel import Session, col, select

from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.core.metrics import WEBHOOK_FAILURES
from app.mail.outbox import retry_at
from app.webhooks import service, signing, urls
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("buendnis.webhooks")
MAX_BATCHES_PER_PASS = 100
USER_AGENT = "Buendnisportal-Webhooks/1"


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    endpoint_id: int
    attempts: int
    message_id: str
    event_type: str
    payload: str
    url: str
    secrets: tuple[str, ...]


def _secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


def claim_due(session: Session, now: datetime, *, limit: int, claim_seconds: int) -> list[Claimed]:
    """Take up to ``limit`` due deliveries of active endpoints and commit the claim."""
    active = select(WebhookEndpoint.id).where(col(WebhookEndpoint.is_active).is_(True))
    due = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == DeliveryStatus.pending,
               col(WebhookDelivery.next_attempt_at) <= now,
               col(WebhookDelivery.endpoint_id).in_(active))
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Lock first, then claim (see app.mail.outbox.claim_due for why not in one statement).
        picked: Sequence[int] | ScalarSelect[int] = list(
            session.execute(due.with_for_update(skip_locked=True)).scalars().all())
        if not picked:
            session.commit()
            return []
    else:
        picked = due.scalar_subquery()
    claim = (
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(picked),
               col(WebhookDelivery.status) == DeliveryStatus.pending,
               col(WebhookDelivery.next_attempt_at) <= now)
        .values(next_attempt_at=now + timedelta(seconds=claim_seconds),
                attempts=col(WebhookDelivery.attempts) + 1, last_attempt_at=now)
        .returning(col(WebhookDelivery.id))
        .execution_options(synchronize_session=False)
    )
    ids = list(session.execute(claim).scalars().all())
    claimed: list[Claimed] = []
    if ids:
        rows = session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(col(WebhookDelivery.id).in_(ids)).order_by(col(WebhookDelivery.id))
            .execution_options(populate_existing=True)
        ).all()
        for delivery, endpoint in rows:
            assert delivery.id is not None
            claimed.append(Claimed(delivery.id, delivery.endpoint_id, delivery.attempts,
                                   delivery.message_id,
                                   delivery.event_type, delivery.payload, endpoint.url,
                                   _secrets(endpoint, now)))
    session.commit()
    return claimed


def release(session: Session, claimed: Sequence[Claimed]) -> None:
    """Hand claimed but unsent deliveries back (a stopping sender), the attempt not counted."""
    for item in claimed:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == item.delivery_id,
                   col(WebhookDelivery.status) == DeliveryStatus.pending,
                   col(WebhookDelivery.attempts) == item.attempts)
            .values(next_attempt_at=utcnow(), attempts=item.attempts - 1)
            .execution_options(synchronize_session=False))
    session.commit()


def _settle(session: Session, item: Claimed, **values: Any) -> bool:
    """Write ``values`` if the delivery is still pending under this attempt's claim."""
    result = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == item.delivery_id,
               col(WebhookDelivery.status) == DeliveryStatus.pending,
               col(WebhookDelivery.attempts) == item.attempts)
        .values(**values)
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def record_success(session: Session, item: Claimed, now: datetime, status_code: int) -> bool:
    """Mark the delivery sent and end the endpoint's run of failures. The endpoint is written
    first (locks in the order endpoint, delivery, as deleting an endpoint takes them; and on
    SQLite a write first takes the write lock at once)."""
    session.execute(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == item.endpoint_id,
               col(WebhookEndpoint.consecutive_failures) > 0)
        .values(consecutive_failures=0)
        .execution_options(synchronize_session=False))
    settled = _settle(session, item, status=DeliveryStatus.succeeded, delivered_at=now,
                      last_status_code=status_code, last_error=None)
    if settled:
        session.commit()
    else:
        session.rollback()  # not ours any more: leave the endpoint as it was
    return settled


def _count_give_up(session: Session, endpoint_id: int) -> int | None:
    result = session.execute(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == endpoint_id)
        .values(consecutive_failures=col(WebhookEndpoint.consecutive_failures) + 1)
        .returning(col(WebhookEndpoint.consecutive_failures))
        .execution_options(synchronize_session=False))
    return result.scalar_one_or_none()


def record_failure(session: Session, item: Claimed, now: datetime, reason: str,
                   status_code: int | None, settings: Settings,
                   ) -> tuple[DeliveryStatus | None, bool]:
    """Schedule the next attempt, or give up after the last; a give-up counts towards the
    endpoint's auto-disable. ``410 Gone`` is the receiver saying "stop": the delivery is
    given up and the endpoint disabled at once (as Standard Webhooks and pretix do). Returns
    the delivery's new status (None: not ours any more) and whether the endpoint was disabled
    now."""
    gone = status_code == 410
    retry = None if gone else retry_at(item.attempts, now, settings.webhook_retry_backoff_seconds,
                                       settings.webhook_max_attempts)
    values: dict[str, Any] = {"last_error": reason[:300], "last_status_code": status_code}
    failures = None
    if retry is None:
        values["status"] = DeliveryStatus.failed
        failures = _count_give_up(session, item.endpoint_id)  # the endpoint first, as above
    else:
        values["next_attempt_at"] = retry
    if not _settle(session, item, **values):
        session.rollback()
        return None, False
    WEBHOOK_FAILURES.labels("failed" if retry is None else "retrying").inc()
    disabled = False
    limit = settings.webhook_disable_after_failures
    if failures is not None and (gone or (limit and failures >= limit)):
        endpoint = session.get(WebhookEndpoint, item.endpoint_id, populate_existing=True)
        if endpoint is not None and endpoint.is_active:
            service.disable_after_failures(session, endpoint, failures)
            disabled = True
            logger.warning("webhook endpoint %s disabled after %d failed deliveries",
                           endpoint.id, failures)
    session.commit()
    return (DeliveryStatus.failed if retry is None else DeliveryStatus.pending), disabled


def attempt(http: httpx.Client, item: Claimed, now: datetime,
            settings: Settings) -> tuple[int | None, str | None]:
    """One HTTP attempt: (status code, None) on a 2xx, else (status code or None, reason)."""
    try:
        target = urls.check(item.url, settings)
    except urls.UnsafeUrl as exc:
        return None, f"URL refused: {exc}"
    timestamp = int(now.timestamp())
    headers = signing.headers(item.secrets, item.message_id, timestamp, item.payload)
    headers["host"] = target.host_header
    headers["user-agent"] = USER_AGENT
    extensions = {"sni_hostname": target.server_name} if target.pinned else None
    try:
        # Streamed and never read: only the status counts, and a hostile endpoint cannot
        # make the sender hold a huge answer in memory.
        with http.stream("POST", target.url, content=item.payload.encode(), headers=headers,
                         extensions=extensions, follow_redirects=False) as response:
            status = response.status_code
    except httpx.TimeoutException:
        return None, "timed out"
    except httpx.HTTPError as exc:
        return None, f"connection failed ({type(exc).__name__})"
    if 200 <= status < 300:
        return status, None
    return status, f"HTTP {status}"


def send_due(session: Session, now: datetime | None = None, *, settings: Settings | None = None,
             should_stop: Callable[[], bool] | None = None,
             http: httpx.Client | None = None) -> SendReport:
    """Send every delivery due at ``now`` (default: the clock, read afresh for each step)."""
    settings = settings or get_settings()
    report = SendReport()
    own_client = http is None
    http = http or httpx.Client(timeout=settings.webhook_timeout_seconds,
                                follow_redirects=False, trust_env=False)
    try:
        for _ in range(MAX_BATCHES_PER_PASS):
            claimed = claim_due(session, now or utcnow(), limit=settings.webhook_batch_size,
                                claim_seconds=settings.webhook_claim_seconds)
            disabled: set[int] = set()
            for index, item in enumerate(claimed):
                if should_stop is not None and should_stop():
                    release(session, claimed[index:])
                    return report
                if item.endpoint_id in disabled:
                    release(session, [item])  # waits for the endpoint to be enabled again
                    continue
                status_code, reason = attempt(http, item, now or utcnow(), settings)
                if reason is None:
                    assert status_code is not None
                    if record_success(session, item, now or utcnow(), status_code):
                        report.sent += 1
                    continue
                outcome, now_disabled = record_failure(session, item, now or utcnow(), reason,
                                                       status_code, settings)
                if now_disabled:
                    disabled.add(item.endpoint_id)
                if outcome == DeliveryStatus.failed:
                    report.failed += 1
                elif outcome == DeliveryStatus.pending:
                    report.retrying += 1
            if len(claimed) < settings.webhook_batch_size:
                break
    finally:
        if own_client:
            http.close()
    return report


def purge_settled(session: Session, older_than: datetime) -> int:
    """Delete deliveries sent or given up before ``older_than`` (pending ones stay)."""
    result = session.execute(
        delete(WebhookDelivery)
        .where(col(WebhookDelivery.status) != DeliveryStatus.pending,
               col(WebhookDelivery.created_at) < older_than)
        .execution_options(synchronize_session=False))
    session.commit()
    return cast(CursorResult[Any], result).rowcount

