"""Shared steps of the webhook tests."""

import json
from typing import Any

from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook

from app.webhooks.models import WebhookDelivery
from tests.webhooks.receiver import Received

ENDPOINTS = "/api/v1/webhooks/endpoints"
ALL_TYPES = ["response.submitted", "response.reopened", "evaluation_run.recorded",
             "award.confirmed", "award.withdrawn", "delegate.registered", "delegate.waitlisted",
             "delegate.withdrawn",
             "delegate.promoted", "event.published", "event.cancelled",
             "workgroup_result.published"]


def endpoint_body(url: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url, "event_types": ["award.confirmed"],
                            "description": "Partner sync"}
    body.update(overrides)
    return body


def create_endpoint(client: Any, admin: dict[str, str], url: str, **overrides: Any) -> dict[str, Any]:
    created = client.post(ENDPOINTS, headers=admin, json=endpoint_body(url, **overrides))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def verify(secret: str, request: Received) -> dict[str, Any]:
    """Check the signature with the standardwebhooks package (not our code); the payload."""
    payload: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return payload


def deliveries(session: Session, endpoint_id: int | None = None) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).order_by(col(WebhookDelivery.id))
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    session.expire_all()
    return list(session.exec(query).all())


def payload_of(delivery: WebhookDelivery) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(delivery.payload)
    return document
