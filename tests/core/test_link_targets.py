"""Addresses people open from links (the seal verification page, public calendar files, the
calendar feed) ignore parameters that sharing and calendar apps add; every other operation still
refuses unknown query parameters."""

from datetime import date

from app.core.openapi import api_routes
from app.core.query import LINK_TARGETS
from app.cycles.models import CycleStatus
from app.main import create_app
from tests import factories
from tests.utils.problems import assert_problem, error_locs

TRACKING = {"fbclid": "IwAR0abc", "utm_source": "newsletter", "utm_medium": "email"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_every_link_target_names_a_route():
    names = {route.name for route in api_routes(create_app())}
    assert names >= LINK_TARGETS


def test_a_shared_verification_link_with_tracking_parameters_opens_the_page(client, session,
                                                                             alliance):
    cycle = factories.make_cycle(session, status=CycleStatus.awarded, ceremony_on=date(2024, 11, 22))
    award = factories.make_award(session, cycle, alliance)
    url = f"/api/v1/public/seals/verify/{award.verification_code}"

    page = client.get(url, params=TRACKING, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert alliance.name in page.text
    as_json = client.get(url, params=TRACKING)
    assert as_json.status_code == 200 and as_json.json()["valid"] is True


def test_a_public_calendar_file_ignores_a_cache_buster(client, session):
    event = factories.make_event(session, is_public=True)
    r = client.get(f"/api/v1/public/events/{event.id}/calendar.ics", params={"_": "1733400000"})
    assert r.status_code == 200, r.text
    assert r.text.startswith("BEGIN:VCALENDAR")


def test_other_operations_still_refuse_unknown_parameters(client):
    body = assert_problem(client.get("/api/v1/public/seals", params={"fbclid": "x"}), 422)
    assert error_locs(body) == [["query", "fbclid"]]
