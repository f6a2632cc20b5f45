"""Delivery of the outbox: ``dispatch_due`` runs one pass; the app may run passes in the
background (``BUENDNIS_MAIL_DISPATCH=true``) and cron may run ``buendnis send-mail``.

Database steps run in the database worker threads; sending is awaited on the event loop, and
no database transaction stays open while a message is on the wire.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import new_session, run_in_db_thread, utcnow
from app.core.logging import set_actor
from app.mail import outbox
from app.mail.models import OutboxStatus
from app.mail.senders import DeliveryError, MailSender, build_email, sender_from_settings

logger = logging.getLogger("buendnis.mail")
MAX_BATCHES_PER_PASS = 100


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed

    def add(self, status: OutboxStatus | None) -> None:
        if status == OutboxStatus.sent:
            self.sent += 1
        elif status == OutboxStatus.failed:
            self.failed += 1
        elif status == OutboxStatus.queued:
            self.retrying += 1


async def dispatch_due(
    session: Session, sender: MailSender, now: datetime | None = None, *,
    settings: Settings | None = None, should_stop: Callable[[], bool] | None = None,
) -> DispatchReport:
    """Send every message due at ``now`` (default: the clock, read afresh for each step).

    Works through batches of ``mail_batch_size`` until none is left; each outcome is committed
    as soon as it is known, so a crash loses at most the messages on the wire (which the claim
    lease then hands to the next pass).

    ``should_stop`` (the worker's SIGTERM) is asked before each message: the message on the
    wire is finished and settled, the rest of the batch is handed back at once."""
    settings = settings or get_settings()
    report = DispatchReport()
    for _ in range(MAX_BATCHES_PER_PASS):
        claimed = await run_in_db_thread(partial(
            outbox.claim_due, session, now or utcnow(), limit=settings.mail_batch_size,
            claim_seconds=settings.mail_claim_seconds,
        ))
        for index, row in enumerate(claimed):
            assert row.id is not None
            if should_stop is not None and should_stop():
                rest = [r.id for r in claimed[index:] if r.id is not None]
                await run_in_db_thread(partial(outbox.release, session, rest))
                logger.info("mail pass stopped: %d claimed message(s) handed back", len(rest))
                return report
            try:
                await sender.send(build_email(row, settings.mail_from), outbox_id=row.id)
            except DeliveryError as exc:
                settled = await run_in_db_thread(partial(
                    outbox.record_failure, session, row.id, now or utcnow(), exc.reason,
                    permanent=exc.permanent, backoff_seconds=settings.mail_retry_backoff_seconds,
                    max_attempts=settings.mail_max_attempts,
                ))
            else:
                settled = await run_in_db_thread(
                    partial(outbox.record_sent, session, row.id, now or utcnow())
                )
            report.add(settled.status if settled is not None else None)
        if len(claimed) < settings.mail_batch_size:
            break
    if report.attempted:
        logger.info("mail pass: %d sent, %d to retry, %d failed",
                    report.sent, report.retrying, report.failed)
    return report


async def run_dispatcher(stop: asyncio.Event, settings: Settings) -> None:
    """Run passes until ``stop`` is set. A failing pass is logged, never fatal."""
    set_actor("system")
    sender = sender_from_settings(settings)
    while not stop.is_set():
        session = new_session()
        try:
            await dispatch_due(session, sender, settings=settings)
        except Exception:
            # The type and frames only (see JsonFormatter): messages may quote addresses.
            logger.exception("mail dispatch pass failed")
        finally:
            await run_in_db_thread(session.close)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.mail_dispatch_interval_seconds)


def mail_lifespan(settings: Settings) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """The app lifespan: runs the background dispatcher when ``BUENDNIS_MAIL_DISPATCH`` is true
    (several app processes may each run one: claims keep them apart)."""

    @asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        if not settings.mail_dispatch:
            yield
            return
        sender_from_settings(settings)  # a production process without SMTP refuses to start
        stop = asyncio.Event()
        task = asyncio.create_task(run_dispatcher(stop, settings), name="mail-dispatcher")
        logger.info("mail dispatcher started")
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, timeout=settings.smtp_timeout_seconds + 5)
            except TimeoutError:
                logger.warning("mail dispatcher did not stop in time; cancelled")
            logger.info("mail dispatcher stopped")

    return lifespan
