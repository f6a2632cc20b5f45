"""The counts on an event page come from one grouped statement per page (issue 12): an alliance
sees its own registered delegates only, the Servicebüro every registration, and a waiting list
that someone can still move up from makes an event full for everybody."""

from app.events.models import DelegateStatus
from tests import factories
from tests.events.helpers import url


def _by_id(response) -> dict[int, dict]:
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def test_each_reader_sees_its_own_share_and_the_totals(client, session, alliance, other_alliance,
                                                      member_headers, other_headers, admin):
    roomy = factories.make_event(session, capacity=5, invited=[alliance, other_alliance])
    crowded = factories.make_event(session, capacity=2, invited=[alliance, other_alliance])
    for _ in range(2):
        factories.make_delegate(session, roomy, other_alliance)
    factories.make_delegate(session, roomy, alliance)
    factories.make_delegate(session, roomy, alliance, status=DelegateStatus.withdrawn)
    factories.make_delegate(session, crowded, other_alliance)
    factories.make_delegate(session, crowded, alliance)
    factories.make_delegate(session, crowded, other_alliance, status=DelegateStatus.waitlisted)

    own = _by_id(client.get(url(), headers=member_headers))
    assert (own[roomy.id]["own_delegates"], own[roomy.id]["is_full"]) == (1, False)
    assert (own[crowded.id]["own_delegates"], own[crowded.id]["is_full"]) == (1, True)

    other = _by_id(client.get(url(), headers=other_headers))
    assert (other[roomy.id]["own_delegates"], other[crowded.id]["own_delegates"]) == (2, 1)

    servicebuero = _by_id(client.get(url(), headers=admin))
    assert (servicebuero[roomy.id]["registered_count"],
            servicebuero[roomy.id]["remaining_capacity"],
            servicebuero[roomy.id]["is_full"]) == (3, 2, False)
    assert (servicebuero[crowded.id]["registered_count"],
            servicebuero[crowded.id]["remaining_capacity"],
            servicebuero[crowded.id]["is_full"]) == (2, 0, True)
    assert servicebuero[roomy.id]["own_delegates"] is None
    assert own[roomy.id]["registered_count"] is None


def test_no_counts_for_a_partner_system_or_an_anonymous_caller(client, session, alliance, partner):
    factories.make_event(session, capacity=5, invited=[alliance])
    assert client.get(url(), headers=partner).status_code == 403
    assert client.get(url()).status_code == 401
