"""Calendars through the API: the .ics of one event per audience, and the alliance's feed at a
secret URL. Each file is parsed with icalendar and checked again with a second, independent
parser (``ical``), so a file one library happens to accept but calendar apps would not is caught.
"""

from datetime import timedelta
from typing import Any

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from sqlmodel import select

from app.core.config import get_settings
from app.events.calendar import uid_for
from app.events.models import EventStatus
from tests import factories
from tests.events.helpers import delegate_body, url
from tests.utils.problems import assert_problem

PUBLIC = "/api/v1/public/events"
ONLINE = "https://meet.example.org/zukunftswerkstatt"


def feed_url(alliance_id: int) -> str:
    return f"/api/v1/alliances/{alliance_id}/calendar-feed"


def parsed(response: Any) -> Calendar:
    """The response is an iCalendar file both parsers read alike; returns icalendar's view."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    text = response.content.decode("utf-8")
    calendar = Calendar.from_ical(text)
    second = IcsCalendarStream.calendar_from_ics(text)
    events = calendar.walk("VEVENT")
    assert [e.uid for e in second.events] == [str(e["UID"]) for e in events]
    assert [str(e.status.value).upper() if e.status else None for e in second.events] == \
        [str(e.get("STATUS")) for e in events]
    assert [e.sequence for e in second.events] == [int(e["SEQUENCE"]) for e in events]
    for event, other in zip(events, second.events, strict=True):
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert str(other.dtstart.tzinfo) == "Europe/Berlin"
        assert event.decoded("DTSTART") == other.dtstart
        assert event.decoded("DTEND") == other.dtend
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Berlin"]
    assert [tz.tz_id for tz in second.timezones] == ["Europe/Berlin"]
    return calendar


def only_event(calendar: Calendar) -> Any:
    events = calendar.walk("VEVENT")
    assert len(events) == 1, events
    return events[0]


def uids(calendar: Calendar) -> set[str]:
    return {str(e["UID"]) for e in calendar.walk("VEVENT")}


@pytest.fixture
def public_event(session):
    return factories.make_event(session, kind="ceremony", is_public=True, invitation_only=False,
                                title="Siegelverleihung in Berlin", venue="Berlin",
                                online_url=ONLINE, topics=())


# --- one event ----------------------------------------------------------------------------------

def test_anyone_gets_a_public_event_in_german_time_without_the_online_link(client, public_event):
    response = client.get(f"{PUBLIC}/{public_event.id}/calendar.ics")
    vevent = only_event(parsed(response))
    assert str(vevent["SUMMARY"]) == "Siegelverleihung in Berlin"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["LOCATION"]) == "Berlin"
    assert vevent.decoded("DTSTART") == public_event.starts_at.replace(microsecond=0)
    assert vevent.decoded("DTSTART").utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert ONLINE not in response.text
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["content-disposition"].endswith('.ics"')


@pytest.mark.parametrize("overrides", [
    {"is_public": False},  # invitation-only workshop
    {"is_public": True, "status": EventStatus.draft},
])
def test_anyone_gets_404_for_an_event_not_in_the_public_calendar(client, session, overrides):
    event = factories.make_event(session, **overrides)
    assert_problem(client.get(f"{PUBLIC}/{event.id}/calendar.ics"), 404, "event_not_found")
    assert_problem(client.get(f"{PUBLIC}/999999/calendar.ics"), 404, "event_not_found")


def test_the_public_ics_refuses_a_malformed_id(client):
    assert_problem(client.get(f"{PUBLIC}/abc/calendar.ics"), 422, "validation_error")
    assert_problem(client.get(f"{PUBLIC}/0/calendar.ics"), 422, "validation_error")


def test_an_invited_alliance_gets_the_event_and_the_link_only_once_it_registered(
        client, session, alliance, member_headers):
    event = factories.make_event(session, invited=[alliance], online_url=ONLINE)
    first = client.get(url(event.id, "/calendar.ics"), headers=member_headers)
    vevent = only_event(parsed(first))
    assert "URL" not in vevent and ONLINE not in first.text
    assert first.headers["cache-control"] == "private, no-store"

    registered = client.post(url(event.id, "/delegates"), headers=member_headers,
                             json=delegate_body())
    assert registered.status_code == 201, registered.text
    second = client.get(url(event.id, "/calendar.ics"), headers=member_headers)
    vevent = only_event(parsed(second))
    assert str(vevent["URL"]) == ONLINE
    assert "Erika" not in second.text and "example.org" not in second.text.lower().replace(
        "meet.example.org", "")


def test_the_admin_gets_any_event_with_its_link_and_a_draft_as_tentative(client, session, admin):
    event = factories.make_event(session, status=EventStatus.draft, online_url=ONLINE)
    vevent = only_event(parsed(client.get(url(event.id, "/calendar.ics"), headers=admin)))
    assert str(vevent["STATUS"]) == "TENTATIVE"
    assert str(vevent["URL"]) == ONLINE


def test_wrong_callers_get_nothing(client, session, alliance, other_headers, partner):
    event = factories.make_event(session, invited=[alliance])
    assert_problem(client.get(url(event.id, "/calendar.ics")), 401)
    assert_problem(client.get(url(event.id, "/calendar.ics"), headers=other_headers), 404,
                   "event_not_found")
    assert_problem(client.get(url(event.id, "/calendar.ics"), headers=partner), 403)


def test_uid_stays_sequence_grows_and_a_cancellation_says_so(client, admin, member_headers,
                                                             session, alliance):
    created = client.post(url(), headers=admin, json={
        "kind": "workshop", "title": "Zukunftswerkstatt Fürth", "topics": [1, 3],
        "starts_at": "2031-03-30T09:00:00+02:00", "ends_at": "2031-03-30T16:00:00+02:00",
        "venue": "Fürth", "online_url": ONLINE, "invitation_only": False})
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]

    def current() -> Any:
        return only_event(parsed(client.get(url(event_id, "/calendar.ics"), headers=admin)))

    draft = current()
    assert int(draft["SEQUENCE"]) == 0
    assert str(draft["DTSTART"].to_ical().decode()) == "20310330T090000"
    assert "Kinderbetreuung" not in str(draft["DESCRIPTION"])
    assert "Familien mit geringen Einkommen" in str(draft["DESCRIPTION"])
    assert client.post(url(event_id, "/publish"), headers=admin).status_code == 200
    published = current()
    changed = client.patch(url(event_id), headers=admin, json={"venue": "Nürnberg"})
    assert changed.status_code == 200, changed.text
    moved = current()
    assert str(moved["UID"]) == str(published["UID"]) == str(draft["UID"])
    assert int(draft["SEQUENCE"]) < int(published["SEQUENCE"]) < int(moved["SEQUENCE"])
    assert str(moved["LOCATION"]) == "Nürnberg"
    # An alliance user sees the same UID and SEQUENCE as the Servicebüro.
    mine = only_event(parsed(client.get(url(event_id, "/calendar.ics"), headers=member_headers)))
    assert (str(mine["UID"]), int(mine["SEQUENCE"])) == (str(moved["UID"]), int(moved["SEQUENCE"]))

    assert client.post(url(event_id, "/cancel"), headers=admin).status_code == 200
    cancelled = current()
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == str(draft["UID"])
    assert int(cancelled["SEQUENCE"]) > int(moved["SEQUENCE"])


@pytest.mark.parametrize("base", ["https://neu.example.org", "http://127.0.0.1:8000"])
def test_the_uid_stays_when_the_portal_moves_to_another_address(client, public_event,
                                                               monkeypatch, base):
    """Moving the portal (BUENDNIS_PUBLIC_BASE_URL) must not duplicate the event in every
    subscriber's calendar: the UID does not carry the host."""
    before = str(only_event(parsed(client.get(f"{PUBLIC}/{public_event.id}/calendar.ics")))["UID"])
    monkeypatch.setattr(get_settings(), "public_base_url", base)
    after = str(only_event(parsed(client.get(f"{PUBLIC}/{public_event.id}/calendar.ics")))["UID"])
    assert before == after == uid_for(public_event.id)
    assert "127.0.0.1" not in after and "example.org" not in after


