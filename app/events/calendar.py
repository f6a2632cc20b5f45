"""iCalendar (RFC 5545) for events, built with the ``icalendar`` library: one event as an
``.ics`` download, and an alliance's personal feed. Pure functions, no database.

* Times are given in Europe/Berlin (``TZID``), with the matching ``VTIMEZONE`` in the file,
  so every calendar app shows the German local time whatever its own zone.
* ``UID`` is the event's id under the product's fixed domain (``UID_DOMAIN``), not the host the
  portal runs on: it never changes, also when the portal moves to another address, so a
  calendar app updates the event it has instead of adding a second one.
* ``SEQUENCE`` is the event's ``version`` − 1: it starts at 0 and grows with every change,
  publish and cancel included, as RFC 5546 asks of a changed event.
* A cancelled event keeps its UID and says ``STATUS:CANCELLED``; a published one is
  ``CONFIRMED``; a draft (only the Servicebüro sees one) ``TENTATIVE``.
* No personal data: no delegate, no organiser's address. The online link (``URL`` and a line
  in the description) only when the caller's alliance has registered delegates, or for the
  Servicebüro.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a calendar is built (~20 ms), not at start-up
    from icalendar import Event as VEvent
    from icalendar import Timezone

from app.core.german import GERMAN_TIME
from app.events.models import EventKind, EventStatus
from app.events.texts import KIND_LABELS

MEDIA_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//Servicebüro Lokale Bündnisse für Familie//Bündnisportal//DE"
_STATUS = {EventStatus.published: "CONFIRMED", EventStatus.cancelled: "CANCELLED",
           EventStatus.draft: "TENTATIVE"}


@dataclass(frozen=True)
class CalendarEntry:
    """What one VEVENT shows: an event as the caller may see it."""

    id: int
    kind: EventKind
    status: EventStatus
    title: str
    summary: str | None
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    topics: tuple[str, ...] = ()
    online_url: str | None = None  # None unless the caller may have it
    detail_url: str | None = None


# The product's own domain, fixed: a UID must not follow BUENDNIS_PUBLIC_BASE_URL (RFC 5545
# 3.8.4.7: globally unique and persistent), or moving the portal duplicates every event in the
# subscribers' calendars.
UID_DOMAIN = "buendnisportal.lokale-buendnisse-fuer-familie.de"


def uid_for(event_id: int) -> str:
    return f"event-{event_id}@{UID_DOMAIN}"


def _local(moment: datetime) -> datetime:
    """German local time, except for the second pass through the hour the clocks go back
    (fold 1): RFC 5545 reads an ambiguous local time as the first one, so that moment is
    given in UTC instead."""
    local = moment.astimezone(GERMAN_TIME)
    return local if local.fold == 0 else moment.astimezone(UTC)


def _description(entry: CalendarEntry) -> str:
    lines = [KIND_LABELS.get(entry.kind, str(entry.kind))]
    if entry.status == EventStatus.cancelled:
        lines.insert(0, "ABGESAGT")
    if entry.summary:
        lines += ["", entry.summary]
    if entry.topics:
        lines += ["", "Zukunftsthemen: " + "; ".join(entry.topics)]
    if entry.online_url:
        lines += ["", f"Online-Zugang: {entry.online_url}"]
    return "\n".join(lines)


def _vevent(entry: CalendarEntry) -> "VEvent":
    from icalendar import Event as VEvent

    vevent = VEvent()
    vevent.add("uid", uid_for(entry.id))
    vevent.add("sequence", max(entry.version - 1, 0))
    vevent.add("dtstamp", entry.updated_at)
    vevent.add("created", entry.created_at)
    vevent.add("last-modified", entry.updated_at)
    vevent.add("dtstart", _local(entry.starts_at))
    vevent.add("dtend", _local(entry.ends_at))
    title = entry.title if entry.status != EventStatus.cancelled else f"Abgesagt: {entry.title}"
    vevent.add("summary", title)
    vevent.add("description", _description(entry))
    vevent.add("status", _STATUS.get(entry.status, "CONFIRMED"))
    vevent.add("transp", "TRANSPARENT" if entry.status == EventStatus.cancelled else "OPAQUE")
    vevent.add("categories", [KIND_LABELS.get(entry.kind, str(entry.kind))])
    if entry.venue:
        vevent.add("location", entry.venue)
    if entry.online_url:
        vevent.add("url", entry.online_url)
    elif entry.detail_url:
        vevent.add("url", entry.detail_url)
    return vevent


def _timezone(entries: Sequence[CalendarEntry]) -> "Timezone":
    from icalendar import Timezone

    starts = [e.starts_at.astimezone(GERMAN_TIME).date() for e in entries] or [date.today()]
    ends = [e.ends_at.astimezone(GERMAN_TIME).date() for e in entries] or [date.today()]
    first = date(max(min(starts).year - 1, 1900), 1, 1)
    last = date(max(ends).year + 1, 12, 31)
    return Timezone.from_tzid(str(GERMAN_TIME.key), first_date=first,
                              last_date=max(last, first + timedelta(days=366)))


def build_calendar(entries: Sequence[CalendarEntry], *, name: str | None = None,
                   refresh_hours: int | None = None) -> bytes:
    """A VCALENDAR with one VTIMEZONE (Europe/Berlin) and a VEVENT per entry."""
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("name", name)
    calendar.add("x-wr-timezone", str(GERMAN_TIME.key))
    if refresh_hours:
        calendar.add("refresh-interval", timedelta(hours=refresh_hours), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", f"PT{refresh_hours}H")
    calendar.add_component(_timezone(entries))
    for entry in entries:
        calendar.add_component(_vevent(entry))
    return calendar.to_ical()


@dataclass(frozen=True)
class CalendarDocument:
    """What the service hands the router: rendered outside the database slot."""

    entries: tuple[CalendarEntry, ...]
    filename: str
    name: str | None = None
    refresh_hours: int | None = None

    def render(self) -> bytes:
        return build_calendar(self.entries, name=self.name,
                              refresh_hours=self.refresh_hours)
