"""/api/v1/cycles/{cycle}/questions through the HTTP API: read, replace, single questions,
copy, score preview; frozen once the survey opens."""

import pytest
from sqlmodel import select

from app.cycles.models import CycleStatus
from app.questionnaire.models import Question
from app.surveys.models import SurveyResponse
from tests import factories
from tests.cycles.helpers import CYCLES, choice_question, locs, question
from tests.utils.problems import assert_problem

STANDARD_KEYS = [q["key"] for q in factories.STANDARD_QUESTIONS]


@pytest.fixture
def draft(session):
    cycle = factories.make_cycle(session, status=CycleStatus.draft)
    factories.make_questions(session, cycle)
    return cycle


@pytest.fixture
def empty_draft(session):
    return factories.make_cycle(session, status=CycleStatus.draft)


@pytest.fixture
def open_cycle(session):
    cycle = factories.make_cycle(session, status=CycleStatus.survey_open)
    factories.make_questions(session, cycle)
    return cycle


@pytest.fixture
def survey_reader(session):
    return factories.client_headers(factories.make_client(session, scopes=("surveys:read",)))


def url(cycle, suffix=""):
    return f"{CYCLES}/{cycle.slug}/questions{suffix}"


# --- read -------------------------------------------------------------------------------------

def test_admin_reads_the_questionnaire_with_scoring(client, admin, draft):
    r = client.get(url(draft), headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [q["key"] for q in body["questions"]] == STANDARD_KEYS
    assert [q["position"] for q in body["questions"]] == list(range(len(STANDARD_KEYS)))
    assert body["scoring_visible"] is True and body["frozen"] is False
    assert body["question_count"] == 6 and body["max_score"] == 21.0
    offers = body["questions"][2]
    assert offers["scoring"] == {"kind": "per_option", "points_per_unit": None, "cap": None,
                                 "points": None}
    assert offers["weight"] == 2.0 and offers["max_points"] == 8.0
    assert [o["points"] for o in offers["options"]] == [0, 2, 4]
    groups = {g["criterion_group"]: g for g in body["groups"]}
    assert groups["offers"] == {"criterion_group": "offers", "question_count": 1, "max_score": 8.0}
    assert groups[None]["question_count"] == 2
    assert r.headers["ETag"].startswith(f'"questionnaire-{draft.id}-')


def test_others_read_the_questions_without_weights_or_points(client, alliance, alliance_user,
                                                             partner, survey_reader, draft):
    for headers in (alliance_user(alliance), partner, survey_reader):
        r = client.get(url(draft), headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["scoring_visible"] is False and body["max_score"] is None
        assert [q["key"] for q in body["questions"]] == STANDARD_KEYS
        for item in body["questions"]:
            assert item["scoring"] is None and item["weight"] is None and item["max_points"] is None
            assert all(o["points"] is None for o in item["options"])
        assert body["questions"][2]["options"][2]["label"] == "monatlich"
        assert all(g["max_score"] is None for g in body["groups"])


def test_reading_needs_login_and_a_survey_scope(client, session, draft):
    assert_problem(client.get(url(draft)), 401)
    scopeless = factories.client_headers(factories.make_client(session, scopes=("alliances:read",)))
    assert_problem(client.get(url(draft), headers=scopeless), 403, "insufficient_scope")


def test_unknown_cycle_is_404(client, admin):
    assert_problem(client.get(f"{CYCLES}/1999-00/questions", headers=admin), 404, "cycle_not_found")


def test_read_one_question(client, admin, alliance, alliance_user, draft):
    r = client.get(url(draft, "/press_coverage"), headers=admin)
    assert r.status_code == 200
    assert r.json()["scoring"]["points"] == 3 and r.headers["ETag"].startswith('"question-')
    hidden = client.get(url(draft, "/press_coverage"), headers=alliance_user(alliance)).json()
    assert hidden["scoring"] is None and hidden["text"].startswith("Wurde in der Presse")
    assert_problem(client.get(url(draft, "/no_such_question"), headers=admin), 404, "question_not_found")
    body = assert_problem(client.get(url(draft, "/Bad-Key"), headers=admin), 422)
    assert ("path", "key") in locs(body)
    assert_problem(client.get(url(draft, "/press_coverage")), 401)


# --- replace ----------------------------------------------------------------------------------

def test_admin_replaces_the_questionnaire_in_order(client, admin, session, draft):
    before = client.get(url(draft), headers=admin)
    kept_id = session.exec(select(Question.id).where(Question.cycle_id == draft.id,
                                                     Question.key == "press_coverage")).one()
    payload = {"questions": [
        choice_question("offer_frequency", weight=3.0),
        question("press_coverage", text="Gab es Presseberichte über das Bündnis?"),
        {"key": "partner_count", "text": "Wie viele Partner hat das Bündnis?", "type": "integer",
         "scoring": {"kind": "per_unit", "points_per_unit": 0.5, "cap": 10}},
    ]}
    r = client.put(url(draft), headers={**admin, "If-Match": before.headers["ETag"]}, json=payload)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [q["key"] for q in body["questions"]] == ["offer_frequency", "press_coverage", "partner_count"]
    assert body["questions"][1]["text"] == "Gab es Presseberichte über das Bündnis?"
    assert body["questions"][2]["weight"] == 1.0 and body["questions"][2]["required"] is False
    assert body["max_score"] == 4 * 3 + 3 + 10
    assert r.headers["ETag"] != before.headers["ETag"]
    # The question that stayed kept its row; the dropped ones are gone.
    session.expire_all()
    rows = session.exec(select(Question).where(Question.cycle_id == draft.id)).all()
    assert sorted(q.key for q in rows) == ["offer_frequency", "partner_count", "press_coverage"]
    assert next(q.id for q in rows if q.key == "press_coverage") == kept_id
    assert client.get(url(draft), headers=admin).json() == body


def test_scoring_keeps_only_the_fields_of_its_kind(client, admin, empty_draft):
    r = client.put(url(empty_draft), headers=admin, json={"questions": [
        {"key": "meetings", "text": "Wie viele Treffen?", "type": "integer",
         "scoring": {"kind": "per_unit", "points_per_unit": 2}}]})
    assert r.json()["questions"][0]["scoring"] == {"kind": "per_unit", "points_per_unit": 2.0,
                                                   "cap": None, "points": None}
    assert r.json()["max_score"] is None  # no cap: unbounded


def test_an_empty_list_clears_the_questionnaire(client, admin, draft):
    r = client.put(url(draft), headers=admin, json={"questions": []})
    assert r.status_code == 200 and r.json()["question_count"] == 0


def test_replace_with_a_stale_etag_is_refused(client, admin, draft):
    r = client.put(url(draft), headers={**admin, "If-Match": '"questionnaire-0-stale"'},
                   json={"questions": [question()]})
    body = assert_problem(r, 412, "precondition_failed")
    assert body["current_etag"].startswith(f'"questionnaire-{draft.id}-')


@pytest.mark.parametrize(("questions", "loc"), [
    ([question(key="Press")], ("body", "questions", 0, "key")),
    ([question(key="p")], ("body", "questions", 0, "key")),
    ([question(type="slider")], ("body", "questions", 0, "type")),
    ([question(text="")], ("body", "questions", 0, "text")),
    ([question(weight=-1)], ("body", "questions", 0, "weight")),
    ([question(weight=101)], ("body", "questions", 0, "weight")),
    ([question(colour="red")], ("body", "questions", 0, "colour")),
    ([question(scoring={"kind": "per_option"})], ("body", "questions", 0, "scoring", "kind")),
    ([question(scoring={"kind": "if_yes"})], ("body", "questions", 0, "scoring", "points")),
    ([question(scoring={"kind": "if_yes", "points": -3})], ("body", "questions", 0, "scoring", "points")),
    ([question(scoring={"kind": "per_unit", "points_per_unit": 1})], ("body", "questions", 0, "scoring", "kind")),
    ([question(scoring={"kind": "bonus"})], ("body", "questions", 0, "scoring", "kind")),
    ([question(type="integer", scoring={"kind": "per_unit"})],
     ("body", "questions", 0, "scoring", "points_per_unit")),
    ([question(type="integer", scoring={"kind": "per_unit", "points_per_unit": 1, "points": 2})],
     ("body", "questions", 0, "scoring", "points")),
    ([question(type="text", scoring={"kind": "if_yes", "points": 1})],
     ("body", "questions", 0, "scoring", "kind")),
    ([choice_question(options=[{"value": "a", "label": "A"}])], ("body", "questions", 0, "options")),
    ([choice_question(options=[{"value": "a", "label": "A"}, {"value": "a", "label": "B"}])],
     ("body", "questions", 0, "options", 1, "value")),
    ([choice_question(options=[{"value": "A B", "label": "A"}, {"value": "b", "label": "B"}])],
     ("body", "questions", 0, "options", 0, "value")),
    ([question(options=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}])],
     ("body", "questions", 0, "options")),
    ([question("same"), choice_question("other"), question("same")], ("body", "questions", 2, "key")),
    ([question(criterion_group="Sichtbarkeit")], ("body", "questions", 0, "criterion_group")),
])
def test_replace_refuses_inconsistent_questions_naming_the_field(client, admin, draft, questions, loc):
    body = assert_problem(client.put(url(draft), headers=admin, json={"questions": questions}), 422)
    assert loc in locs(body), body["errors"]
    # Nothing changed.
    assert [q["key"] for q in client.get(url(draft), headers=admin).json()["questions"]] == STANDARD_KEYS


