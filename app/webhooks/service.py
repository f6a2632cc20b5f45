"""Webhook endpoints (the Servicebüro's CRUD, secret rotation, deliveries, redelivery, the
test event) and ``emit``, which the other domains call inside the transaction of a change.

``emit`` only adds rows (one per endpoint that wants the event and may see it) and flushes:
if the change is rolled back, so is the event. Sending is ``app.webhooks.delivery``'s job."""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from app.audit import recorder
from app.auth.models import ApiClient, ApiClientAlliance
from app.auth.principal import Principal
from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.core.errors import field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, paginate
from app.webhooks import signing, urls
from app.webhooks.events import DATA_SCHEMAS, TEST_EVENT, EventData, TestEventData
from app.webhooks.exceptions import (
    DeliveryNotFound,
    DeliveryPending,
    InvalidWebhookEndpoint,
    WebhookEndpointInactive,
    WebhookEndpointNotFound,
)
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.webhooks.schemas import (
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

ETAG_RESOURCE = "webhook-endpoint"
_EDITABLE = ("url", "event_types", "description", "is_active")


# --- emitting -----------------------------------------------------------------------------------

def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def body_of(event_type: str, data: EventData) -> str:
    """The JSON body sent for an event (compact, so every attempt signs the same bytes)."""
    document = {"type": event_type, "timestamp": utcnow().isoformat(),
                "data": data.model_dump(mode="json")}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _client_may_see(session: Session, endpoint: WebhookEndpoint, alliance_id: int | None,
                    clients: dict[int, ApiClient | None]) -> bool:
    if endpoint.client_pk is None:
        return True  # the Servicebüro's own systems see everything
    if endpoint.client_pk not in clients:
        clients[endpoint.client_pk] = session.get(ApiClient, endpoint.client_pk)
    client = clients[endpoint.client_pk]
    if client is None or not client.is_active:
        return False
    if alliance_id is None or not client.restricted_to_alliances:
        return True
    return session.get(ApiClientAlliance, (endpoint.client_pk, alliance_id)) is not None


def emit(session: Session, event_type: str, data: EventData) -> int:
    """Queue ``event_type`` for every active endpoint that chose it and may see it (an event
    with an ``alliance_id`` reaches a client's endpoint only if that client may see the
    alliance). Flushes only; returns how many deliveries were queued."""
    return emit_many(session, event_type, [data])


def emit_many(session: Session, event_type: str, events: Sequence[EventData]) -> int:
    """``emit`` for several events of one type (bulk work): the endpoints are read once."""
    expected = DATA_SCHEMAS.get(event_type)
    for data in events:
        if expected is None or not isinstance(data, expected):
            raise TypeError(f"{event_type!r} carries {expected}, not {type(data).__name__}")
    if not events:
        return 0
    endpoints = session.exec(select(WebhookEndpoint).where(
        col(WebhookEndpoint.is_active).is_(True)).order_by(col(WebhookEndpoint.id))).all()
    wanted = [e for e in endpoints if event_type in e.event_types]
    if not wanted:
        return 0
    clients: dict[int, ApiClient | None] = {}
    queued, now = 0, utcnow()
    for data in events:
        alliance_id = getattr(data, "alliance_id", None)
        targets = [e for e in wanted if _client_may_see(session, e, alliance_id, clients)]
        if not targets:
            continue
        message_id, body = new_message_id(), body_of(event_type, data)
        for endpoint in targets:
            assert endpoint.id is not None
            session.add(WebhookDelivery(endpoint_id=endpoint.id, message_id=message_id,
                                        event_type=event_type, payload=body,
                                        next_attempt_at=now, created_at=now))
        queued += len(targets)
    session.flush()
    return queued


# --- endpoints ----------------------------------------------------------------------------------

def check_url(url: str, settings: Settings | None = None) -> None:
    """Refuse a URL that may not be used (form, scheme, private address); does DNS, so the
    router runs it in a thread of its own, outside the database slot."""
    try:
        urls.check(url, settings or get_settings())
    except urls.UnsafeUrl as exc:
        raise InvalidWebhookEndpoint("The URL cannot be used for a webhook endpoint.", errors=[
            field_error(["body", "url"], str(exc), "url_refused")]) from exc


def to_read(endpoint: WebhookEndpoint) -> WebhookEndpointRead:
    return WebhookEndpointRead.model_validate(_fields(endpoint))


def _fields(endpoint: WebhookEndpoint) -> dict[str, Any]:
    expires = endpoint.previous_secret_expires_at
    return {
        "id": endpoint.id, "client_pk": endpoint.client_pk, "url": endpoint.url,
        "event_types": endpoint.event_types, "description": endpoint.description,
        "is_active": endpoint.is_active, "disabled_at": endpoint.disabled_at,
        "consecutive_failures": endpoint.consecutive_failures,
        "previous_secret_expires_at": expires if endpoint.previous_secret else None,
        "version": endpoint.version, "created_by": endpoint.created_by,
        "created_at": endpoint.created_at, "updated_at": endpoint.updated_at,
    }


def _with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret.model_validate({**_fields(endpoint),
                                                     "secret": endpoint.secret})


def _get(session: Session, endpoint_id: int, *, for_update: bool = False) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=for_update)
    if endpoint is None:
        raise WebhookEndpointNotFound(f"No webhook endpoint {endpoint_id}.")
    return endpoint