def test_a_cancelled_public_event_stays_downloadable_as_cancelled(client, session, public_event):
    public_event.status = EventStatus.cancelled
    public_event.version += 1
    session.add(public_event)
    session.commit()
    vevent = only_event(parsed(client.get(f"{PUBLIC}/{public_event.id}/calendar.ics")))
    assert str(vevent["STATUS"]) == "CANCELLED"


# --- the feed -----------------------------------------------------------------------------------

def _feed_events(session, alliance, other_alliance):
    """Invited; registered to an open event; open but not registered; another alliance's;
    cancelled and invited; a draft the alliance is invited to."""
    invited = factories.make_event(session, invited=[alliance], title="Eingeladen", online_url=ONLINE)
    open_event = factories.make_event(session, invitation_only=False, title="Angemeldet",
                                      online_url=ONLINE)
    factories.make_delegate(session, open_event, alliance, name="Delegierte Geheim",
                            email="delegierte.geheim@example.org")
    untouched = factories.make_event(session, invitation_only=False, title="Offen")
    foreign = factories.make_event(session, invited=[other_alliance], title="Fremd")
    cancelled = factories.make_event(session, invited=[alliance], title="Abgesagt",
                                     status=EventStatus.cancelled, version=3)
    draft = factories.make_event(session, invited=[alliance], title="Entwurf",
                                 status=EventStatus.draft)
    return invited, open_event, untouched, foreign, cancelled, draft