def test_replace_needs_a_question_list(client, admin, draft):
    body = assert_problem(client.put(url(draft), headers=admin, json=[question()]), 422)
    assert ("body",) in locs(body)
    body = assert_problem(client.put(url(draft), headers=admin, json={}), 422)
    assert ("body", "questions") in locs(body)


@pytest.mark.parametrize("status", [s for s in CycleStatus if s != CycleStatus.draft])
def test_the_questionnaire_is_frozen_once_the_survey_opens(client, admin, session, status):
    cycle = factories.make_cycle(session, status=status)
    factories.make_questions(session, cycle)
    assert_problem(client.put(url(cycle), headers=admin, json={"questions": [question()]}),
                   409, "questionnaire_frozen")
    assert_problem(client.post(url(cycle), headers=admin, json=question("new_one")),
                   409, "questionnaire_frozen")
    assert_problem(client.patch(url(cycle, "/press_coverage"), headers=admin, json={"weight": 5}),
                   409, "questionnaire_frozen")
    assert_problem(client.delete(url(cycle, "/press_coverage"), headers=admin),
                   409, "questionnaire_frozen")
    assert_problem(client.post(f"{CYCLES}/{cycle.slug}/questions:copy", headers=admin,
                               params={"from": "1999-00"}), 409, "questionnaire_frozen")
    assert client.get(url(cycle), headers=admin).json()["frozen"] is True


