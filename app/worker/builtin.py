"""The jobs the worker runs out of the box: mail and webhook delivery, survey reminders that are
due (when switched on), and retention."""

import asyncio
from datetime import timedelta

from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.core.idempotency import purge_expired
from app.mail.dispatch import DispatchReport, dispatch_due
from app.mail.senders import sender_from_settings
from app.notices.reminders import remind_open_cycles
from app.privacy.retention import RetentionPolicy, apply_retention
from app.webhooks.delivery import SendReport, purge_settled, send_due
from app.worker.jobs import register, stop_requested


def deliver_mail(session: Session) -> DispatchReport:
    settings = get_settings()
    return asyncio.run(dispatch_due(session, sender_from_settings(settings), settings=settings,
                                    should_stop=stop_requested))


def deliver_webhooks(session: Session) -> SendReport:
    return send_due(session, settings=get_settings(), should_stop=stop_requested)


def retention(session: Session) -> str:
    report = apply_retention(session, RetentionPolicy.from_settings(get_settings()), dry_run=False)
    purged = purge_expired(session)
    settings = get_settings()
    deliveries = purge_settled(
        session, utcnow() - timedelta(days=settings.webhook_delivery_retention_days))
    return (f"{report.messages} e-mail(s), {report.delegates} delegate(s), "
            f"{report.inquiries} inquiry(ies) anonymised; {purged} idempotency record(s) and "
            f"{deliveries} webhook delivery(ies) purged")


register("mail", lambda: get_settings().worker_poll_seconds, deliver_mail)
register("webhooks", lambda: get_settings().worker_poll_seconds, deliver_webhooks)
def reminders(session: Session) -> str:
    if not get_settings().reminders_automatic:
        return "off (BUENDNIS_REMINDERS_AUTOMATIC)"
    reports = remind_open_cycles(session)
    queued = sum(report.reminders_queued for report in reports)
    return f"{queued} reminder(s) queued in {len(reports)} open survey(s)"


register("reminders", lambda: get_settings().reminder_check_interval_seconds, reminders)
register("retention", lambda: get_settings().retention_interval_seconds, retention)
