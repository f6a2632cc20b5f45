"""GET one response from Core rows (app/surveys/reads.py, ``Db.read``) answers byte for byte as
the ORM path it replaced: every caller, the demo data and the edge cases are read through the
API both ways and the replies compared (status, body, ETag)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlmodel import Session, col, select

from app.alliances import service as alliances
from app.alliances.models import Alliance
from app.auth.models import ApiClient, Role
from app.auth.principal import Principal
from app.core.errors import Forbidden
from app.core.ids import is_row_id
from app.cycles.exceptions import CycleNotFound
from app.cycles.models import AwardCycle
from app.demo.seed import seed_demo
from app.surveys import service
from app.surveys.demo import CYCLE_KEY, PARTNER_CLIENT_ID
from app.surveys.exceptions import ResponseNotFound
from app.surveys.models import ResponseStatus, SurveyResponse
from app.surveys.store import to_read
from tests import factories
from tests.surveys.helpers import draft_body, response_url, responses_url
from tests.utils.replies import answered_both_ways, assert_same_reply

# --- the ORM path as it was (the reference) -----------------------------------------------------

def orm_get_cycle(session: Session, ref: str) -> AwardCycle:
    text = str(ref)
    cycle: AwardCycle | None
    if text.isascii() and text.isdigit():
        cycle = session.get(AwardCycle, int(text)) if is_row_id(int(text)) else None
    else:
        cycle = session.exec(select(AwardCycle).where(
            (col(AwardCycle.slug) == text) | (col(AwardCycle.key) == text))).first()
    if cycle is None:
        raise CycleNotFound(f"No award cycle {text!r}.")
    return cycle


def orm_read_response(connection: Connection, cycle_ref: str, alliance_id: int,
                      principal: Principal) -> Any:
    """Given the read unit's connection (``Db.read``), as the route now runs it."""
    with Session(bind=connection) as session:
        cycle = orm_get_cycle(session, cycle_ref)
        missing = ResponseNotFound(f"No response of alliance {alliance_id} in cycle {cycle.key}.")
        if principal.is_client:
            if not principal.may_reach_alliance(alliance_id):
                raise missing
        elif not principal.is_admin and principal.alliance_id != alliance_id:
            raise missing
        query = select(SurveyResponse).where(SurveyResponse.cycle_id == cycle.id,
                                             SurveyResponse.alliance_id == alliance_id)
        if principal.is_client:
            query = query.where(service._pushed_by(principal.actor))
        response = session.exec(query).first()
        if response is None:
            raise missing
        return to_read(response, alliances.get_alliance(session, alliance_id), cycle)


def orm_read_own_response(connection: Connection, cycle_ref: str, principal: Principal) -> Any:
    if principal.alliance_id is None:
        raise Forbidden("Only alliance users have an own response; use the alliance id.",
                        code="no_alliance")
    return orm_read_response(connection, cycle_ref, principal.alliance_id, principal)


def both_ways(client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str,
              headers: dict[str, str] | None = None, **extra: Any) -> tuple[Any, Any]:
    old_functions = {
        "read_response": orm_read_response,
        "read_own_response": orm_read_own_response,
    }
    return answered_both_ways(client, monkeypatch, service, old_functions, url, headers={**(headers or {}), **extra})


# --- the demo data --------------------------------------------------------------------------------

@pytest.fixture
def demo(session: Session) -> tuple[AwardCycle, list[SurveyResponse]]:
    seed_demo(session)
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == CYCLE_KEY)).one()
    rows = list(session.exec(select(SurveyResponse).where(SurveyResponse.cycle_id == cycle.id)
                             .order_by(col(SurveyResponse.id))).all())
    statuses = {r.status for r in rows}
    assert statuses == {ResponseStatus.draft, ResponseStatus.submitted}
    assert any(r.score_breakdown for r in rows) and any(r.reported_status for r in rows)
    return cycle, rows


