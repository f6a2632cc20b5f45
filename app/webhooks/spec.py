"""The OpenAPI ``webhooks`` section: one operation per event type, with the body a partner
receives (the Standard Webhooks envelope around the event's data) and the signature headers.

The operations are documentation only: FastAPI's ``app.webhooks`` router is never served."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field, create_model

from app.webhooks.events import DATA_SCHEMAS, EventData

ACKNOWLEDGED = {"description": "Any 2xx status acknowledges the event. Anything else, a "
                "redirect or no answer within the timeout (default 5 s) counts as a failure "
                "and is retried with backoff (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); "
                "410 Gone disables the endpoint."}
HEADERS_TEXT = ("Signed per the Standard Webhooks specification: verify `webhook-signature` "
                "(`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}` under "
                "the endpoint's secret; during a secret rotation two signatures, space-"
                "separated) and refuse timestamps far from now.")


SUMMARIES = {
    "response.submitted": "An alliance's survey response was submitted",
    "response.reopened": "The Servicebüro reopened a submitted response",
    "evaluation_run.recorded": "An evaluation run of a cycle was recorded",
    "award.confirmed": "An alliance was awarded the seal",
    "award.withdrawn": "An award was withdrawn",
    "delegate.registered": "A delegate was registered for an event and holds a place",
    "delegate.waitlisted": "A delegate was registered for a full event and is on the waiting "
                           "list (no place yet; delegate.promoted follows if one is freed)",
    "delegate.withdrawn": "A delegate was withdrawn from an event",
    "delegate.promoted": "A delegate moved up from the waiting list",
    "event.published": "An event was published",
    "event.cancelled": "An event was cancelled",
    "workgroup_result.published": "A workgroup result was published",
    "webhook.test": "A test event the Servicebüro sent to check the endpoint",
}


def _schema_name(event_type: str) -> str:
    words = event_type.removeprefix("webhook.").replace(".", "_").split("_")
    return "Webhook" + "".join(word.capitalize() for word in words) + "Event"


def envelope(event_type: str, data: type[EventData]) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        _schema_name(event_type),
        __config__=ConfigDict(title=_schema_name(event_type)),
        type=(Literal[event_type], Field(description="The event type")),  # type: ignore[arg-type]
        timestamp=(datetime, Field(description="When the event was emitted (UTC)")),
        data=(data, ...),
    )
    model.__doc__ = f"The body of a `{event_type}` delivery."
    return model


def _operation(event_type: str, model: type[BaseModel]) -> Any:
    async def receive(
        body: Annotated[model, Body()],  # type: ignore[valid-type]
        webhook_id: Annotated[str, Header(alias="webhook-id", max_length=40,
                                          description="The message id: the same on every "
                                          "attempt and redelivery; use it to drop duplicates")],
        webhook_timestamp: Annotated[int, Header(alias="webhook-timestamp",
                                                 description="Unix seconds of this attempt")],
        webhook_signature: Annotated[str, Header(alias="webhook-signature", max_length=200,
                                                 description="`v1,<base64>`, space-separated "
                                                 "when two secrets sign")],
    ) -> None:
        """Documentation only."""

    receive.__name__ = f"webhook_{event_type.replace('.', '_')}"
    return receive


def install(app: FastAPI) -> None:
    for event_type, data in DATA_SCHEMAS.items():
        model = envelope(event_type, data)
        app.webhooks.add_api_route(
            event_type, _operation(event_type, model), methods=["POST"], name=event_type,
            summary=SUMMARIES[event_type], description=HEADERS_TEXT,
            generate_unique_id_function=lambda route: f"webhook-{route.name}",
            status_code=200, responses={200: ACKNOWLEDGED}, response_model=None,
            tags=["webhooks"])


def tidy(schema: dict[str, Any]) -> None:
    """Only the acknowledgement (a receiver's own errors are its business), and no bearer
    token: a delivery is authenticated by its signature headers."""
    for item in schema.get("webhooks", {}).values():
        for operation in item.values():
            operation["responses"] = {"200": ACKNOWLEDGED}
            operation["security"] = []
