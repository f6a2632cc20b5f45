"""Survey responses through the API: drafts, submission, reopening, reading, history, and the
pure rules behind them (window, eligibility, content checks)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app.alliances.models import Alliance, AllianceStatus
from app.awards.models import Award, AwardStatus
from app.core.db import utcnow
from app.cycles.models import AwardCycle, CycleStatus
from app.questionnaire.models import Question
from app.questionnaire.rules import check_answers
from app.questionnaire.service import questions_of
from app.surveys import rules as response_rules
from app.surveys import store as response_store
from app.surveys.demo import seed_responses
from app.surveys.eligibility import ineligibility_reason
from app.surveys.models import ResponseRevision, ResponseStatus, SurveyResponse
from tests import factories
from tests.surveys.helpers import draft_body, response_url, responses_url, revision_count, stored
from tests.utils.etags import row_tag
from tests.utils.problems import assert_problem, error_locs
from tests.utils.racing import race

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
GOOD_SCORE = 19.0  # meetings 6 (capped) + press 3 + monthly 4×2 + two topics 2


def _award(session: Session, alliance: Alliance, status: AwardStatus = AwardStatus.confirmed) -> None:
    past = factories.make_cycle(session, status=CycleStatus.archived)
    session.add(Award(cycle_id=past.id, alliance_id=alliance.id, title=past.seal_title,
                      awarded_on=date(2023, 11, 24), status=status,
                      verification_code=f"V-{past.id}-{alliance.id}", confirmed_by="user:1"))
    session.commit()


# --- pure rules -----------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "opens", "closes", "admin", "allowed"), [
    (CycleStatus.survey_open, -1, 1, False, True),
    (CycleStatus.survey_open, 1, 2, False, False),       # not yet open
    (CycleStatus.survey_open, -2, -1, False, False),     # closed by date
    (CycleStatus.survey_open, -2, 0, False, False),      # closes_at is exclusive
    (CycleStatus.survey_open, 0, 1, False, True),        # opens_at is inclusive
    (CycleStatus.survey_closed, -2, 1, False, False),    # closed by status
    (CycleStatus.draft, -2, 1, False, False),
    (CycleStatus.survey_open, None, None, False, False),  # no window set
    (CycleStatus.survey_closed, -2, -1, True, True),     # admins after the window
    (CycleStatus.survey_open, 1, 2, True, True),
    (CycleStatus.evaluated, -2, -1, True, False),        # evaluated: final for everyone
    (CycleStatus.archived, -2, -1, True, False),
])
def test_closed_reason(status, opens, closes, admin, allowed):
    opens_at = None if opens is None else NOW + timedelta(days=opens)
    closes_at = None if closes is None else NOW + timedelta(days=closes)
    reason = response_rules.closed_reason(status, opens_at, closes_at, NOW, admin=admin)
    assert (reason is None) is allowed
    if reason is not None:
        assert isinstance(reason, str) and reason.endswith(".")


@pytest.mark.parametrize(("status", "sealed", "eligible"), [
    (AllianceStatus.active, False, True),
    (AllianceStatus.dormant, False, True),
    (AllianceStatus.dissolved, False, False),
    (AllianceStatus.active, True, False),
    (AllianceStatus.dormant, True, False),
])
def test_ineligibility(status, sealed, eligible):
    assert (ineligibility_reason(status, sealed) is None) is eligible


def _questions() -> list[Question]:
    return [Question(cycle_id=1, **spec) for spec in factories.STANDARD_QUESTIONS]


@pytest.mark.parametrize(("content", "submit", "expected"), [
    ({"answers": {"partner_meetings": 3}}, False, set()),
    ({"answers": {"partner_meetings": "drei"}}, False, {("a", "partner_meetings")}),
    ({"answers": {"nope": 1}}, False, {("a", "nope")}),
    ({"answers": dict(factories.GOOD_ANSWERS), "wants_future_project": True, "wants_seal": False},
     True, set()),
    ({"answers": {"partner_meetings": 3}, "wants_seal": True}, True,
     {("a", "press_coverage"), ("a", "offer_frequency"), ("r", "wants_future_project")}),
    ({"answers": {}, "reported_status": "dissolved", "wants_future_project": False,
      "wants_seal": False}, True, set()),                      # dissolved: questions waived
    ({"answers": {"press_coverage": "ja"}, "reported_status": "dissolved"}, True,
     {("a", "press_coverage"), ("r", "wants_future_project"), ("r", "wants_seal")}),
])
def test_content_errors(content, submit, expected):
    errors = response_rules.content_errors(_questions(), content, submit=submit, loc=("r",),
                                      answers_loc=("a",))
    assert {tuple(e["loc"]) for e in errors} == expected


def test_normalised_drops_unanswered_and_keeps_declarations():
    result = response_rules.normalised({"answers": {"a": None, "b": 0, "c": False}, "wants_seal": False})
    assert result == {"answers": {"b": 0, "c": False}, "wants_future_project": None,
                      "wants_seal": False, "reported_status": None, "wants_finder_listing": None}


# --- saving drafts ---------------------------------------------------------------------------

def test_alliance_user_saves_a_partial_draft(client, session, cycle, alliance, coordinator):
    r = client.put(response_url(cycle, alliance), headers=coordinator,
                   json={"answers": {"partner_meetings": 4}, "wants_seal": True})
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"].endswith(f"/responses/{alliance.id}")
    assert row_tag(r.headers["etag"]) == f'"response-{body["id"]}-v1"'
    assert body["status"] == "draft" and body["mode"] == "online"
    assert body["answers"] == {"partner_meetings": 4}
    assert body["entered_by"].startswith("user:") and body["activity_score"] is None
    assert body["alliance_slug"] == alliance.slug and body["cycle_key"] == cycle.key

    r = client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    assert r.status_code == 200
    assert r.json()["version"] == 2 and r.json()["answers"] == factories.GOOD_ANSWERS
    assert revision_count(session, body["id"]) == 2


def test_saving_identical_content_writes_nothing(client, session, cycle, alliance, coordinator):
    first = client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    again = client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    assert again.status_code == 200
    assert again.json()["version"] == first.json()["version"] == 1
    assert revision_count(session, first.json()["id"]) == 1


def test_put_replaces_the_whole_draft(client, cycle, alliance, coordinator):
    client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    r = client.put(response_url(cycle, alliance), headers=coordinator,
                   json={"answers": {"press_coverage": False, "remarks": None}})
    assert r.json()["answers"] == {"press_coverage": False}
    assert r.json()["wants_seal"] is None


@pytest.mark.parametrize("text", ["Rechnung\u202efdp.exe", "Zeile\x0bZwei", "Null\x1bEsc"])
def test_free_text_answers_refuse_control_and_bidi_characters(client, cycle, alliance, coordinator,
                                                              session, text):
    r = client.put(response_url(cycle, alliance), headers=coordinator,
                   json={"answers": {"remarks": text}})
    body = assert_problem(r, 422, "invalid_answers")
    assert error_locs(body) == [["body", "answers", "remarks"]]
    assert "control" in body["errors"][0]["msg"]
    assert stored(session, cycle, alliance) is None


def test_free_text_answers_keep_line_breaks_and_tabs(client, cycle, alliance, coordinator):
    text = "Erste Zeile\r\nZweite Zeile\n\tEingerückt"
    r = client.put(response_url(cycle, alliance), headers=coordinator,
                   json={"answers": {"remarks": text}})
    assert r.status_code == 201, r.text
    assert r.json()["answers"]["remarks"] == text


def test_a_partner_batch_refuses_the_item_with_a_bidi_override(client, session, cycle, alliance):
    partner = factories.client_headers(factories.make_client(session, alliances=[alliance]))
    r = client.post(f"{responses_url(cycle)}:batch", headers=partner, json={"items": [
        {"alliance": alliance.id, "answers": {"remarks": "Name\u202eevil"}}]})
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["status"] == "rejected"
    assert [e["loc"] for e in item["problem"]["errors"]] == [["body", "items", 0, "answers", "remarks"]]


def test_draft_answers_are_type_checked(client, cycle, alliance, coordinator):
    r = client.put(response_url(cycle, alliance), headers=coordinator, json={"answers": {
        "partner_meetings": "viele", "offer_frequency": "weekly", "future_topics": ["childcare",
        "childcare"], "last_event_on": "04.05.2024", "unknown_question": 1}})
    body = assert_problem(r, 422, "invalid_answers")
    assert sorted(map(tuple, error_locs(body))) == sorted([
        ("body", "answers", "partner_meetings"), ("body", "answers", "offer_frequency"),
        ("body", "answers", "future_topics"), ("body", "answers", "last_event_on"),
        ("body", "answers", "unknown_question")])


@pytest.mark.parametrize(("payload", "loc"), [
    ({"answers": {}, "alliance_id": 3}, ["body", "alliance_id"]),
    ({"answers": {}, "status": "submitted"}, ["body", "status"]),
    ({"answers": [1, 2]}, ["body", "answers"]),
    ({"wants_seal": "vielleicht"}, ["body", "wants_seal"]),
    ({"reported_status": "asleep"}, ["body", "reported_status"]),
    ({"mode": "partner_import"}, ["body", "mode"]),
])
def test_save_rejects_malformed_bodies(client, cycle, alliance, coordinator, payload, loc):
    body = assert_problem(client.put(response_url(cycle, alliance), headers=coordinator,
                                     json=payload), 422, "validation_error")
    assert loc in error_locs(body)


def test_save_unknown_cycle_is_404(client, alliance, coordinator):
    r = client.put(f"/api/v1/cycles/1900-01/responses/{alliance.id}", headers=coordinator,
                   json=draft_body())
    assert_problem(r, 404, "cycle_not_found")


def test_save_wrong_callers(client, cycle, alliance, other_alliance, alliance_user, partner):
    url = response_url(cycle, alliance)
    assert_problem(client.put(url, json=draft_body()), 401, "unauthorized")
    assert_problem(client.put(url, headers=alliance_user(other_alliance), json=draft_body()),
                   404, "response_not_found")
    assert_problem(client.put(url, headers=partner, json=draft_body()), 403, "forbidden")


def test_alliance_user_cannot_claim_another_mode(client, cycle, alliance, coordinator):
    body = assert_problem(client.put(response_url(cycle, alliance), headers=coordinator,
                                     json=draft_body(mode="phone_interview")), 403, "forbidden_field")
    assert ["body", "mode"] in error_locs(body)


def test_admin_enters_a_phone_interview(client, cycle, alliance, admin, admin_account):
    r = client.put(response_url(cycle, alliance), headers=admin, json=draft_body())
    assert r.status_code == 201
    assert r.json()["mode"] == "phone_interview"
    assert r.json()["entered_by"] == f"user:{admin_account.id}"
    r = client.put(response_url(cycle, alliance), headers=admin,
                   json=draft_body(mode="admin_entry", wants_seal=False))
    assert r.json()["mode"] == "admin_entry"
    body = assert_problem(client.put(response_url(cycle, alliance), headers=admin,
                                     json=draft_body(mode="online")), 422, "rule_violation")
    assert ["body", "mode"] in error_locs(body)


def test_admin_for_unknown_alliance_is_404(client, cycle, admin):
    assert_problem(client.put(f"{responses_url(cycle)}/999999", headers=admin, json=draft_body()),
                   404, "alliance_not_found")


@pytest.mark.parametrize("window", [
    {"opens_at": "future"}, {"closes_at": "past"}, {"status": CycleStatus.survey_closed},
    {"status": CycleStatus.draft},
])
def test_alliance_users_write_only_in_the_window(client, cycle_in, alliance, coordinator, window):
    now = utcnow()
    fields: dict[str, Any] = {}
    if window.get("opens_at"):
        fields.update(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=9))
    if window.get("closes_at"):
        fields.update(opens_at=now - timedelta(days=9), closes_at=now - timedelta(minutes=1))
    if "status" in window:
        fields["status"] = window["status"]
    cycle = cycle_in(**fields)
    assert_problem(client.put(response_url(cycle, alliance), headers=coordinator,
                              json=draft_body()), 409, "survey_closed")
    assert_problem(client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator),
                   409, "survey_closed")


def test_admin_saves_and_submits_after_the_window(client, session, cycle_in, alliance, admin):
    now = utcnow()
    cycle = cycle_in(status=CycleStatus.survey_closed, opens_at=now - timedelta(days=30),
                     closes_at=now - timedelta(days=2))
    assert client.put(response_url(cycle, alliance), headers=admin, json=draft_body()).status_code == 201
    r = client.post(f"{response_url(cycle, alliance)}/submit", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"


def test_evaluated_cycle_is_final_even_for_admins(client, cycle_in, alliance, admin):
    cycle = cycle_in(status=CycleStatus.evaluated)
    assert_problem(client.put(response_url(cycle, alliance), headers=admin, json=draft_body()),
                   409, "survey_closed")


def test_dissolved_alliance_may_not_answer(client, session, cycle, admin):
    dissolved = factories.make_alliance(session, status=AllianceStatus.dissolved)
    body = assert_problem(client.put(response_url(cycle, dissolved), headers=admin,
                                     json=draft_body()), 409, "not_eligible")
    assert "dissolved" in body["detail"]


def test_sealed_alliance_may_not_answer(client, session, cycle, alliance, coordinator):
    _award(session, alliance)
    body = assert_problem(client.put(response_url(cycle, alliance), headers=coordinator,
                                     json=draft_body()), 409, "not_eligible")
    assert "seal" in body["detail"]


def test_withdrawn_seal_does_not_count(client, session, cycle, alliance, coordinator):
    _award(session, alliance, AwardStatus.withdrawn)
    assert client.put(response_url(cycle, alliance), headers=coordinator,
                      json=draft_body()).status_code == 201


def test_if_match_guards_against_lost_updates(client, cycle, alliance, coordinator):
    first = client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    etag = first.headers["etag"]
    second = client.put(response_url(cycle, alliance), headers={**coordinator, "If-Match": etag},
                        json=draft_body(wants_seal=False))
    assert second.status_code == 200
    stale = client.put(response_url(cycle, alliance), headers={**coordinator, "If-Match": etag},
                       json=draft_body(wants_seal=True))
    assert_problem(stale, 412, "precondition_failed")
    assert_problem(client.post(f"{response_url(cycle, alliance)}/submit",
                               headers={**coordinator, "If-Match": etag}), 412)


# --- submitting -----------------------------------------------------------------------------

def test_submit_computes_and_stores_the_activity_score(client, session, cycle, alliance,
                                                       coordinator):
    client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    r = client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "submitted" and body["activity_score"] == GOOD_SCORE
    assert body["submitted_by"] == body["entered_by"] and body["submitted_at"]
    rows = {row["question"]: row for row in body["score_breakdown"]}
    assert rows["partner_meetings"]["points"] == 6 and rows["offer_frequency"]["weighted"] == 8
    row = stored(session, cycle, alliance)
    assert row is not None and row.activity_score == GOOD_SCORE
    assert row.status == ResponseStatus.submitted


def test_submit_names_every_missing_or_wrong_field(client, session, cycle, alliance, coordinator):
    client.put(response_url(cycle, alliance), headers=coordinator,
               json={"answers": {"partner_meetings": 2}})
    body = assert_problem(client.post(f"{response_url(cycle, alliance)}/submit",
                                      headers=coordinator), 422, "invalid_answers")
    assert sorted(map(tuple, error_locs(body))) == sorted([
        ("body", "answers", "press_coverage"), ("body", "answers", "offer_frequency"),
        ("body", "wants_future_project"), ("body", "wants_seal")])
    row = stored(session, cycle, alliance)
    assert row is not None and row.status == ResponseStatus.draft


def test_dissolving_alliance_submits_without_the_questions(client, cycle, alliance, coordinator):
    client.put(response_url(cycle, alliance), headers=coordinator, json={
        "answers": {}, "reported_status": "dissolved", "wants_future_project": False,
        "wants_seal": False})
    r = client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    assert r.status_code == 200
    assert r.json()["reported_status"] == "dissolved" and r.json()["activity_score"] == 0


def test_submitted_response_is_frozen(client, cycle, alliance, coordinator):
    client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    body = assert_problem(client.put(response_url(cycle, alliance), headers=coordinator,
                                     json=draft_body(wants_seal=False)), 409, "response_submitted")
    assert body["allowed"] == ["reopen"]
    assert_problem(client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator),
                   409, "response_submitted")


def test_submit_without_draft_is_404(client, cycle, alliance, coordinator):
    assert_problem(client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator),
                   404, "response_not_found")


def test_submit_applies_the_finder_consent(client, session, cycle, alliance, coordinator):
    assert alliance.listed_in_finder is True
    client.put(response_url(cycle, alliance), headers=coordinator,
               json=draft_body(wants_finder_listing=False))
    client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    session.expire_all()
    assert session.get(Alliance, alliance.id).listed_in_finder is False


def test_reported_dormancy_is_kept_for_review(client, session, cycle, alliance, coordinator):
    client.put(response_url(cycle, alliance), headers=coordinator,
               json=draft_body(reported_status="dormant"))
    r = client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    assert r.json()["reported_status"] == "dormant"
    session.expire_all()
    assert session.get(Alliance, alliance.id).status == AllianceStatus.active


def test_submit_wrong_callers(client, cycle, alliance, other_alliance, alliance_user, partner,
                              coordinator):
    client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    url = f"{response_url(cycle, alliance)}/submit"
    assert_problem(client.post(url), 401)
    assert_problem(client.post(url, headers=alliance_user(other_alliance)), 404, "response_not_found")
    assert_problem(client.post(url, headers=partner), 403)


def test_submit_bad_path_is_422(client, cycle, coordinator):
    body = assert_problem(client.post(f"{responses_url(cycle)}/abc/submit", headers=coordinator),
                          422, "validation_error")
    assert ["path", "alliance_id"] in error_locs(body)


# --- reopening ------------------------------------------------------------------------------

def test_admin_reopens_with_a_reason(client, session, cycle, alliance, coordinator, admin):
    client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    r = client.post(f"{response_url(cycle, alliance)}/reopen", headers=admin,
                    json={"reason": "Zahlendreher bei den Treffen"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "draft" and body["activity_score"] is None
    assert body["reopened_reason"] == "Zahlendreher bei den Treffen"
    assert body["submitted_at"] is None and body["score_breakdown"] == []
    fixed = client.put(response_url(cycle, alliance), headers=coordinator,
                       json=draft_body(answers={**factories.GOOD_ANSWERS, "partner_meetings": 3}))
    assert fixed.status_code == 200
    again = client.post(f"{response_url(cycle, alliance)}/submit", headers=coordinator)
    assert again.json()["activity_score"] == GOOD_SCORE - 3


def test_reopen_rules_and_callers(client, cycle, alliance, coordinator, admin, partner):
    client.put(response_url(cycle, alliance), headers=coordinator, json=draft_body())
    url = f"{response_url(cycle, alliance)}/reopen"
    assert_problem(client.post(url, headers=admin, json={"reason": "weil"}), 409,
                   "response_not_submitted")
    body = assert_problem(client.post(url, headers=admin, json={"reason": " "}), 422)
    assert ["body", "reason"] in error_locs(body)
    assert ["body", "reason"] in error_locs(assert_problem(client.post(url, headers=admin, json={}), 422))
    assert_problem(client.post(url, json={"reason": "weil"}), 401)
    assert_problem(client.post(url, headers=coordinator, json={"reason": "weil"}), 403)
    assert_problem(client.post(url, headers=partner, json={"reason": "weil"}), 403)


def test_reopen_without_response_is_404(client, cycle, alliance, admin):
    assert_problem(client.post(f"{response_url(cycle, alliance)}/reopen", headers=admin,
                               json={"reason": "Test"}), 404, "response_not_found")


# --- reading --------------------------------------------------------------------------------

def test_alliance_user_reads_only_its_own(client, session, cycle, alliance, other_alliance,
                                          coordinator, alliance_user):
    factories.make_response(session, cycle, alliance)
    factories.make_response(session, cycle, other_alliance)
    r = client.get(response_url(cycle, alliance), headers=coordinator)
    assert r.status_code == 200 and r.json()["alliance_id"] == alliance.id
    assert row_tag(r.headers["etag"]) == f'"response-{r.json()["id"]}-v1"'
    mine = client.get(f"{responses_url(cycle)}/mine", headers=coordinator)
    assert mine.json()["id"] == r.json()["id"]
    assert_problem(client.get(response_url(cycle, other_alliance), headers=coordinator), 404,
                   "response_not_found")
    listed = client.get(responses_url(cycle), headers=coordinator).json()["items"]
    assert [item["alliance_id"] for item in listed] == [alliance.id]
    assert_problem(client.get(f"{responses_url(cycle)}/mine",
                              headers=alliance_user(factories.make_alliance(session))), 404)


def test_admin_reads_any_and_mine_is_for_alliance_users(client, session, cycle, alliance, admin):
    factories.make_response(session, cycle, alliance)
    assert client.get(response_url(cycle, alliance), headers=admin).json()["alliance_id"] == alliance.id
    assert_problem(client.get(f"{responses_url(cycle)}/mine", headers=admin), 403, "no_alliance")


def test_mine_and_get_wrong_callers_and_bad_input(client, session, cycle, alliance, coordinator,
                                                 partner):
    factories.make_response(session, cycle, alliance)
    mine = f"{responses_url(cycle)}/mine"
    assert_problem(client.get(mine), 401)
    assert_problem(client.get(mine, headers=partner), 403)
    assert_problem(client.get("/api/v1/cycles/1900-01/responses/mine", headers=coordinator), 404,
                   "cycle_not_found")
    for bad in ("0", "abc"):
        body = assert_problem(client.get(f"{responses_url(cycle)}/{bad}", headers=coordinator), 422)
        assert ["path", "alliance_id"] in error_locs(body)


def test_read_wrong_callers(client, session, cycle, alliance):
    factories.make_response(session, cycle, alliance)
    assert_problem(client.get(response_url(cycle, alliance)), 401)
    scopeless = factories.client_headers(factories.make_client(session, scopes=("alliances:read",)))
    assert_problem(client.get(response_url(cycle, alliance), headers=scopeless), 403,
                   "insufficient_scope")
    assert_problem(client.get(responses_url(cycle), headers=scopeless), 403, "insufficient_scope")
    assert_problem(client.get(responses_url(cycle)), 401)


def test_partner_reads_only_what_it_pushed(client, session, cycle, alliance, other_alliance,
                                           survey_reader):
    headers = survey_reader([alliance, other_alliance])
    factories.make_response(session, cycle, other_alliance)  # entered online, not by the client
    r = client.post(f"{responses_url(cycle)}:batch", headers=headers,
                    json={"items": [{"alliance": alliance.id, "answers": {"partner_meetings": 1}}]})
    assert r.status_code == 200, r.text
    assert client.get(response_url(cycle, alliance), headers=headers).status_code == 200
    assert_problem(client.get(response_url(cycle, other_alliance), headers=headers), 404)
    listed = client.get(responses_url(cycle), headers=headers).json()["items"]
    assert [item["alliance_id"] for item in listed] == [alliance.id]


def test_admin_lists_filters_and_pages(client, session, cycle, admin):
    nrw = [factories.make_alliance(session, state="DE-NW") for _ in range(2)]
    bavarian = factories.make_alliance(session, state="DE-BY")
    factories.make_response(session, cycle, nrw[0])
    factories.make_response(session, cycle, nrw[1], submitted=False, mode="phone_interview")
    factories.make_response(session, cycle, bavarian, reported_status="dormant", wants_seal=False)
    other_cycle = factories.make_cycle(session)
    factories.make_response(session, other_cycle, bavarian)

    def ids(**params: Any) -> list[int]:
        r = client.get(responses_url(cycle), headers=admin, params=params)
        assert r.status_code == 200, r.text
        return [item["alliance_id"] for item in r.json()["items"]]

    assert sorted(ids()) == sorted([nrw[0].id, nrw[1].id, bavarian.id])
    assert ids(status="draft") == [nrw[1].id]
    assert ids(mode="phone_interview") == [nrw[1].id]
    assert sorted(ids(state="DE-NW")) == sorted([nrw[0].id, nrw[1].id])
    assert ids(reported_status="dormant") == [bavarian.id]
    assert ids(wants_seal="false") == [bavarian.id]
    assert ids(sort="-id")[0] == bavarian.id

    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 1, "include_total": "true"}
        if cursor:
            params["cursor"] = cursor
        r = client.get(responses_url(cycle), headers=admin, params=params)
        page = r.json()
        assert page["total"] == 3
        seen += [item["id"] for item in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if not cursor:
            break
        assert 'rel="next"' in r.headers["link"]
    assert pages == 3 and len(set(seen)) == 3


@pytest.mark.parametrize(("params", "loc"), [
    ({"status": "frozen"}, ["query", "status"]),
    ({"mode": "fax"}, ["query", "mode"]),
    ({"state": "DE-XX"}, ["query", "state"]),
    ({"limit": 0}, ["query", "limit"]),
    ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
    ({"sort": "activity"}, ["query", "sort"]),
])
def test_list_rejects_bad_filters(client, cycle, admin, params, loc):
    body = assert_problem(client.get(responses_url(cycle), headers=admin, params=params), 422)
    assert loc in error_locs(body)


# --- history --------------------------------------------------------------------------------

def test_history_records_every_step(client, cycle, alliance, coordinator, admin, admin_account):
    url = response_url(cycle, alliance)
    client.put(url, headers=coordinator, json={"answers": {"partner_meetings": 1}})
    client.put(url, headers=coordinator, json=draft_body())
    client.post(f"{url}/submit", headers=coordinator)
    client.post(f"{url}/reopen", headers=admin, json={"reason": "Nachtrag Presse"})
    client.put(url, headers=admin, json=draft_body(wants_seal=False))
    r = client.get(f"{url}/history", headers=coordinator)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["action"] for i in items] == ["save", "save", "submit", "reopen", "save"]
    assert [i["revision"] for i in items] == [1, 2, 3, 4, 5]
    assert items[0]["answers"] == {"partner_meetings": 1}
    assert items[3]["reason"] == "Nachtrag Presse"
    assert items[3]["actor"] == items[4]["actor"] == f"user:{admin_account.id}"
    assert items[4]["mode"] == "phone_interview" and items[0]["mode"] == "online"
    assert client.get(f"{url}/history", headers=admin).json()["items"] == items
    page = client.get(f"{url}/history", headers=admin, params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]


def test_history_wrong_callers(client, session, cycle, alliance, other_alliance, alliance_user,
                               partner):
    factories.make_response(session, cycle, alliance)
    url = f"{response_url(cycle, alliance)}/history"
    assert_problem(client.get(url), 401)
    assert_problem(client.get(url, headers=alliance_user(other_alliance)), 404)
    assert_problem(client.get(url, headers=partner), 403)
    assert ["query", "limit"] in error_locs(assert_problem(
        client.get(url, headers=alliance_user(alliance), params={"limit": 500}), 422))


# --- two submissions at the same moment -----------------------------------------------------

def test_concurrent_submissions_exactly_one_wins(engine: Engine, committed, racing_client):
    """Two submit requests, each with its own session and connection, released at the same
    moment: one is 200, the other 409, and there is exactly one submit revision."""
    url = f"{response_url(committed.cycle, committed.alliance)}/submit"
    replies = race(2, lambda: racing_client.post(url, headers=committed.headers))
    assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
    loser = next(r for r in replies if r.status_code == 409)
    assert loser.json()["code"] in ("response_submitted", "response_changed")
    with Session(engine) as check:
        row = check.get(SurveyResponse, committed.draft.id)
        assert row is not None and row.status == ResponseStatus.submitted
        actions = check.exec(select(ResponseRevision.action)
                             .where(ResponseRevision.response_id == committed.draft.id)).all()
        assert list(actions) == ["submit"]


def test_claim_lets_only_one_of_two_readers_write(engine: Engine, committed):
    """The guard itself, interleaved by hand: both sessions read the same draft, the first
    claims and commits, the second's claim must fail (PostgreSQL: no row matched; SQLite:
    its snapshot is stale) so that it re-reads instead of overwriting."""
    with Session(engine) as first, Session(engine) as second:
        mine = response_store.find_response(first, committed.cycle.id, committed.alliance.id)
        theirs = response_store.find_response(second, committed.cycle.id, committed.alliance.id)
        assert mine is not None and theirs is not None and mine.version == theirs.version
        response_store.claim(first, mine, ResponseStatus.draft)
        mine.status = ResponseStatus.submitted
        first.commit()
        with pytest.raises((response_store.LostRace, OperationalError)) as lost:
            response_store.claim(second, theirs, ResponseStatus.draft)
        if isinstance(lost.value, OperationalError):
            assert response_store.is_lock_error(lost.value)
        second.rollback()
        fresh = response_store.find_response(second, committed.cycle.id, committed.alliance.id)
        assert fresh is not None and fresh.status == ResponseStatus.submitted


# --- demo data ------------------------------------------------------------------------------

def test_demo_seed_is_realistic_and_idempotent(session):
    from app.demo.seed import SEED_STEPS, SeedReport

    steps = SEED_STEPS[: SEED_STEPS.index(seed_responses) + 1]
    report = SeedReport()
    for step in steps:
        step(session, report)
    session.commit()
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == "2024/25")).one()
    rows = session.exec(select(SurveyResponse).where(SurveyResponse.cycle_id == cycle.id)).all()
    assert report.created["survey responses"] == len(rows) >= 6
    assert {r.mode for r in rows} == {"online", "phone_interview", "partner_import"}
    assert [r.status for r in rows].count(ResponseStatus.draft) == 1
    assert [r.reported_status for r in rows].count("dormant") == 1
    questions = questions_of(session, cycle.id)
    for row in rows:
        assert row.entered_by.split(":")[0] in ("user", "client")
        if row.status == ResponseStatus.submitted:
            assert check_answers(questions, row.answers, complete=True) == []
            assert row.activity_score is not None
            assert row.activity_score > 0 or row.reported_status == "dormant"
    again = SeedReport()
    seed_responses(session, again)
    assert "survey responses" not in again.created