def test_opening_the_survey_freezes_the_questionnaire(client, admin, draft):
    assert client.post(f"{CYCLES}/{draft.id}/open-survey", headers=admin).status_code == 200
    assert_problem(client.put(url(draft), headers=admin, json={"questions": []}),
                   409, "questionnaire_frozen")


def test_only_admins_write(client, alliance, alliance_user, partner, draft):
    for headers in (alliance_user(alliance), partner):
        assert_problem(client.put(url(draft), headers=headers, json={"questions": []}), 403)
        assert_problem(client.post(url(draft), headers=headers, json=question("x_new")), 403)
        assert_problem(client.patch(url(draft, "/press_coverage"), headers=headers,
                                    json={"weight": 2}), 403)
        assert_problem(client.delete(url(draft, "/press_coverage"), headers=headers), 403)
    assert_problem(client.put(url(draft), json={"questions": []}), 401)
    assert_problem(client.delete(url(draft, "/press_coverage")), 401)


def test_writes_to_an_unknown_cycle_are_404(client, admin):
    assert_problem(client.put(f"{CYCLES}/1999-00/questions", headers=admin,
                              json={"questions": []}), 404, "cycle_not_found")


# --- single questions -------------------------------------------------------------------------

def test_add_a_question_at_the_end(client, admin, draft):
    r = client.post(url(draft), headers=admin, json=choice_question("offer_kind"))
    assert r.status_code == 201, r.text
    assert r.json()["position"] == len(STANDARD_KEYS)
    assert r.headers["Location"] == f"/api/v1/cycles/{draft.slug}/questions/offer_kind"
    keys = [q["key"] for q in client.get(url(draft), headers=admin).json()["questions"]]
    assert keys == [*STANDARD_KEYS, "offer_kind"]