def list_endpoints(session: Session, params: PageParams, *, client_pk: int | None = None,
                   ) -> tuple[list[WebhookEndpointRead], str | None, int | None]:
    query = select(WebhookEndpoint)
    if client_pk is not None:
        query = query.where(WebhookEndpoint.client_pk == client_pk)
    key = SortKey(col(WebhookEndpoint.id), col(WebhookEndpoint.id))
    rows, cursor, total = paginate(session, query, key, params, value_of=lambda e: e.id,
                                   id_of=lambda e: e.id)
    return [to_read(e) for e in rows], cursor, total


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpointRead:
    return to_read(_get(session, endpoint_id))


def create_endpoint(session: Session, data: WebhookEndpointCreate,
                    principal: Principal) -> WebhookEndpointWithSecret:
    if data.client_pk is not None and session.get(ApiClient, data.client_pk) is None:
        raise InvalidWebhookEndpoint(f"There is no machine client {data.client_pk}.", errors=[
            field_error(["body", "client_pk"], "no such client", "client_not_found")])
    now = utcnow()
    endpoint = WebhookEndpoint(
        client_pk=data.client_pk, url=data.url, event_types=[str(t) for t in data.event_types],
        description=data.description, is_active=data.is_active, secret=signing.new_secret(),
        created_by=principal.actor, created_at=now, updated_at=now)
    session.add(endpoint)
    session.commit()
    return _with_secret(endpoint)


def _touch(endpoint: WebhookEndpoint) -> None:
    endpoint.version += 1
    endpoint.updated_at = utcnow()


def update_endpoint(session: Session, endpoint_id: int, data: WebhookEndpointUpdate,
                    if_match: str | None) -> WebhookEndpointRead:
    endpoint = _get(session, endpoint_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, endpoint_id, endpoint.version)
    given = data.model_fields_set
    nulls = [name for name in _EDITABLE if name in given and getattr(data, name) is None]
    if nulls:
        raise InvalidWebhookEndpoint("These fields cannot be emptied.", errors=[
            field_error(["body", name], "may not be null", "not_null") for name in nulls])
    values = {name: getattr(data, name) for name in _EDITABLE if name in given}
    if "event_types" in values:
        values["event_types"] = [str(t) for t in values["event_types"]]
    changed = {name: value for name, value in values.items() if getattr(endpoint, name) != value}
    if not changed:
        return to_read(endpoint)
    for name, value in changed.items():
        setattr(endpoint, name, value)
    if changed.get("is_active") is True:
        # Re-enabled (after an auto-disable, say): count failures afresh.
        endpoint.consecutive_failures, endpoint.disabled_at = 0, None
    _touch(endpoint)
    session.add(endpoint)
    session.commit()
    return to_read(endpoint)


def delete_endpoint(session: Session, endpoint_id: int, if_match: str | None) -> None:
    endpoint = _get(session, endpoint_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, endpoint_id, endpoint.version)
    session.delete(endpoint)
    session.commit()


def rotate_secret(session: Session, endpoint_id: int, if_match: str | None,
                  ) -> WebhookEndpointWithSecret:
    """A new secret; the old one keeps signing beside it for the grace period."""
    endpoint = _get(session, endpoint_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, endpoint_id, endpoint.version)
    grace = timedelta(hours=get_settings().webhook_secret_grace_hours)
    if grace:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = utcnow() + grace
    else:
        endpoint.previous_secret = endpoint.previous_secret_expires_at = None
    endpoint.secret = signing.new_secret()
    _touch(endpoint)
    session.add(endpoint)
    session.commit()
    return _with_secret(endpoint)


