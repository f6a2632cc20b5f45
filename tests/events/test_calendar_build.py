"""The pure iCalendar builder (app/events/calendar.py), table-driven, read back by both parsers."""

from datetime import UTC, datetime, timedelta

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from app.events.calendar import CalendarEntry, build_calendar, uid_for
from app.events.models import EventKind, EventStatus


def entry(**overrides) -> CalendarEntry:
    start = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    fields = {"id": 7, "kind": EventKind.ceremony, "status": EventStatus.published,
              "title": "Siegelverleihung; Berlin, Festsaal", "summary": "Zeile 1\nZeile 2",
              "starts_at": start, "ends_at": start + timedelta(hours=4), "venue": "Berlin",
              "version": 1, "created_at": start - timedelta(days=60),
              "updated_at": start - timedelta(days=1)}
    fields.update(overrides)
    return CalendarEntry(**fields)


@pytest.mark.parametrize(("status", "ical_status", "transp"), [
    (EventStatus.published, "CONFIRMED", "OPAQUE"),
    (EventStatus.cancelled, "CANCELLED", "TRANSPARENT"),
    (EventStatus.draft, "TENTATIVE", "OPAQUE"),
])
def test_status(status, ical_status, transp):
    vevent = Calendar.from_ical(build_calendar([entry(status=status)])).walk("VEVENT")[0]
    assert (str(vevent["STATUS"]), str(vevent["TRANSP"])) == (ical_status, transp)


@pytest.mark.parametrize(("version", "sequence"), [(1, 0), (2, 1), (17, 16)])
def test_sequence_follows_the_version(version, sequence):
    vevent = Calendar.from_ical(build_calendar([entry(version=version)])).walk("VEVENT")[0]
    assert int(vevent["SEQUENCE"]) == sequence


def test_the_uid_is_the_events_id_under_the_products_fixed_domain():
    assert uid_for(7) == "event-7@buendnisportal.lokale-buendnisse-fuer-familie.de"


@pytest.mark.parametrize("start", [
    datetime(1900, 1, 1, 0, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the night the clocks go forward
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # ... and back (02:30 CEST)
    datetime(2199, 12, 31, 20, 0, tzinfo=UTC),
])
def test_times_survive_both_parsers_in_german_time(start):
    text = build_calendar([entry(starts_at=start, ends_at=start + timedelta(hours=2))
                          ]).decode()
    ours = Calendar.from_ical(text).walk("VEVENT")[0]
    theirs = IcsCalendarStream.calendar_from_ics(text).events[0]
    # Compared in UTC: Python never finds times in a repeated hour equal across zones.
    assert ours.decoded("DTSTART").astimezone(UTC) == theirs.dtstart.astimezone(UTC) == start
    assert str(theirs.dtstart.tzinfo) == "Europe/Berlin"


def test_the_second_pass_through_the_repeated_hour_is_given_in_utc():
    start = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, after the clocks went back
    text = build_calendar([entry(starts_at=start, ends_at=start + timedelta(hours=2))
                          ]).decode()
    assert "DTSTART:20261025T013000Z" in text
    theirs = IcsCalendarStream.calendar_from_ics(text).events[0]
    assert theirs.dtstart.astimezone(UTC) == start
    assert Calendar.from_ical(text).walk("VEVENT")[0].decoded("DTSTART").astimezone(UTC) == start


def test_text_is_escaped_and_the_online_link_only_when_given():
    text = build_calendar([entry()]).decode()
    assert "SUMMARY:Siegelverleihung\\; Berlin\\, Festsaal" in text
    theirs = IcsCalendarStream.calendar_from_ics(text).events[0]
    assert theirs.summary == "Siegelverleihung; Berlin, Festsaal" and theirs.url is None
    linked = build_calendar([entry(online_url="https://meet.example.org/x")])
    assert IcsCalendarStream.calendar_from_ics(linked.decode()).events[0].url == \
        "https://meet.example.org/x"


def test_an_empty_feed_is_still_a_valid_calendar():
    text = build_calendar([], name="Leer", refresh_hours=6).decode()
    assert IcsCalendarStream.calendar_from_ics(text).events == []
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in text
