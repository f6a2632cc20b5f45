"""The yearly cycle as a script follows it: every documented call of the README table, in
order, through the API, each step finding the status the previous one left (no hidden state
moves: an evaluation run leaves the cycle as it is, mark-evaluated moves it)."""

from datetime import timedelta

from app.core.db import utcnow
from tests import factories

API = "/api/v1"
QUESTIONS = [{k: v for k, v in q.items()} for q in factories.STANDARD_QUESTIONS] + [{
    "key": "partner_count", "text": "Wie viele Partnerorganisationen hat das Bündnis?",
    "type": "integer", "required": False, "criterion_group": "networking",
    "scoring": {"kind": "none"}, "weight": 0.0,
}]
CRITERIA = {"criteria": [
    {"key": "networking", "label": "Gute Vernetzung",
     "rule": {"kind": "all_of", "rules": [
         {"kind": "group_score_at_least", "group": "networking", "min": 4},
         {"kind": "partners_at_least", "min": 5, "source": "answer", "question": "partner_count"}]}},
    {"key": "interest", "label": "Interesse am Siegel", "rule": {"kind": "wants_seal"}},
]}


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_the_documented_path_step_by_step(client, session, admin, alliance, alliance_user):
    now = utcnow()
    ceremony = (now + timedelta(days=60)).date().isoformat()
    own = alliance_user(alliance)

    # 1. open a cycle with window and seal title
    cycle = _ok(client.post(f"{API}/cycles", headers=admin, json={
        "key": "2041/42", "seal_title": "Ausgezeichnetes Bündnis 2041/2042",
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
        "ceremony_on": ceremony, "ceremony_place": "Berlin"}), 201)
    base = f"{API}/cycles/{cycle['slug']}"
    assert (cycle["status"], cycle["allowed_actions"]) == ("draft", ["open-survey"])

    # 2. questionnaire, 3. seal criteria (tried first, then saved)
    _ok(client.put(f"{base}/questions", headers=admin, json={"questions": QUESTIONS}))
    assert _ok(client.post(f"{base}/criteria:preview", headers=admin, json=CRITERIA))["evaluated"] == 0
    _ok(client.put(f"{base}/criteria", headers=admin, json=CRITERIA))

    # 4. open the survey
    cycle = _ok(client.post(f"{base}/open-survey", headers=admin))
    assert cycle["status"] == "survey_open" and cycle["accepting_answers"] is True
    assert cycle["allowed_actions"] == ["close-survey"]

    # 5. notices; who is missing; the alliance checks it was asked
    sent = _ok(client.post(f"{base}/notices", headers=admin), 202)
    assert alliance.id in {a["id"] for a in sent["queued"]}
    _ok(client.get(f"{base}/notices", headers=admin, params={"status": "missing"}))
    assert _ok(client.get(f"{base}/notices/mine", headers=own))["eligible"] is True
    # reminders may be asked for at any time while the survey is open (a dry run changes nothing)
    _ok(client.post(f"{base}/notices:remind", headers=admin, params={"dry_run": "true"}), 202)

    # 6. the alliance saves a draft and submits
    _ok(client.put(f"{base}/responses/{alliance.id}", headers=own, json={
        "answers": {**factories.GOOD_ANSWERS, "partner_count": 12},
        "wants_future_project": True, "wants_seal": True}), 201)
    assert _ok(client.post(f"{base}/responses/{alliance.id}/submit", headers=own))["status"] == "submitted"

    # 7. close, evaluate (a recorded run, repeatable), shortlist
    cycle = _ok(client.post(f"{base}/close-survey", headers=admin))
    assert cycle["status"] == "survey_closed"
    assert cycle["allowed_actions"] == ["open-survey", "mark-evaluated"]
    for reason in ("Auswertung", "Zweiter Lauf nach Korrektur"):
        run = _ok(client.post(f"{base}/evaluation", headers=admin, json={"reason": reason}), 201)
        assert (run["evaluated_count"], run["passed_count"]) == (1, 1)
        # the run does not move the cycle: the documented next call still works
        cycle = _ok(client.get(base, headers=admin))
        assert cycle["status"] == "survey_closed" and "mark-evaluated" in cycle["allowed_actions"]
    shortlist = _ok(client.get(f"{base}/evaluations", headers=admin,
                               params={"meets_criteria": "true"}))
    assert [e["alliance"]["id"] for e in shortlist["items"]] == [alliance.id]
    mine = _ok(client.get(f"{base}/evaluations/mine", headers=own))
    assert mine["meets_criteria"] is True

    # 8. mark evaluated, confirm the seals, mark awarded, archive
    cycle = _ok(client.post(f"{base}/mark-evaluated", headers=admin))
    assert (cycle["status"], cycle["allowed_actions"]) == ("evaluated", ["mark-awarded"])
    confirmed = _ok(client.post(f"{base}/awards:confirm", headers=admin, json={}))
    assert confirmed["created"] == 1 and confirmed["awarded_on"] == ceremony
    cycle = _ok(client.post(f"{base}/mark-awarded", headers=admin))
    assert (cycle["status"], cycle["allowed_actions"]) == ("awarded", ["archive"])
    cycle = _ok(client.post(f"{base}/archive", headers=admin))
    assert (cycle["status"], cycle["allowed_actions"]) == ("archived", [])

    # 9. the public registry shows the seal
    seals = _ok(client.get(f"{API}/public/seals", params={"cycle": "2041/42"}))
    assert [s["alliance_slug"] for s in seals["items"]] == [alliance.slug]


def test_the_next_cycle_copies_questionnaire_and_criteria(client, admin, session):
    last = factories.make_cycle(session, status="archived")
    factories.make_questions(session, last)
    factories.make_criteria(session, last)
    cycle = _ok(client.post(f"{API}/cycles", headers=admin, json={"key": "2042/43"}), 201)
    base = f"{API}/cycles/{cycle['slug']}"
    _ok(client.post(f"{base}/questions:copy", headers=admin, params={"from": last.slug}))
    copied = _ok(client.post(f"{base}/criteria:copy", headers=admin, params={"from": last.slug}))
    assert len(copied["criteria"]) == len(factories.STANDARD_CRITERIA)