def test_every_demo_response_reads_the_same_for_an_admin(client, monkeypatch, admin, demo):
    cycle, rows = demo
    for row in rows:
        for ref in (cycle.slug, str(cycle.id)):
            new, old = both_ways(client, monkeypatch,
                                 f"/api/v1/cycles/{ref}/responses/{row.alliance_id}", admin)
            assert_same_reply(new, old, 200)
            assert new.headers["etag"]
    scored = [r for r in rows if r.score_breakdown]
    body = client.get(f"/api/v1/cycles/{cycle.slug}/responses/{scored[0].alliance_id}",
                      headers=admin).json()
    assert body["score_breakdown"] and body["activity_score"] is not None
    assert body["submitted_at"].endswith("Z") or "+00:00" in body["submitted_at"]


def test_demo_users_and_the_demo_partner_read_the_same(client, session, monkeypatch, demo,
                                                       survey_reader):
    cycle, rows = demo
    base = f"/api/v1/cycles/{cycle.slug}/responses"
    pushed = factories.client_headers(session.exec(
        select(ApiClient).where(ApiClient.client_id == PARTNER_CLIENT_ID)).one())
    unrestricted = survey_reader()  # pushed nothing: every response is hidden from it
    by_actor = {r.alliance_id: r.entered_by for r in rows}
    for row in rows:
        user = factories.user_headers(factories.make_user(
            session, Role.alliance_user, session.get(Alliance, row.alliance_id)))
        for headers, url in ((user, f"{base}/{row.alliance_id}"), (user, f"{base}/mine"),
                             (pushed, f"{base}/{row.alliance_id}"),
                             (unrestricted, f"{base}/{row.alliance_id}")):
            new, old = both_ways(client, monkeypatch, url, headers)
            assert_same_reply(new, old)
        other = next(r for r in rows if r.alliance_id != row.alliance_id)
        new, old = both_ways(client, monkeypatch, f"{base}/{other.alliance_id}", user)
        assert_same_reply(new, old, 404)
    partner_ids = [a for a, actor in by_actor.items() if actor.startswith("client:")]
    assert partner_ids
    new, _ = both_ways(client, monkeypatch, f"{base}/{partner_ids[0]}", pushed)
    assert new.status_code == 200


# --- callers and states, one alliance at a time --------------------------------------------------

def test_a_response_through_its_life_reads_the_same(client, monkeypatch, cycle, alliance, admin,
                                                    coordinator):
    url = response_url(cycle, alliance)
    mine = f"{responses_url(cycle)}/mine"
    for headers in (admin, coordinator):  # nothing saved yet
        assert_same_reply(*both_ways(client, monkeypatch, url, headers), 404)
    assert_same_reply(*both_ways(client, monkeypatch, mine, coordinator), 404)
    steps = [
        lambda: client.put(url, headers=coordinator, json=draft_body(answers={"partner_meetings": 2})),
        lambda: client.put(url, headers=coordinator, json=draft_body()),
        lambda: client.post(f"{url}/submit", headers=coordinator),
        lambda: client.post(f"{url}/reopen", headers=admin, json={"reason": "Tippfehler „Zahl“"}),
    ]
    for step in steps:
        assert step().status_code in (200, 201)
        for headers, target in ((admin, url), (coordinator, url), (coordinator, mine)):
            assert_same_reply(*both_ways(client, monkeypatch, target, headers), 200)
    assert client.get(url, headers=admin).json()["reopened_reason"] == "Tippfehler „Zahl“"


def test_clients_read_the_same(client, session, monkeypatch, cycle, alliance, other_alliance,
                               survey_reader):
    reaching = survey_reader([alliance, other_alliance])
    restricted = survey_reader([other_alliance])
    unrestricted = survey_reader()
    factories.make_response(session, cycle, other_alliance)  # entered online, not by a client
    batch = {"items": [{"alliance": alliance.id, "answers": {"partner_meetings": 1}}]}
    assert client.post(f"{responses_url(cycle)}:batch", headers=reaching, json=batch).status_code == 200
    for headers, target, status in (
        (reaching, alliance, 200), (reaching, other_alliance, 404),
        (restricted, alliance, 404), (restricted, other_alliance, 404),
        (unrestricted, alliance, 404), (unrestricted, other_alliance, 404),
    ):
        assert_same_reply(*both_ways(client, monkeypatch, response_url(cycle, target), headers), status)
    missing = f"{responses_url(cycle)}/{other_alliance.id + 1000}"
    assert_same_reply(*both_ways(client, monkeypatch, missing, reaching), 404)
    assert_same_reply(*both_ways(client, monkeypatch, missing, unrestricted), 404)


