"""The pure rule of when attendance can be recorded, table-driven."""

from datetime import UTC, datetime, timedelta

import pytest

from app.events.attendance import attendance_open
from app.events.models import Event, EventKind, EventStatus

START = datetime(2025, 3, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(("status", "now", "expected"), [
    (EventStatus.published, START - timedelta(seconds=1), False),
    (EventStatus.published, START, True),
    (EventStatus.published, START + timedelta(days=30), True),
    (EventStatus.cancelled, START + timedelta(hours=1), False),
    (EventStatus.cancelled, START - timedelta(hours=1), False),
])
def test_attendance_opens_at_the_start_and_never_for_a_cancelled_event(status, now, expected):
    event = Event(kind=EventKind.workshop, status=status, title="Werkstatt", starts_at=START,
                  ends_at=START + timedelta(hours=6))
    assert attendance_open(event, now) is expected