def disable_after_failures(session: Session, endpoint: WebhookEndpoint, failures: int) -> None:
    """Turn an endpoint off after ``failures`` deliveries in a row were given up (flushes)."""
    now = utcnow()
    endpoint.is_active, endpoint.disabled_at = False, now
    _touch(endpoint)
    session.add(endpoint)
    session.flush()
    recorder.record(session, "webhook_endpoint.disabled", "webhook_endpoint", endpoint.id,
                    {"consecutive_failures": failures}, actor="system")


# --- deliveries ---------------------------------------------------------------------------------

def delivery_read(delivery: WebhookDelivery) -> WebhookDeliveryRead:
    assert delivery.id is not None
    return WebhookDeliveryRead(
        id=delivery.id, endpoint_id=delivery.endpoint_id, message_id=delivery.message_id,
        event_type=delivery.event_type, status=delivery.status, attempts=delivery.attempts,
        last_status_code=delivery.last_status_code, last_error=delivery.last_error,
        last_attempt_at=delivery.last_attempt_at,
        next_attempt_at=(delivery.next_attempt_at
                         if delivery.status == DeliveryStatus.pending else None),
        delivered_at=delivery.delivered_at, created_at=delivery.created_at)


def list_deliveries(session: Session, endpoint_id: int, params: PageParams, *,
                    status: DeliveryStatus | None = None,
                    ) -> tuple[list[WebhookDeliveryRead], str | None, int | None]:
    """The newest first."""
    _get(session, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    key = SortKey(col(WebhookDelivery.id), col(WebhookDelivery.id), descending=True)
    rows, cursor, total = paginate(session, query, key, params, value_of=lambda d: d.id,
                                   id_of=lambda d: d.id)
    return [delivery_read(d) for d in rows], cursor, total


def _active(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = _get(session, endpoint_id)
    if not endpoint.is_active:
        raise WebhookEndpointInactive(
            f"Webhook endpoint {endpoint_id} is not active; activate it first.",
            current_status="inactive")
    return endpoint


def redeliver(session: Session, endpoint_id: int, delivery_id: int) -> WebhookDeliveryRead:
    """Send a delivered or given-up event again, with the same ``webhook-id`` (so a receiver
    that got it already can tell), from a fresh attempt count."""
    _active(session, endpoint_id)
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise DeliveryNotFound(f"No delivery {delivery_id} for webhook endpoint {endpoint_id}.")
    if delivery.status == DeliveryStatus.pending:
        raise DeliveryPending("The delivery is still pending; it will be attempted anyway.",
                              current_status="pending", allowed_statuses=["succeeded", "failed"])
    delivery.status, delivery.attempts = DeliveryStatus.pending, 0
    delivery.next_attempt_at, delivery.last_error = utcnow(), None
    session.add(delivery)
    session.commit()
    return delivery_read(delivery)


def send_test(session: Session, endpoint_id: int) -> WebhookDeliveryRead:
    """Queue a ``webhook.test`` event for this endpoint only (whatever it subscribed to)."""
    endpoint = _active(session, endpoint_id)
    assert endpoint.id is not None
    now = utcnow()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id, message_id=new_message_id(), event_type=TEST_EVENT,
        payload=body_of(TEST_EVENT, TestEventData(endpoint_id=endpoint.id, occurred_at=now)),
        next_attempt_at=now, created_at=now)
    session.add(delivery)
    session.commit()
    return delivery_read(delivery)


def backlog(session: Session) -> tuple[int, datetime | None, int]:
    """Pending deliveries of active endpoints, when the oldest was queued, and how many
    deliveries were given up (failed)."""
    active = select(WebhookEndpoint.id).where(col(WebhookEndpoint.is_active).is_(True))
    count, oldest = session.execute(
        select(func.count(), func.min(WebhookDelivery.created_at))
        .where(WebhookDelivery.status == DeliveryStatus.pending,
               col(WebhookDelivery.endpoint_id).in_(active))).one()
    failed = session.execute(select(func.count()).select_from(WebhookDelivery)
                             .where(WebhookDelivery.status == DeliveryStatus.failed)).scalar_one()
    if isinstance(oldest, datetime) and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest, int(failed)
