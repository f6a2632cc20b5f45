"""The demo seed answers the questions of the Servicebüro's page on the seal 2024/25."""

from app.demo.seed import SeedReport, seed_demo
from app.faq import demo

PUBLIC = "/api/v1/public/faq"


def _questions(response):
    assert response.status_code == 200, response.text
    return [item["question"] for item in response.json()["items"]]


def test_demo_faq_answers_who_takes_part_the_criteria_and_the_missing_notice(client, session):
    report = seed_demo(session)
    assert report.created["faq_entries"] == len(demo.DEMO_FAQ)
    published = [d for d in demo.DEMO_FAQ if d.published]

    listed = client.get(PUBLIC, params={"limit": 100})
    items = listed.json()["items"]
    assert _questions(listed) == [d.question for d in published]  # already in category order
    assert {i["category"] for i in items} == {"future_project", "survey", "seal_criteria",
                                             "events", "general"}

    assert "Wer kann an der Bündnisumfrage teilnehmen?" in _questions(
        client.get(PUBLIC, params={"q": "TEILNEHMEN umfrage"}))
    criteria = client.get(PUBLIC, params={"category": "seal_criteria", "q": "Siegelkriterien"})
    assert "gute Sichtbarkeit" in criteria.json()["items"][0]["answer"]
    no_notice = client.get(PUBLIC, params={"q": "keine nachricht"}).json()["items"]
    assert no_notice[0]["question"] == demo.NO_NOTICE_QUESTION
    assert "Anfrage an das Servicebüro" in no_notice[0]["answer"]
    # The draft is not public.
    drafts = [d.question for d in demo.DEMO_FAQ if not d.published]
    assert drafts and not set(drafts) & set(_questions(listed))


SURVEY_WHO = "Wer kann an der Bündnisumfrage teilnehmen?"


def _search(client, q):
    return _questions(client.get(PUBLIC, params={"q": q, "limit": 100}))


def test_demo_faq_is_found_as_people_type_their_questions(client, session):
    """Issue 9: before, „Kriterium“ found 1 entry and „Kriterien“ 3, „bundnis“ none while
    „Bündnis“ found 11, and „keine Benachrichtigung“ and „wer nimmt teil“ found nothing."""
    seed_demo(session)

    # Word forms meet through stemming: the singular finds what the plural finds.
    criteria = _search(client, "Kriterien")
    assert len(criteria) >= 3 and _search(client, "Kriterium") == criteria
    assert "Was sind die Siegelkriterien?" in criteria

    # Umlauts folded both ways, and a word finds its compounds (Bündnisumfrage, Siegelbündnis).
    alliance = _search(client, "Bündnis")
    assert len(alliance) >= 11
    assert _search(client, "bundnis") == _search(client, "buendnis") == alliance
    assert _search(client, "BÜNDNIS") == alliance

    # A question as people ask it: the stop words go, the rest finds the entry that answers it.
    assert _search(client, "keine Benachrichtigung")[0] == demo.NO_NOTICE_QUESTION
    assert _search(client, "Keine Nachricht erhalten – was tun?")[0] == demo.NO_NOTICE_QUESTION
    assert _search(client, "wer nimmt teil")[0] == SURVEY_WHO
    assert _search(client, "Wer darf an der Umfrage teilnehmen?")[0] == SURVEY_WHO
    assert _search(client, "Wann ist die Siegelverleihung?")[0] == (
        "Wann und wo ist die Siegelverleihung?")
    assert _search(client, "wer was die") == []

    # The draft (calendar) is never a public hit.
    drafts = {d.question for d in demo.DEMO_FAQ if not d.published}
    assert not drafts & set(_search(client, "Kalender Termine abonnieren"))


def test_seeding_twice_adds_no_second_faq(session):
    seed_demo(session)
    again = SeedReport()
    demo.seed_faq(session, again)
    assert again.created.get("faq_entries", 0) == 0


def test_the_demo_faq_states_the_rule_of_the_survey_the_same_way_everywhere(client, session):
    """Who takes part is every alliance that has *never* received a seal (DOMAIN step 2), not
    one without last year's seal: no entry may say otherwise."""
    seed_demo(session)
    items = client.get(PUBLIC, params={"limit": 100}).json()["items"]
    answers = {i["question"]: i["answer"] for i in items}
    assert "bisher noch kein Siegel" in answers[demo.NO_NOTICE_QUESTION]
    assert "bisher noch kein Siegel" in answers["Wer kann an der Bündnisumfrage teilnehmen?"]
    assert not [q for q, a in answers.items() if "letztes Jahr kein Siegel" in a]