def test_add_refuses_a_taken_key_and_inconsistent_scoring(client, admin, draft):
    body = assert_problem(client.post(url(draft), headers=admin, json=question("press_coverage")),
                          409, "question_key_taken")
    assert locs(body) == [("body", "key")]
    body = assert_problem(client.post(url(draft), headers=admin,
                                      json=question("yes_no", scoring={"kind": "per_option"})), 422)
    assert locs(body) == [("body", "scoring", "kind")]
    body = assert_problem(client.post(url(draft), headers=admin, json={"key": "only_key"}), 422)
    assert {("body", "text"), ("body", "type")} <= set(locs(body))


def test_add_honours_the_questionnaire_etag(client, admin, draft):
    etag = client.get(url(draft), headers=admin).headers["ETag"]
    assert client.post(url(draft), headers={**admin, "If-Match": etag},
                       json=question("first_new")).status_code == 201
    assert_problem(client.post(url(draft), headers={**admin, "If-Match": etag},
                               json=question("second_new")), 412)


def test_change_a_question_and_move_it(client, admin, draft):
    etag = client.get(url(draft, "/press_coverage"), headers=admin).headers["ETag"]
    r = client.patch(url(draft, "/press_coverage"), headers={**admin, "If-Match": etag},
                     json={"weight": 2.5, "help_text": "Auch Online-Medien zählen.", "position": 0})
    assert r.status_code == 200, r.text
    assert r.json()["weight"] == 2.5 and r.json()["max_points"] == 7.5
    assert r.json()["position"] == 0
    keys = [q["key"] for q in client.get(url(draft), headers=admin).json()["questions"]]
    assert keys == ["press_coverage", "partner_meetings", *STANDARD_KEYS[2:]]
    assert_problem(client.patch(url(draft, "/press_coverage"), headers={**admin, "If-Match": etag},
                                json={"weight": 1}), 412)


def test_moving_beyond_the_end_puts_the_question_last(client, admin, draft):
    r = client.patch(url(draft, "/partner_meetings"), headers=admin, json={"position": 99})
    assert r.json()["position"] == len(STANDARD_KEYS) - 1


def test_rename_a_question(client, admin, draft):
    r = client.patch(url(draft, "/remarks"), headers=admin, json={"key": "comments"})
    assert r.status_code == 200 and r.json()["key"] == "comments"
    assert client.get(url(draft, "/comments"), headers=admin).status_code == 200
    assert_problem(client.get(url(draft, "/remarks"), headers=admin), 404)
    body = assert_problem(client.patch(url(draft, "/comments"), headers=admin,
                                       json={"key": "press_coverage"}), 409, "question_key_taken")
    assert locs(body) == [("body", "key")]


@pytest.mark.parametrize(("payload", "loc"), [
    ({"type": "boolean"}, ("body", "options")),  # the choice options do not fit a yes/no question
    ({"scoring": {"kind": "if_yes", "points": 2}}, ("body", "scoring", "kind")),
    ({"options": [{"value": "only", "label": "Nur eine", "points": 1}]}, ("body", "options")),
    ({"text": None}, ("body", "text")),
    ({"weight": "heavy"}, ("body", "weight")),
    ({"position": -1}, ("body", "position")),
    ({"status": "x"}, ("body", "status")),
])
def test_change_refuses_an_inconsistent_result(client, admin, draft, payload, loc):
    body = assert_problem(client.patch(url(draft, "/offer_frequency"), headers=admin, json=payload), 422)
    assert loc in locs(body), body["errors"]


