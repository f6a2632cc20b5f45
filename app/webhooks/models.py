"""Webhooks: endpoints the Servicebüro registers and the outbox of deliveries to them.

One delivery row per endpoint and event, written in the transaction of the change that caused
the event (``app.webhooks.service.emit``) and sent later by the worker or
``buendnis send-webhooks`` (``app.webhooks.delivery``)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.columns import enum_column, json_column, now_column, optional_timestamp


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class WebhookEndpoint(SQLModel, table=True):
    """A URL that is told about chosen events; for one machine client (deliveries then carry
    only events about alliances that client may see) or, without a client, for the
    Servicebüro's own systems."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    client_pk: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("api_client.id", ondelete="CASCADE"), nullable=True, index=True))
    # Masked in the audit trail: partners sometimes put a token into the URL.
    url: str = Field(sa_column=Column(String(2000), nullable=False, info={"personal": True}))
    event_types: list[str] = json_column(list)
    description: str = Field(default="", sa_column=Column(String(500), nullable=False))
    is_active: bool = Field(default=True, index=True)
    # ``whsec_`` + base64 of the key; the previous one stays valid until it expires (rotation).
    secret: str = Field(sa_column=Column(String(100), nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    previous_secret_expires_at: datetime | None = optional_timestamp()
    # Deliveries given up in a row; at the configured number the endpoint is disabled.
    consecutive_failures: int = 0
    disabled_at: datetime | None = optional_timestamp()
    version: int = 1
    created_by: str = Field(sa_column=Column(String(40), nullable=False))
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: pending until sent, or given up (failed)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("endpoint_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(sa_column=Column(
        Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False, index=True))
    # The Standard Webhooks ``webhook-id``: the same for every attempt and every endpoint.
    message_id: str = Field(sa_column=Column(String(40), nullable=False))
    event_type: str = Field(sa_column=Column(String(50), nullable=False))
    # The exact body sent (JSON text), so every attempt signs the same bytes.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: DeliveryStatus = enum_column(DeliveryStatus.pending, length=10, index=True)
    attempts: int = 0
    next_attempt_at: datetime = now_column()
    last_attempt_at: datetime | None = optional_timestamp()
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    delivered_at: datetime | None = optional_timestamp()
    created_at: datetime = now_column()
