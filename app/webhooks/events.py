"""The event types a webhook endpoint can subscribe to, and the data each one carries.

Payloads are small and never personal: ids, the alliance, the cycle key and timestamps. A
partner fetches details through the API with its own token, so what it may read is decided
there, not here. The body follows the Standard Webhooks shape:
``{"type": "award.confirmed", "timestamp": "…", "data": {…}}``."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    response_submitted = "response.submitted"
    response_reopened = "response.reopened"
    evaluation_run_recorded = "evaluation_run.recorded"
    award_confirmed = "award.confirmed"
    award_withdrawn = "award.withdrawn"
    delegate_registered = "delegate.registered"
    delegate_waitlisted = "delegate.waitlisted"
    delegate_withdrawn = "delegate.withdrawn"
    delegate_promoted = "delegate.promoted"
    event_published = "event.published"
    event_cancelled = "event.cancelled"
    workgroup_result_published = "workgroup_result.published"


TEST_EVENT = "webhook.test"


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_at: datetime = Field(description="When the change happened (UTC)")


class ResponseEventData(EventData):
    """response.submitted, response.reopened"""

    response_id: int
    alliance_id: int
    cycle_key: str = Field(examples=["2024/25"])


class EvaluationRunEventData(EventData):
    """evaluation_run.recorded"""

    run_id: int
    cycle_key: str = Field(examples=["2024/25"])


class AwardEventData(EventData):
    """award.confirmed, award.withdrawn"""

    award_id: int
    alliance_id: int
    cycle_key: str = Field(examples=["2024/25"])


class DelegateEventData(EventData):
    """delegate.registered (got a place), delegate.waitlisted (the event was full: on the
    waiting list, no place), delegate.promoted (moved from the waiting list to a place),
    delegate.withdrawn"""

    delegate_id: int
    event_id: int
    alliance_id: int
    status: str = Field(description="The delegate's status after the change",
                        examples=["registered"])


class EventEventData(EventData):
    """event.published, event.cancelled"""

    event_id: int
    cycle_key: str | None = Field(description="The award cycle the event belongs to, if any")


class WorkgroupResultEventData(EventData):
    """workgroup_result.published"""

    result_id: int
    workgroup_id: int
    cycle_key: str = Field(examples=["2024/25"])


class TestEventData(EventData):
    """webhook.test: sent on request to check an endpoint."""

    endpoint_id: int


DATA_SCHEMAS: dict[str, type[EventData]] = {
    EventType.response_submitted: ResponseEventData,
    EventType.response_reopened: ResponseEventData,
    EventType.evaluation_run_recorded: EvaluationRunEventData,
    EventType.award_confirmed: AwardEventData,
    EventType.award_withdrawn: AwardEventData,
    EventType.delegate_registered: DelegateEventData,
    EventType.delegate_waitlisted: DelegateEventData,
    EventType.delegate_withdrawn: DelegateEventData,
    EventType.delegate_promoted: DelegateEventData,
    EventType.event_published: EventEventData,
    EventType.event_cancelled: EventEventData,
    EventType.workgroup_result_published: WorkgroupResultEventData,
    TEST_EVENT: TestEventData,
}
