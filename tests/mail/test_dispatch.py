"""The outbox dispatcher against a real SMTP server on 127.0.0.1."""

import logging
import secrets
from datetime import timedelta
from functools import partial

import anyio
import pytest
from sqlmodel import select

from app.core.config import Settings
from app.core.db import utcnow
from app.mail import outbox
from app.mail.dispatch import dispatch_due
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.senders import (
    LogSender,
    MailNotConfigured,
    SmtpSender,
    build_email,
    sender_from_settings,
)
from tests.mail.smtp import down_sender

SUBJECT = "Bündnisumfrage 2024/25: Ihre Chance auf das Siegel „Ausgezeichnetes Bündnis 2024/25“"
BODY = "Guten Tag,\n\nbitte füllen Sie die Umfrage aus. Grüße aus Fürth – Ihr Servicebüro\n"


def dispatch(session, sender, now=None, **settings):
    return anyio.run(partial(dispatch_due, session, sender, now, settings=Settings(**settings)))


def queue(session, recipient="kontakt@buendnis-fuerth.example.org", subject=SUBJECT, body=BODY):
    message = outbox.enqueue(session, recipient, subject, body)
    session.commit()
    return message


def reload(session, message):
    return session.exec(select(OutboxMessage).where(OutboxMessage.id == message.id)
                        .execution_options(populate_existing=True)).one()


def test_delivers_german_mail_with_correct_encoding(session, smtp_server):
    message = queue(session)

    report = dispatch(session, smtp_server.sender())

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [received] = smtp_server.received
    assert received.rcpt_tos == ["kontakt@buendnis-fuerth.example.org"]
    assert received.mail_from == Settings().mail_from
    assert received.message["Subject"] == SUBJECT
    assert received.message["To"] == "kontakt@buendnis-fuerth.example.org"
    assert received.message.get_content().replace("\r\n", "\n") == BODY
    assert received.message.get_content_charset() == "utf-8"
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert f"outbox-{message.id}" in received.message["Message-ID"]
    # On the wire the headers are RFC 2047 and the body quoted-printable: 7-bit clean.
    assert received.raw.isascii()
    assert b"Subject: =?utf-8?" in received.raw
    row = reload(session, message)
    assert row.status == OutboxStatus.sent
    assert row.attempts == 1
    assert row.sent_at is not None and row.last_error is None


def test_server_down_keeps_the_message_queued_and_backs_off(session):
    message = queue(session)
    now = utcnow()

    report = dispatch(session, down_sender(), now)

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    row = reload(session, message)
    assert row.status == OutboxStatus.queued
    assert row.attempts == 1
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert row.last_error and "Connect" in row.last_error
    # Not due again within the same minute: a second pass leaves it alone.
    assert dispatch(session, down_sender(), now + timedelta(seconds=30)).attempted == 0
    assert reload(session, message).attempts == 1


def test_backoff_grows_then_gives_up_after_max_attempts(session):
    message = queue(session)
    now = utcnow()
    waits = []
    for _ in range(4):
        dispatch(session, down_sender(), now)
        row = reload(session, message)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                     timedelta(hours=2)]
    assert reload(session, message).status == OutboxStatus.queued

    report = dispatch(session, down_sender(), now)

    assert report.failed == 1
    row = reload(session, message)
    assert row.status == OutboxStatus.failed
    assert row.attempts == 5
    assert row.sent_at is None
    # A failed message is never tried again.
    assert dispatch(session, down_sender(), now + timedelta(days=1)).attempted == 0


def test_max_attempts_and_backoff_come_from_settings(session):
    message = queue(session)
    now = utcnow()
    dispatch(session, down_sender(), now, mail_max_attempts=2, mail_retry_backoff_seconds=[10])
    assert reload(session, message).next_attempt_at == now + timedelta(seconds=10)
    dispatch(session, down_sender(), now + timedelta(seconds=10), mail_max_attempts=2)
    assert reload(session, message).status == OutboxStatus.failed


def test_a_later_success_marks_the_message_sent(session, smtp_server):
    message = queue(session)
    now = utcnow()
    dispatch(session, down_sender(), now)
    dispatch(session, down_sender(), now + timedelta(minutes=1))
    assert smtp_server.received == []

    report = dispatch(session, smtp_server.sender(), now + timedelta(minutes=6))

    assert report.sent == 1
    row = reload(session, message)
    assert row.status == OutboxStatus.sent
    assert row.attempts == 3
    assert row.sent_at == now + timedelta(minutes=6)
    assert row.last_error is None
    assert len(smtp_server.received) == 1