def test_other_alliances_and_missing_responses_are_the_same_problem(
        client, session, monkeypatch, cycle, alliance, other_alliance, admin, coordinator):
    factories.make_response(session, cycle, other_alliance, submitted=False)
    lonely = factories.make_alliance(session)
    for headers, alliance_id in ((coordinator, other_alliance.id), (coordinator, lonely.id),
                                 (admin, lonely.id), (admin, alliance.id),
                                 (admin, other_alliance.id + 100_000), (coordinator, 2**31 - 1)):
        for language in ("en", "de"):
            new, old = both_ways(client, monkeypatch, f"{responses_url(cycle)}/{alliance_id}",
                                 headers, **{"Accept-Language": language})
            assert_same_reply(new, old, 404)
            assert new.json()["code"] == "response_not_found"
    body = client.get(response_url(cycle, other_alliance), headers=coordinator).json()
    assert body["detail"] == f"No response of alliance {other_alliance.id} in cycle {cycle.key}."


# --- how the cycle is named -------------------------------------------------------------------------

def test_a_cycle_by_id_slug_or_key_reads_the_same(client, session, monkeypatch, admin, alliance,
                                                  coordinator):
    cycle = factories.make_cycle(session, key="R2031", slug="runde-2031")
    digits = factories.make_cycle(session, key="2032", slug="2032")  # digits are read as an id
    for made in (cycle, digits):
        factories.make_response(session, made, alliance)
    for ref in (str(cycle.id), cycle.slug, cycle.key, str(digits.id), digits.slug,
                f"000{cycle.id}"):
        for headers in (admin, coordinator):
            for tail in (str(alliance.id), "mine"):
                new, old = both_ways(client, monkeypatch, f"/api/v1/cycles/{ref}/responses/{tail}",
                                     headers)
                assert_same_reply(new, old)
                if headers is admin and tail == "mine":
                    assert new.status_code == 403
    assert client.get(f"/api/v1/cycles/{cycle.key}/responses/{alliance.id}",
                      headers=admin).status_code == 200
    assert client.get(f"/api/v1/cycles/{digits.slug}/responses/{alliance.id}",
                      headers=admin).status_code == 404


@pytest.mark.parametrize("ref", [
    "1900-01", "0", "00", "2147483647", "2147483648", "99999999999999999999", "²", "%C2%B2",
    "١٢", "-1", "1e3", "%20", "2024%2F25", "a%00b", "x" * 20, "x" * 21, "%27%3B--",
])
def test_unknown_and_odd_cycles_are_the_same_problem(client, session, monkeypatch, admin,
                                                     alliance, coordinator, survey_reader, ref):
    factories.make_response(session, factories.make_cycle(session), alliance)
    other = factories.make_alliance(session)
    reader = survey_reader([alliance])
    for headers, tail in ((admin, alliance.id), (coordinator, alliance.id), (coordinator, "mine"),
                          (coordinator, other.id), (reader, alliance.id), (reader, other.id)):
        new, old = both_ways(client, monkeypatch, f"/api/v1/cycles/{ref}/responses/{tail}", headers)
        assert_same_reply(new, old)
        assert new.status_code in (404, 422)


# --- what it costs ----------------------------------------------------------------------------------

def test_one_statement_reads_the_response(client, session, cycle, alliance, other_alliance,
                                          coordinator, connection):
    """The cycle, the response and its alliance come with one SELECT; a caller who may not read
    the response gets its 404 after a look at the cycle alone."""
    factories.make_response(session, cycle, alliance)
    counted: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "award_cycle" in statement or "survey_response" in statement:
            counted.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        assert client.get(response_url(cycle, alliance), headers=coordinator).status_code == 200
        own = list(counted)
        counted.clear()
        assert client.get(response_url(cycle, other_alliance), headers=coordinator).status_code == 404
        denied = list(counted)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert len(own) == 1 and "alliance" in own[0]
    assert len(denied) == 1 and "survey_response" not in denied[0]