def test_change_to_another_type_with_fitting_scoring(client, admin, draft):
    r = client.patch(url(draft, "/offer_frequency"), headers=admin, json={
        "type": "boolean", "options": [], "scoring": {"kind": "if_yes", "points": 4}})
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "boolean" and r.json()["max_points"] == 8.0


def test_unknown_question_is_404(client, admin, draft):
    assert_problem(client.patch(url(draft, "/nothing_here"), headers=admin, json={"weight": 1}),
                   404, "question_not_found")
    assert_problem(client.delete(url(draft, "/nothing_here"), headers=admin), 404, "question_not_found")


def test_delete_a_question_closes_the_gap(client, admin, draft):
    etag = client.get(url(draft, "/press_coverage"), headers=admin).headers["ETag"]
    assert_problem(client.delete(url(draft, "/press_coverage"),
                                 headers={**admin, "If-Match": '"question-0-x"'}), 412)
    assert client.delete(url(draft, "/press_coverage"), headers={**admin, "If-Match": etag}).status_code == 204
    questions = client.get(url(draft), headers=admin).json()["questions"]
    assert [q["key"] for q in questions] == [k for k in STANDARD_KEYS if k != "press_coverage"]
    assert [q["position"] for q in questions] == list(range(len(STANDARD_KEYS) - 1))


# --- copy -------------------------------------------------------------------------------------

def copy(client, headers, target, **params):
    return client.post(f"{CYCLES}/{target.slug}/questions:copy", headers=headers, params=params)


def test_copy_a_questionnaire_from_an_earlier_cycle(client, admin, open_cycle, empty_draft):
    r = copy(client, admin, empty_draft, **{"from": open_cycle.slug})
    assert r.status_code == 200, r.text
    copied = r.json()
    original = client.get(url(open_cycle), headers=admin).json()
    assert copied["questions"] == original["questions"]
    assert copied["cycle_id"] == empty_draft.id and copied["frozen"] is False
    assert r.headers["ETag"] == client.get(url(empty_draft), headers=admin).headers["ETag"]


def test_copy_by_key_or_id(client, admin, open_cycle, empty_draft):
    assert copy(client, admin, empty_draft, **{"from": str(open_cycle.id)}).status_code == 200
    again = copy(client, admin, empty_draft, **{"from": open_cycle.key, "replace": "true"})
    assert again.status_code == 200 and again.json()["question_count"] == len(STANDARD_KEYS)


def test_copy_keeps_existing_questions_unless_replace(client, admin, session, open_cycle, empty_draft):
    client.put(url(empty_draft), headers=admin, json={"questions": [question("own_question")]})
    assert_problem(copy(client, admin, empty_draft, **{"from": open_cycle.slug}),
                   409, "questionnaire_not_empty")
    r = copy(client, admin, empty_draft, **{"from": open_cycle.slug, "replace": "true"})
    assert [q["key"] for q in r.json()["questions"]] == STANDARD_KEYS
    # The source is untouched.
    assert client.get(url(open_cycle), headers=admin).json()["question_count"] == len(STANDARD_KEYS)


def test_copy_replaces_questions_with_the_same_keys(client, admin, draft, open_cycle):
    client.patch(url(draft, "/press_coverage"), headers=admin, json={"weight": 9})
    r = copy(client, admin, draft, **{"from": open_cycle.slug, "replace": "true"})
    assert r.status_code == 200, r.text
    assert next(q for q in r.json()["questions"] if q["key"] == "press_coverage")["weight"] == 1.0


@pytest.mark.parametrize("source", ["self", "1999-00", "empty"])
def test_copy_refuses_a_bad_source_naming_from(client, admin, session, draft, source):
    ref = {"self": draft.slug, "1999-00": "1999-00",
           "empty": factories.make_cycle(session, status=CycleStatus.draft).slug}[source]
    body = assert_problem(copy(client, admin, draft, **{"from": ref, "replace": "true"}), 422)
    assert locs(body) == [("query", "from")]