def test_a_mailbox_the_server_rejects_fails_at_once(session, smtp_server):
    smtp_server.collector.reject.add("weg@example.org")
    gone = queue(session, recipient="weg@example.org")
    fine = queue(session, recipient="da@example.org")

    report = dispatch(session, smtp_server.sender())

    assert (report.sent, report.failed) == (1, 1)
    row = reload(session, gone)
    assert row.status == OutboxStatus.failed
    assert row.attempts == 1
    assert row.last_error and row.last_error.startswith("550")
    assert reload(session, fine).status == OutboxStatus.sent


def test_messages_not_yet_due_wait(session, smtp_server):
    message = queue(session)
    message.next_attempt_at = utcnow() + timedelta(hours=1)
    session.add(message)
    session.commit()

    assert dispatch(session, smtp_server.sender()).attempted == 0
    assert smtp_server.received == []
    assert reload(session, message).attempts == 0


def test_batches_until_nothing_is_due(session, smtp_server):
    for n in range(7):
        queue(session, recipient=f"empfaenger{n}@example.org")

    report = dispatch(session, smtp_server.sender(), mail_batch_size=3)

    assert report.sent == 7
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        f"empfaenger{n}@example.org" for n in range(7)
    ]


def test_a_claim_is_exclusive_until_its_lease_ends(session):
    message = queue(session)
    now = utcnow()

    first = outbox.claim_due(session, now, limit=10, claim_seconds=600)
    second = outbox.claim_due(session, now, limit=10, claim_seconds=600)

    assert [m.id for m in first] == [message.id]
    assert second == []
    # The dispatcher that claimed it died: after the lease another one takes it over.
    later = outbox.claim_due(session, now + timedelta(seconds=600), limit=10, claim_seconds=600)
    assert [m.id for m in later] == [message.id]
    assert later[0].attempts == 2


def test_an_outcome_for_a_settled_message_changes_nothing(session):
    message = queue(session)
    now = utcnow()
    outbox.claim_due(session, now, limit=1, claim_seconds=600)
    outbox.record_sent(session, message.id, now)

    outbox.record_failure(session, message.id, now, "late failure", permanent=True,
                          backoff_seconds=[60], max_attempts=5)

    row = reload(session, message)
    assert row.status == OutboxStatus.sent and row.last_error is None


def test_log_sender_logs_the_message_id_only(session, caplog):
    message = queue(session, recipient="geheim.person@example.org")

    with caplog.at_level(logging.DEBUG, logger="buendnis.mail"):
        report = dispatch(session, LogSender())

    assert report.sent == 1
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert str(message.id) in text
    assert "geheim.person" not in text
    assert "Bündnisumfrage" not in text and "Fürth" not in text


def test_failures_are_logged_without_the_address(session, caplog):
    queue(session, recipient="geheim.person@example.org")

    with caplog.at_level(logging.DEBUG, logger="buendnis.mail"):
        dispatch(session, down_sender())

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "not delivered" in text
    assert "geheim.person" not in text


def test_sender_follows_the_smtp_settings():
    assert isinstance(sender_from_settings(Settings(smtp_host=None)), LogSender)
    sender = sender_from_settings(Settings(
        smtp_host="mail.example.org", smtp_port=587, smtp_username="u", smtp_password="p",
        smtp_starttls=True, smtp_timeout_seconds=7,
    ))
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.username, sender.password) == ("mail.example.org", 587, "u", "p")
    assert sender.starttls is True and sender.use_tls is False and sender.timeout == 7


def test_production_never_falls_back_to_the_log_sender():
    """The log sender keeps nothing of a message and the outbox would call it sent."""
    production = Settings(env="production", jwt_secret=secrets.token_hex(32), smtp_host=None)
    with pytest.raises(MailNotConfigured, match="BUENDNIS_SMTP_HOST"):
        sender_from_settings(production)
    smtp = production.model_copy(update={"smtp_host": "mail.example.org"})
    assert isinstance(sender_from_settings(smtp), SmtpSender)


def test_build_email_uses_the_configured_sender_address(session):
    message = queue(session)
    built = build_email(message, "umfrage@buendnisse.example.org")
    assert built["From"] == "umfrage@buendnisse.example.org"
    assert built["Message-ID"].endswith("@buendnisse.example.org>")
