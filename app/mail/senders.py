"""Senders hand one e-mail to the outside world: SMTP in production, the log in development.

A sender raises ``DeliveryError`` when a message did not go out; ``permanent`` says whether
trying again can help (a mailbox the server rejects for good) or not. Log lines carry the
outbox message id only: recipients, subjects and bodies are personal data.
"""

from __future__ import annotations

import logging
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.utils import format_datetime, make_msgid
from typing import Protocol

import aiosmtplib

from app.core.config import Settings
from app.core.db import utcnow
from app.mail.models import OutboxMessage

logger = logging.getLogger("buendnis.mail")

_MAX_ERROR_CHARS = 500


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:_MAX_ERROR_CHARS]
        self.permanent = permanent


class MailSender(Protocol):
    async def send(self, message: Message[str, str | Header], *, outbox_id: int) -> None:
        """Deliver or raise ``DeliveryError``."""


def build_email(row: OutboxMessage, mail_from: str) -> Message[str, str | Header]:
    """The MIME message for an outbox row: UTF-8, quoted-printable (7-bit clean for every
    relay), the subject as RFC 2047 encoded words.

    Built with the classic API on purpose: Python 3.11's ``EmailMessage`` folding drops the
    space between two encoded words ("Siegel „Ausgezeichnetes" arrives as "Siegel„…"),
    ``email.header.Header`` keeps it inside the encoded word."""
    charset = Charset("utf-8")
    charset.header_encoding = charset.body_encoding = QP
    message: Message[str, str | Header] = Message()
    message["MIME-Version"] = "1.0"
    message.set_payload(row.body, charset)
    message["From"] = mail_from
    message["To"] = row.recipient
    message["Subject"] = Header(row.subject, "utf-8")
    message["Date"] = format_datetime(utcnow())
    domain = mail_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain=domain)
    # Out-of-office replies should not answer a mass mailing (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    return message


def _is_permanent(exc: aiosmtplib.SMTPException) -> bool:
    """5xx answers to the recipient or the content will not change by retrying. A 5xx to our
    login or sender address is our configuration, which an operator can fix: keep retrying."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return exc.code >= 500
    return False


def _describe(exc: Exception) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.code} {r.message}" for r in exc.recipients) or "recipients refused"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}".strip()


class SmtpSender:
    """One connection per message: a bad message or a dropped line affects that message only."""

    def __init__(
        self, host: str, port: int = 25, *, username: str | None = None,
        password: str | None = None, starttls: bool = False, use_tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.use_tls, self.timeout = starttls, use_tls, timeout

    async def send(self, message: Message[str, str | Header], *, outbox_id: int) -> None:
        try:
            await aiosmtplib.send(
                message, hostname=self.host, port=self.port, username=self.username,
                password=self.password, start_tls=self.starttls, use_tls=self.use_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPException as exc:
            permanent = _is_permanent(exc)
            logger.warning("mail %s not delivered (%s%s)", outbox_id, type(exc).__name__,
                           ", permanent" if permanent else "")
            raise DeliveryError(_describe(exc), permanent=permanent) from exc
        except OSError as exc:
            logger.warning("mail %s not delivered (%s)", outbox_id, type(exc).__name__)
            raise DeliveryError(_describe(exc)) from exc
        logger.info("mail %s delivered via SMTP", outbox_id)


class LogSender:
    """Development default: records that a message would have gone out, and nothing of it."""

    async def send(self, message: Message[str, str | Header], *, outbox_id: int) -> None:
        logger.info("mail %s delivered to the log sender (no SMTP host configured)", outbox_id)


class MailNotConfigured(RuntimeError):
    """Production without an SMTP host: the log sender would mark every mail as sent."""


def sender_from_settings(settings: Settings) -> MailSender:
    if not settings.smtp_host:
        if settings.env == "production":
            # The log sender records nothing of the message and the outbox would call it sent,
            # so survey notices would read as delivered. Refuse; the outbox keeps the mail.
            raise MailNotConfigured(
                "BUENDNIS_SMTP_HOST is not set: in production mail goes out over SMTP only "
                "(queued mail stays in the outbox until it is set)"
            )
        return LogSender()
    return SmtpSender(
        settings.smtp_host, settings.smtp_port, username=settings.smtp_username,
        password=settings.smtp_password, starttls=settings.smtp_starttls,
        use_tls=settings.smtp_use_tls, timeout=settings.smtp_timeout_seconds,
    )