def test_the_feed_lists_the_alliances_events_without_a_bearer_token(
        client, session, alliance, other_alliance, member_headers):
    invited, open_event, _untouched, _foreign, cancelled, _draft = _feed_events(
        session, alliance, other_alliance)
    created = client.post(feed_url(alliance.id), headers=member_headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"].endswith(body["path"]) and "/bcal_" in body["path"]
    assert created.headers["cache-control"] == "no-store"

    response = client.get(body["path"])  # no Authorization header
    calendar = parsed(response)
    assert response.headers["cache-control"] == "no-store"
    by_uid = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(by_uid) == {uid_for(e.id) for e in (invited, open_event, cancelled)}
    assert str(by_uid[uid_for(cancelled.id)]["STATUS"]) == "CANCELLED"
    # The online link where the alliance registered, not where it is only invited.
    assert str(by_uid[uid_for(open_event.id)]["URL"]) == ONLINE
    assert "URL" not in by_uid[uid_for(invited.id)]
    # No personal data of delegates.
    assert "Geheim" not in response.text and "delegierte.geheim" not in response.text
    assert str(calendar["X-WR-CALNAME"]).endswith(alliance.name)

    status = client.get(feed_url(alliance.id), headers=member_headers)
    assert status.status_code == 200
    assert status.json()["id"] == body["id"] and "url" not in status.json()


def test_a_new_url_or_revoking_ends_the_old_one(client, alliance, admin, member_headers):
    first = client.post(feed_url(alliance.id), headers=member_headers).json()["path"]
    assert client.get(first).status_code == 200
    second = client.post(feed_url(alliance.id), headers=admin).json()["path"]
    assert second != first
    assert_problem(client.get(first), 404, "calendar_feed_not_found")
    assert client.get(second).status_code == 200

    assert client.delete(feed_url(alliance.id), headers=member_headers).status_code == 204
    assert_problem(client.get(second), 404, "calendar_feed_not_found")
    assert_problem(client.get(feed_url(alliance.id), headers=member_headers), 404,
                   "calendar_feed_not_found")
    assert_problem(client.delete(feed_url(alliance.id), headers=admin), 404,
                   "calendar_feed_not_found")


def test_only_the_alliance_and_the_servicebuero_manage_its_feed(
        client, alliance, other_headers, partner, member_headers):
    assert client.post(feed_url(alliance.id), headers=member_headers).status_code == 201
    for method in ("GET", "POST", "DELETE"):
        assert_problem(client.request(method, feed_url(alliance.id)), 401)
        assert_problem(client.request(method, feed_url(alliance.id), headers=partner), 403)
        assert_problem(client.request(method, feed_url(alliance.id), headers=other_headers),
                       404, "alliance_not_found")
    assert client.get(feed_url(alliance.id), headers=member_headers).status_code == 200
    assert_problem(client.post(feed_url(999999), headers=member_headers), 404, "alliance_not_found")


@pytest.mark.parametrize("token", ["bcal_unknown", "nothing", "bcal_" + "x" * 95, "%00"])
def test_unknown_feed_urls_answer_404(client, token):
    response = client.get(f"/api/v1/public/calendar-feeds/{token}.ics")
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_feed_url_is_masked_in_the_access_log(client, alliance, member_headers, caplog):
    path = client.post(feed_url(alliance.id), headers=member_headers).json()["path"]
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    with caplog.at_level("INFO", logger="buendnis.access"):
        assert client.get(path).status_code == 200
    logged = [getattr(r, "path", "") for r in caplog.records if r.name == "buendnis.access"]
    assert "/api/v1/public/calendar-feeds/bcal_***.ics" in logged
    assert all(secret not in line for line in logged)


def test_the_demo_ceremony_is_in_the_public_calendar_as_ics(client, session):
    from app.demo.seed import seed_demo
    from app.events import demo
    from app.events.models import Event

    seed_demo(session)
    ceremony = session.exec(select(Event).where(Event.title == demo.CEREMONY)).one()
    vevent = only_event(parsed(client.get(f"{PUBLIC}/{ceremony.id}/calendar.ics")))
    assert str(vevent["SUMMARY"]) == demo.CEREMONY


def test_feed_changes_are_audited_without_the_secret(client, session, alliance, member,
                                                     member_headers):
    from app.audit.models import AuditEvent
    from app.core import security

    path = client.post(feed_url(alliance.id), headers=member_headers).json()["path"]
    assert client.delete(feed_url(alliance.id), headers=member_headers).status_code == 204
    trail = session.exec(select(AuditEvent).where(AuditEvent.resource_type == "calendar_feed")
                         .order_by(AuditEvent.id)).all()
    assert [e.action for e in trail] == ["calendar_feed.create", "calendar_feed.update"]
    assert {e.actor for e in trail} == {f"user:{member.id}"}
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    for event in trail:
        dumped = str(event.changes)
        assert secret not in dumped and security.hash_token(secret) not in dumped
