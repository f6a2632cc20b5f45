"""Webhook endpoints and deliveries as the Servicebüro's API shows them. Inputs forbid unknown
fields; the secret is never read back, only shown once on creation and on rotation."""

import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from app.core.schemas import ReadModel, StrictInput
from app.webhooks.events import EventType
from app.webhooks.models import DeliveryStatus

_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _plain_line(value: str) -> str:
    value = value.strip()
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI for ch in value):
        raise ValueError("may not contain control or bidirectional formatting characters")
    return value


def _distinct(values: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(values))


Url = Annotated[str, Field(min_length=1, max_length=2000,
                           description="Where events are POSTed: https (http only outside "
                           "production); no user info; must not resolve to a loopback, "
                           "private or link-local address",
                           examples=["https://partner.example.org/hooks/buendnis"]),
                AfterValidator(_plain_line)]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType),
                                              description="The events to send (each once)"),
                       AfterValidator(_distinct)]
Description = Annotated[str, Field(max_length=500, description="What the endpoint is for"),
                        AfterValidator(_plain_line)]


class WebhookEndpointCreate(StrictInput):
    """A new endpoint; the answer shows its signing secret, once."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "url": "https://partner.example.org/hooks/buendnis", "client_pk": 1,
        "event_types": ["award.confirmed", "award.withdrawn"],
        "description": "Seal registry sync of the partner",
    }]})

    url: Url
    event_types: EventTypes
    client_pk: int | None = Field(
        default=None, ge=1, le=2**31 - 1, strict=True,
        description="The machine client (as in /clients/{client_pk}) the endpoint belongs "
        "to: it then gets only events about alliances that client may see. Null: the "
        "Servicebüro's own systems (every event)")
    description: Description = ""
    is_active: bool = Field(default=True, strict=True)


class WebhookEndpointUpdate(StrictInput):
    """Every field optional; send only what changes (none of them may be null). Setting
    ``is_active`` to true re-enables an endpoint that was disabled after failures."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"is_active": False}]})

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    is_active: bool | None = Field(default=None, strict=True)


class WebhookEndpointRead(ReadModel):
    id: int
    client_pk: int | None = Field(description="The machine client; null: the Servicebüro's own")
    url: str
    event_types: list[EventType]
    description: str
    is_active: bool
    disabled_at: datetime | None = Field(
        description="When the endpoint was disabled after repeated failed deliveries")
    consecutive_failures: int = Field(description="Deliveries given up in a row")
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation: until when the old secret still signs too")
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointRead):
    secret: str = Field(description="The signing secret (Standard Webhooks, `whsec_…`); shown "
                        "only now", examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])


class WebhookDeliveryRead(ReadModel):
    id: int
    endpoint_id: int
    message_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    event_type: str = Field(examples=["award.confirmed"])
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = Field(description="The endpoint's last HTTP status, if any")
    last_error: str | None = Field(description="Why the last attempt failed, if it did")
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="Null unless pending")
    delivered_at: datetime | None
    created_at: datetime
