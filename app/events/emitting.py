"""The events domain's webhooks: queued in the transaction of the change (see app.webhooks)."""

from sqlmodel import Session

from app.cycles.models import AwardCycle
from app.events.models import Event, EventDelegate
from app.webhooks import service as webhooks
from app.webhooks.events import DelegateEventData, EventEventData


def delegate_changed(session: Session, event_type: str, delegate: EventDelegate) -> None:
    """No name or address: the delegate's id, event, alliance and new status only."""
    if delegate.id is None:
        session.flush()
    assert delegate.id is not None
    webhooks.emit(session, event_type, DelegateEventData(
        delegate_id=delegate.id, event_id=delegate.event_id, alliance_id=delegate.alliance_id,
        status=str(delegate.status), occurred_at=delegate.updated_at))


def event_changed(session: Session, event_type: str, event: Event) -> None:
    assert event.id is not None
    cycle = session.get(AwardCycle, event.cycle_id) if event.cycle_id is not None else None
    webhooks.emit(session, event_type, EventEventData(
        event_id=event.id, cycle_key=cycle.key if cycle is not None else None,
        occurred_at=event.updated_at))
