"""Output of the calendar feed routes (they take no body)."""

from datetime import datetime

from pydantic import Field

from app.core.schemas import ReadModel


class CalendarFeedRead(ReadModel):
    """The alliance's current feed; its URL was shown once, when it was made."""

    id: int
    alliance_id: int
    created_by: str = Field(examples=["user:12"])
    created_at: datetime


class CalendarFeedCreated(CalendarFeedRead):
    url: str = Field(description="The secret feed URL for calendar apps (shown only now; "
                     "anyone who has it sees the alliance's events)",
                     examples=["https://buendnisportal.de/api/v1/public/calendar-feeds/bcal_….ics"])
    path: str = Field(description="The same URL without scheme and host")
