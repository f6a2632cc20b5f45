"""/api/v1/cycles through the HTTP API: create, list, read, change, delete, and the steps."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.awards.models import Award, AwardStatus
from app.core.db import utcnow
from app.cycles.models import AwardCycle, CycleStatus
from app.evaluation.models import EvaluationRun
from tests import factories
from tests.cycles.helpers import CYCLES, locs
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem

NEW_CYCLE = {
    "key": "2031/32", "seal_title": "Ausgezeichnetes Bündnis 2031/2032",
    "opens_at": "2031-05-01T08:00:00+02:00", "closes_at": "2031-07-31T23:59:00+02:00",
    "ceremony_on": "2031-11-21", "ceremony_place": "Berlin",
}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- create -----------------------------------------------------------------------------------

def test_admin_creates_a_draft_cycle_with_derived_slug(client, admin):
    r = client.post(CYCLES, headers=admin, json=NEW_CYCLE)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["key"] == "2031/32" and body["slug"] == "2031-32"
    assert body["status"] == "draft"
    assert body["allowed_actions"] == ["open-survey"]
    assert body["question_count"] == 0 and body["questionnaire_frozen"] is False
    assert body["accepting_answers"] is False
    assert _at(body["opens_at"]) == datetime(2031, 5, 1, 6, 0, tzinfo=UTC)
    assert r.headers["Location"] == "/api/v1/cycles/2031-32"
    assert row_tag(r.headers["ETag"]) == f'"cycle-{body["id"]}-v1"'
    assert client.get(r.headers["Location"], headers=admin).json()["id"] == body["id"]


def test_seal_title_defaults_to_the_key(client, admin):
    r = client.post(CYCLES, headers=admin, json={"key": "2032/33"})
    assert r.status_code == 201, r.text
    assert r.json()["seal_title"] == "Ausgezeichnetes Bündnis 2032/33"
    assert r.json()["opens_at"] is None


@pytest.mark.parametrize("status", ["archived", "awarded"])
def test_past_cycles_can_be_recorded_as_history(client, admin, status):
    r = client.post(CYCLES, headers=admin, json={
        "key": "2023/24", "seal_title": "Ausgezeichnetes Bündnis 2023/24", "status": status,
        "opens_at": "2023-04-17T08:00:00+02:00", "closes_at": "2023-06-30T23:59:00+02:00",
        "ceremony_on": "2023-11-24", "ceremony_place": "Berlin",
    })
    assert r.status_code == 201, r.text
    assert r.json()["status"] == status
    assert r.json()["allowed_actions"] == (["archive"] if status == "awarded" else [])
    assert r.json()["questionnaire_frozen"] is True


@pytest.mark.parametrize(("payload", "loc"), [
    ({"key": "2024/26"}, ("body", "key")),
    ({"key": "24/25"}, ("body", "key")),
    ({"key": "2024-25"}, ("body", "key")),
    ({}, ("body", "key")),
    ({"key": "2024/25", "opens_at": "2024-05-01T08:00:00"}, ("body", "opens_at")),
    ({"key": "2024/25", "closes_at": "not a time"}, ("body", "closes_at")),
    ({"key": "2024/25", "status": "survey_open"}, ("body", "status")),
    ({"key": "2024/25", "slug": "mine"}, ("body", "slug")),
    ({"key": "2024/25", "seal_title": "  "}, ("body", "seal_title")),
    ({"key": "2024/25", "ceremony_on": "24.11.2024"}, ("body", "ceremony_on")),
])
def test_create_refuses_bad_input_naming_the_field(client, admin, payload, loc):
    body = assert_problem(client.post(CYCLES, headers=admin, json=payload), 422)
    assert loc in locs(body)


def test_window_must_close_after_it_opens(client, admin):
    r = client.post(CYCLES, headers=admin, json={
        **NEW_CYCLE, "closes_at": "2031-05-01T06:00:00Z",  # the same instant as opens_at
    })
    body = assert_problem(r, 422)
    assert locs(body) == [("body", "closes_at")]


def test_key_is_unique(client, admin):
    assert client.post(CYCLES, headers=admin, json=NEW_CYCLE).status_code == 201
    body = assert_problem(client.post(CYCLES, headers=admin, json=NEW_CYCLE), 409, "cycle_key_taken")
    assert locs(body) == [("body", "key")]


def test_only_admins_create(client, alliance, alliance_user, partner):
    assert_problem(client.post(CYCLES, json=NEW_CYCLE), 401)
    assert_problem(client.post(CYCLES, headers=alliance_user(alliance), json=NEW_CYCLE), 403)
    assert_problem(client.post(CYCLES, headers=partner, json=NEW_CYCLE), 403)


# --- read -------------------------------------------------------------------------------------

def test_every_signed_in_reader_lists_and_reads(client, session, alliance, alliance_user,
                                                partner, survey_reader, draft_cycle):
    for headers in (alliance_user(alliance), partner, survey_reader):
        listed = client.get(CYCLES, headers=headers)
        assert listed.status_code == 200, listed.text
        assert draft_cycle.id in [c["id"] for c in listed.json()["items"]]
        one = client.get(f"{CYCLES}/{draft_cycle.slug}", headers=headers)
        assert one.status_code == 200
        assert one.json()["question_count"] == len(factories.STANDARD_QUESTIONS)
        assert row_tag(one.headers["ETag"]) == f'"cycle-{draft_cycle.id}-v1"'


def test_readers_without_login_or_scope_are_refused(client, scopeless_client, draft_cycle):
    assert_problem(client.get(CYCLES), 401)
    assert_problem(client.get(f"{CYCLES}/{draft_cycle.id}"), 401)
    assert_problem(client.get(CYCLES, headers=scopeless_client), 403, "insufficient_scope")
    assert_problem(client.get(f"{CYCLES}/{draft_cycle.id}", headers=scopeless_client), 403)


def test_get_by_id_slug_or_key(client, admin, session):
    cycle = factories.make_cycle(session, key="2040/41", slug="2040-41")
    for ref in (str(cycle.id), "2040-41"):
        assert client.get(f"{CYCLES}/{ref}", headers=admin).json()["key"] == "2040/41"
    assert_problem(client.get(f"{CYCLES}/1999-00", headers=admin), 404, "cycle_not_found")
    assert_problem(client.get(f"{CYCLES}/987654", headers=admin), 404, "cycle_not_found")


def test_list_filters_by_status_and_pages_with_a_cursor(client, admin, session):
    made = [factories.make_cycle(session, key=f"20{n}/{n + 1}", slug=f"20{n}-{n + 1}",
                                 status=CycleStatus.archived) for n in range(50, 55)]
    factories.make_cycle(session, key="2060/61", slug="2060-61", status=CycleStatus.draft)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"status": "archived", "limit": 2, "sort": "key", "include_total": "true"}
        if cursor:
            params["cursor"] = cursor
        r = client.get(CYCLES, headers=admin, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == 5
        assert all(c["status"] == "archived" for c in page["items"])
        seen += [c["key"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            assert "Link" not in r.headers
            break
        assert 'rel="next"' in r.headers["Link"]
    assert seen == [c.key for c in made] and pages == 3


def test_list_is_newest_first_and_takes_several_statuses(client, admin, session):
    factories.make_cycle(session, key="2070/71", slug="2070-71", status=CycleStatus.draft)
    factories.make_cycle(session, key="2071/72", slug="2071-72", status=CycleStatus.evaluated)
    factories.make_cycle(session, key="2072/73", slug="2072-73", status=CycleStatus.awarded)
    r = client.get(CYCLES, headers=admin, params=[("status", "draft"), ("status", "awarded")])
    keys = [c["key"] for c in r.json()["items"]]
    assert keys.index("2072/73") < keys.index("2070/71")
    assert "2071/72" not in keys


@pytest.mark.parametrize(("params", "loc"), [
    ({"status": "open"}, ("query", "status", 0)),
    ({"sort": "title"}, ("query", "sort")),
    ({"limit": 0}, ("query", "limit")),
    ({"cursor": "not-a-cursor"}, ("query", "cursor")),
])
def test_list_refuses_bad_query(client, admin, params, loc):
    body = assert_problem(client.get(CYCLES, headers=admin, params=params), 422)
    assert loc in locs(body)


# --- change -----------------------------------------------------------------------------------

def test_admin_changes_a_draft_with_if_match(client, admin, draft_cycle):
    url = f"{CYCLES}/{draft_cycle.id}"
    etag = client.get(url, headers=admin).headers["ETag"]
    r = client.patch(url, headers={**admin, "If-Match": etag},
                     json={"key": "2045/46", "ceremony_place": "Berlin", "ceremony_on": "2045-11-20"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["key"], body["slug"], body["version"]) == ("2045/46", "2045-46", 2)
    assert body["ceremony_place"] == "Berlin"
    assert row_tag(r.headers["ETag"]) == f'"cycle-{draft_cycle.id}-v2"'
    stale = client.patch(url, headers={**admin, "If-Match": etag}, json={"seal_title": "Neu"})
    assert_problem(stale, 412, "precondition_failed")


def test_sending_unchanged_values_changes_nothing(client, admin, draft_cycle):
    url = f"{CYCLES}/{draft_cycle.id}"
    current = client.get(url, headers=admin).json()
    r = client.patch(url, headers=admin, json={"seal_title": current["seal_title"]})
    assert r.json()["version"] == 1


@pytest.mark.parametrize(("payload", "loc"), [
    ({"status": "survey_open"}, ("body", "status")),
    ({"slug": "x"}, ("body", "slug")),
    ({"key": None}, ("body", "key")),
    ({"seal_title": None}, ("body", "seal_title")),
    ({"closes_at": "2000-01-01T00:00:00Z"}, ("body", "closes_at")),
    ({"opens_at": "2999-01-01T00:00:00Z"}, ("body", "opens_at")),
    ({"key": "2045/47"}, ("body", "key")),
])
def test_change_refuses_bad_input(client, admin, draft_cycle, payload, loc):
    body = assert_problem(client.patch(f"{CYCLES}/{draft_cycle.id}", headers=admin, json=payload), 422)
    assert loc in locs(body)


def test_key_change_to_a_taken_key_is_a_conflict(client, admin, session, draft_cycle):
    factories.make_cycle(session, key="2046/47", slug="2046-47")
    r = client.patch(f"{CYCLES}/{draft_cycle.id}", headers=admin, json={"key": "2046/47"})
    assert_problem(r, 409, "cycle_key_taken")


def test_open_survey_fixes_key_and_start_but_end_can_move(client, admin, cycle_in):
    cycle = cycle_in(CycleStatus.survey_open)
    url = f"{CYCLES}/{cycle.id}"
    body = assert_problem(client.patch(url, headers=admin, json={
        "key": "2047/48", "opens_at": "2020-01-01T00:00:00Z"}), 409, "cycle_locked")
    assert set(locs(body)) == {("body", "key"), ("body", "opens_at")}
    later = (cycle.closes_at + timedelta(days=14)).isoformat()
    r = client.patch(url, headers=admin, json={"closes_at": later, "seal_title": "Siegel 2047"})
    assert r.status_code == 200, r.text
    assert _at(r.json()["closes_at"]) == cycle.closes_at + timedelta(days=14)
    # The same start sent again is no change, so it is not refused.
    same = client.patch(url, headers=admin, json={"opens_at": cycle.opens_at.isoformat()})
    assert same.status_code == 200


def test_open_survey_cannot_end_in_the_past_by_patch(client, admin, cycle_in):
    cycle = cycle_in(CycleStatus.survey_open)
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    body = assert_problem(client.patch(f"{CYCLES}/{cycle.id}", headers=admin,
                                       json={"closes_at": past}), 422)
    assert locs(body) == [("body", "closes_at")]


def test_awarded_fixes_the_title_and_archived_is_read_only(client, admin, cycle_in):
    awarded = cycle_in(CycleStatus.awarded)
    body = assert_problem(client.patch(f"{CYCLES}/{awarded.id}", headers=admin,
                                       json={"seal_title": "Anders"}), 409, "cycle_locked")
    assert locs(body) == [("body", "seal_title")]
    ok = client.patch(f"{CYCLES}/{awarded.id}", headers=admin, json={"ceremony_place": "Bonn"})
    assert ok.json()["ceremony_place"] == "Bonn"
    archived = cycle_in(CycleStatus.archived)
    assert_problem(client.patch(f"{CYCLES}/{archived.id}", headers=admin,
                                json={"ceremony_place": "Bonn"}), 409, "cycle_locked")


def test_only_admins_change(client, alliance, alliance_user, partner, draft_cycle):
    url = f"{CYCLES}/{draft_cycle.id}"
    assert_problem(client.patch(url, json={"seal_title": "X Y Z"}), 401)
    assert_problem(client.patch(url, headers=alliance_user(alliance), json={"seal_title": "X Y Z"}), 403)
    assert_problem(client.patch(url, headers=partner, json={"seal_title": "X Y Z"}), 403)


def test_change_of_unknown_cycle_is_404(client, admin):
    assert_problem(client.patch(f"{CYCLES}/2999-00", headers=admin, json={}), 404, "cycle_not_found")


# --- the steps --------------------------------------------------------------------------------

def _confirm_award(session, cycle, alliance, status=AwardStatus.confirmed):
    session.add(Award(cycle_id=cycle.id, alliance_id=alliance.id, title=cycle.seal_title,
                      awarded_on=date(2025, 11, 21), status=status, confirmed_by="user:1",
                      verification_code=f"TEST-{cycle.id}-{alliance.id}"))
    session.commit()


def _step(client, headers, cycle_id, action, **kw):
    return client.post(f"{CYCLES}/{cycle_id}/{action}", headers=headers, **kw)


def test_the_whole_cycle_from_draft_to_archive(client, admin, session, alliance, draft_cycle):
    expected = [
        ("open-survey", "survey_open", ["close-survey"]),
        ("close-survey", "survey_closed", ["open-survey", "mark-evaluated"]),
        ("mark-evaluated", "evaluated", ["mark-awarded"]),
        ("mark-awarded", "awarded", ["archive"]),
        ("archive", "archived", []),
    ]
    for version, (action, status, allowed) in enumerate(expected, start=2):
        if action == "mark-evaluated":
            session.add(EvaluationRun(cycle_id=draft_cycle.id, started_by="user:1"))
            session.commit()
        if action == "mark-awarded":
            _confirm_award(session, draft_cycle, alliance)
        r = _step(client, admin, draft_cycle.id, action)
        assert r.status_code == 200, (action, r.text)
        assert (r.json()["status"], r.json()["allowed_actions"]) == (status, allowed)
        assert r.json()["version"] == version
        assert row_tag(r.headers["ETag"]) == f'"cycle-{draft_cycle.id}-v{version}"'
        assert r.json()["questionnaire_frozen"] is True


def test_opened_survey_accepts_answers_within_its_window(client, admin, draft_cycle):
    r = _step(client, admin, draft_cycle.id, "open-survey")
    assert r.json()["accepting_answers"] is True


def test_a_forbidden_step_names_the_allowed_ones(client, admin, draft_cycle):
    body = assert_problem(_step(client, admin, draft_cycle.id, "archive"), 409, "invalid_transition")
    assert body["allowed"] == ["open-survey"]
    assert body["current_status"] == "draft"
    _step(client, admin, draft_cycle.id, "open-survey")
    body = assert_problem(_step(client, admin, draft_cycle.id, "open-survey"), 409, "invalid_transition")
    assert body["allowed"] == ["close-survey"]


def test_archived_cycle_allows_no_step(client, admin, cycle_in):
    cycle = cycle_in(CycleStatus.archived)
    body = assert_problem(_step(client, admin, cycle.id, "mark-awarded"), 409, "invalid_transition")
    assert body["allowed"] == []


def test_opening_needs_questions_and_a_window(client, admin, session):
    cycle = factories.make_cycle(session, status=CycleStatus.draft, opens_at=None, closes_at=None)
    body = assert_problem(_step(client, admin, cycle.id, "open-survey"), 409, "cycle_not_ready")
    assert set(locs(body)) == {("cycle", "questions"), ("cycle", "opens_at"), ("cycle", "closes_at")}
    assert session.get(AwardCycle, cycle.id).status == CycleStatus.draft


def test_opening_needs_a_window_that_has_not_ended(client, admin, session):
    cycle = factories.make_cycle(session, status=CycleStatus.draft,
                                 opens_at=utcnow() - timedelta(days=30),
                                 closes_at=utcnow() - timedelta(days=1))
    factories.make_questions(session, cycle)
    body = assert_problem(_step(client, admin, cycle.id, "open-survey"), 409, "cycle_not_ready")
    assert [e["type"] for e in body["errors"]] == ["window_ended"]


def test_closing_early_records_when_answers_stopped(client, admin, cycle_in):
    cycle = cycle_in(CycleStatus.survey_open)
    before = utcnow()
    r = _step(client, admin, cycle.id, "close-survey")
    closed_at = _at(r.json()["closes_at"])
    assert before - timedelta(seconds=1) <= closed_at <= utcnow()
    assert r.json()["accepting_answers"] is False


def test_a_closed_survey_reopens_after_the_end_moved(client, admin, cycle_in):
    cycle = cycle_in(CycleStatus.survey_open)
    _step(client, admin, cycle.id, "close-survey")
    refused = assert_problem(_step(client, admin, cycle.id, "open-survey"), 409, "cycle_not_ready")
    assert locs(refused) == [("cycle", "closes_at")]
    later = (utcnow() + timedelta(days=7)).isoformat()
    assert client.patch(f"{CYCLES}/{cycle.id}", headers=admin,
                        json={"closes_at": later}).status_code == 200
    r = _step(client, admin, cycle.id, "open-survey")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "survey_open" and r.json()["accepting_answers"] is True


def test_marking_evaluated_needs_an_evaluation_run(client, admin, cycle_in):
    cycle = cycle_in(CycleStatus.survey_closed)
    body = assert_problem(_step(client, admin, cycle.id, "mark-evaluated"), 409, "cycle_not_ready")
    assert locs(body) == [("cycle", "evaluation")]


def test_marking_awarded_needs_a_confirmed_award(client, admin, session, alliance, cycle_in):
    cycle = cycle_in(CycleStatus.evaluated)
    _confirm_award(session, cycle, alliance, status=AwardStatus.withdrawn)
    body = assert_problem(_step(client, admin, cycle.id, "mark-awarded"), 409, "cycle_not_ready")
    assert locs(body) == [("cycle", "awards")]
    _confirm_award(session, cycle, factories.make_alliance(session))
    assert _step(client, admin, cycle.id, "mark-awarded").json()["status"] == "awarded"


def test_a_step_honours_if_match(client, admin, draft_cycle):
    stale = {**admin, "If-Match": f'"cycle-{draft_cycle.id}-v9"'}
    assert_problem(_step(client, admin | stale, draft_cycle.id, "open-survey"), 412)
    fresh = {**admin, "If-Match": f'"cycle-{draft_cycle.id}-v1"'}
    assert _step(client, fresh, draft_cycle.id, "open-survey").status_code == 200


def test_only_admins_take_steps(client, alliance, alliance_user, partner, draft_cycle):
    assert_problem(_step(client, {}, draft_cycle.id, "open-survey"), 401)
    assert_problem(_step(client, alliance_user(alliance), draft_cycle.id, "open-survey"), 403)
    assert_problem(_step(client, partner, draft_cycle.id, "open-survey"), 403)


def test_step_on_unknown_cycle_is_404(client, admin):
    assert_problem(_step(client, admin, "2999-00", "open-survey"), 404, "cycle_not_found")


# --- delete -----------------------------------------------------------------------------------

def test_a_cycle_without_history_can_be_deleted(client, admin, draft_cycle):
    url = f"{CYCLES}/{draft_cycle.id}"
    assert client.delete(url, headers={**admin, "If-Match": '"cycle-0-v0"'}).status_code == 412
    assert client.delete(url, headers=admin).status_code == 204
    assert_problem(client.get(url, headers=admin), 404)
    assert_problem(client.get(f"{url}/questions", headers=admin), 404)


def test_a_cycle_with_responses_is_kept(client, admin, session, alliance, cycle_in):
    cycle = cycle_in(CycleStatus.survey_closed)
    factories.make_response(session, cycle, alliance)
    body = assert_problem(client.delete(f"{CYCLES}/{cycle.id}", headers=admin), 409, "cycle_in_use")
    assert "survey_response" in body["detail"]


def test_an_open_survey_is_not_deleted(client, admin, cycle_in):
    cycle = cycle_in(CycleStatus.survey_open)
    assert_problem(client.delete(f"{CYCLES}/{cycle.id}", headers=admin), 409, "cycle_locked")


def test_only_admins_delete(client, alliance, alliance_user, partner, draft_cycle):
    url = f"{CYCLES}/{draft_cycle.id}"
    assert_problem(client.delete(url), 401)
    assert_problem(client.delete(url, headers=alliance_user(alliance)), 403)
    assert_problem(client.delete(url, headers=partner), 403)