def test_copy_needs_a_source(client, admin, draft):
    body = assert_problem(copy(client, admin, draft), 422)
    assert ("query", "from") in locs(body)


def test_only_admins_copy(client, alliance, alliance_user, partner, open_cycle, empty_draft):
    params = {"from": open_cycle.slug}
    assert_problem(copy(client, {}, empty_draft, **params), 401)
    assert_problem(copy(client, alliance_user(alliance), empty_draft, **params), 403)
    assert_problem(copy(client, partner, empty_draft, **params), 403)


# --- score preview ----------------------------------------------------------------------------

def preview(client, headers, cycle, answers):
    return client.post(f"{CYCLES}/{cycle.slug}/questions:score-preview", headers=headers,
                       json={"answers": answers})


def test_score_preview_explains_the_activity_score(client, admin, session, open_cycle):
    r = preview(client, admin, open_cycle, factories.GOOD_ANSWERS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 19.0 and body["max_total"] == 21.0
    assert body["group_scores"] == {"networking": 6.0, "visibility": 3.0, "offers": 8.0, "future": 2.0}
    assert body["missing_required"] == []
    meetings = body["breakdown"][0]
    assert meetings == {"question": "partner_meetings", "group": "networking", "answered": True,
                        "points": 6.0, "weight": 1.0, "weighted": 6.0, "max": 6.0}
    # Nothing is stored.
    assert session.exec(select(SurveyResponse).where(SurveyResponse.cycle_id == open_cycle.id)).all() == []


def test_score_preview_of_partial_answers_names_what_is_missing(client, admin, draft):
    body = preview(client, admin, draft, {"partner_meetings": 3}).json()
    assert body["total"] == 3.0
    assert body["missing_required"] == ["press_coverage", "offer_frequency"]


def test_score_preview_follows_new_weights(client, admin, draft):
    client.patch(url(draft, "/offer_frequency"), headers=admin, json={"weight": 0.5})
    assert preview(client, admin, draft, {"offer_frequency": "monthly"}).json()["total"] == 2.0


@pytest.mark.parametrize(("answers", "loc"), [
    ({"partner_meetings": "viele"}, ("body", "answers", "partner_meetings")),
    ({"offer_frequency": "weekly"}, ("body", "answers", "offer_frequency")),
    ({"future_topics": ["childcare", "childcare"]}, ("body", "answers", "future_topics")),
    ({"invented": 1}, ("body", "answers", "invented")),
    ("not a dict", ("body", "answers")),
])
def test_score_preview_refuses_answers_that_do_not_fit(client, admin, draft, answers, loc):
    body = assert_problem(preview(client, admin, draft, answers), 422)
    assert locs(body) == [loc]


def test_score_preview_is_for_admins(client, alliance, alliance_user, partner, survey_reader, draft):
    assert_problem(preview(client, {}, draft, {}), 401)
    for headers in (alliance_user(alliance), partner, survey_reader):
        assert_problem(preview(client, headers, draft, {}), 403)


def test_score_preview_of_unknown_cycle_is_404(client, admin):
    r = client.post(f"{CYCLES}/1999-00/questions:score-preview", headers=admin, json={"answers": {}})
    assert_problem(r, 404, "cycle_not_found")


def test_rows_written_without_scoring_read_as_unscored(client, admin, empty_draft, session):
    factories.make_questions(session, empty_draft, [
        {"key": "legacy_note", "text": "Alte Frage ohne Wertung", "type": "text", "scoring": {}},
        {"key": "legacy_flag", "text": "Alte Ja/Nein-Frage", "type": "boolean",
         "scoring": {"kind": "bonus", "extra": 1}},
    ])
    body = client.get(url(empty_draft), headers=admin).json()
    assert [q["scoring"]["kind"] for q in body["questions"]] == ["none", "none"]
    assert body["max_score"] == 0.0
