"""The FAQ through the API: the public reads published entries only, in category order, with
search that ignores case and umlaut spelling on both databases; the Servicebüro writes them."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app.audit.models import AuditEvent
from app.faq import search
from app.faq.models import FaqEntry
from tests import factories
from tests.utils.problems import assert_problem

PUBLIC = "/api/v1/public/faq"
ADMIN = "/api/v1/faq"


def entry(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"category": "survey", "position": 10,
                            "question": "Wer kann an der Bündnisumfrage teilnehmen?",
                            "answer": "Alle Lokalen Bündnisse, die **noch kein Siegel** haben."}
    body.update(overrides)
    return body


def create(client, admin, *, publish: bool = True, **overrides: Any) -> dict[str, Any]:
    created = client.post(ADMIN, headers=admin, json=entry(**overrides))
    assert created.status_code == 201, created.text
    body = created.json()
    if publish:
        published = client.post(f"{ADMIN}/{body['id']}/publish", headers=admin)
        assert published.status_code == 200, published.text
        body = published.json()
    return body


def questions(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["question"] for item in response.json()["items"]]


# --- the pure folding ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "folded"), [
    ("ÜBER die Bündnisumfrage", " ueber die buendnisumfrage "),
    ("Straße, Maße", " strasse masse "),
    ("**Siegel**-Kriterien_2024", " siegel kriterien 2024 "),
    ("Café  Ängste\n\tÖl", " cafe aengste oel "),
    ("", " "),
])
def test_fold(text, folded):
    assert search.fold(text) == folded


@pytest.mark.parametrize(("query", "terms"), [
    ("Kriterien", ["kriteri"]),
    ("Kriterium", ["kriteri"]),  # -ium cut to the plural's stem
    ("Siegelkriterien", ["siegelkriteri"]),
    ("Bündnis", ["bundnis"]), ("Buendnis", ["bundnis"]), ("bundnis", ["bundnis"]),
    ("BÜNDNISSE", ["bundnis"]),
    ("Straße", ["strass"]), ("STRASSE", ["strass"]),
    ("keine Benachrichtigung", ["benachricht"]),
    ("Wer nimmt teil?", ["nimmt", "teil"]),
    ("Was sind die Siegelkriterien?", ["siegelkriteri"]),
    ("Über über UEBER uber", []),  # a stop word in every spelling
    ("wer was die", []),
    ("?! %_* -- ...", []),
    ("", []),
    ("Siegel 2024/25", ["siegel", "2024", "25"]),
    ("Café", ["caf"]),  # accents other than umlauts go
    ("Kita Kita KITA", ["kita"]),  # distinct terms
])
def test_query_terms(query, terms):
    assert search.query_terms(query) == terms


def test_query_terms_are_capped():
    words = " ".join(f"Wort{chr(97 + i)}" for i in range(20))
    assert len(search.query_terms(words)) == search.MAX_TERMS


@pytest.mark.parametrize(("term", "text_term", "matches"), [
    ("teil", "teilnehm", True),  # separable verb: nimmt teil / teilnehmen
    ("siegel", "siegelbundnis", True),  # first part of a compound
    ("umfrag", "bundnisumfrag", True),  # last part of a compound
    ("benachricht", "nachricht", True),  # the text's word inside the search's
    ("kriteri", "kriteri", False),  # exact is not partial
    ("tei", "teilnehm", False),  # too short to start a compound
    ("teil", "vorteil", False),  # 4 letters match only at the start
    ("bund", "bundnis", True),
    ("2024", "20245", False),  # numbers match exactly only
    ("nachricht", "benachricht", True),
])
def test_partial_match(term, text_term, matches):
    assert search.partial_match(term, text_term) is matches


def test_scores_count_matched_terms_first_then_question_over_answer():
    matcher = search.Matcher.prepare("Siegel Umfrage", ["siegel", "umfrag", "bundnisumfrag"])
    both_in_answer = matcher.score(frozenset(), frozenset({"siegel", "umfrag"}))
    one_in_question = matcher.score(frozenset({"siegel"}), frozenset())
    assert both_in_answer > one_in_question > 0
    exact = matcher.score(frozenset({"umfrag"}), frozenset())
    partial = matcher.score(frozenset({"bundnisumfrag"}), frozenset())
    in_answer = matcher.score(frozenset(), frozenset({"umfrag"}))
    assert exact > partial > in_answer > 0
    assert matcher.score(frozenset({"kita"}), frozenset({"pfleg"})) == 0
    assert search.Matcher.prepare("wer was", ["wer"]).score(frozenset({"wer"}), frozenset()) == 0
    best = matcher.score(frozenset({"siegel", "umfrag"}), frozenset({"siegel", "umfrag"}))
    assert best <= search.MAX_SCORE


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_a_text_searched_for_finds_itself(text):
    """Whatever is typed, analysis never fails, and the search's terms are the text's own, so
    an entry's question (or a piece of it) always finds that entry with top marks."""
    wanted = search.query_terms(text)
    assert len(wanted) <= search.MAX_TERMS
    assert all(term and term.isalnum() for term in wanted)
    own = search.terms(text)
    assert set(wanted) <= own
    matcher = search.Matcher.prepare(text, own)
    expected = sum(search.TERM_WEIGHT + 3 * 2 for _ in wanted)
    assert matcher.score(own, frozenset()) == expected


# --- public -------------------------------------------------------------------------------------

def test_the_public_sees_published_entries_in_category_then_position_order(client, admin):
    create(client, admin, category="general", position=0, question="Allgemeine Frage eins")
    create(client, admin, category="survey", position=20, question="Umfrage zweite Frage")
    create(client, admin, category="survey", position=5, question="Umfrage erste Frage")
    create(client, admin, category="future_project", position=99, question="Projekt Zukunft Frage")
    draft = create(client, admin, publish=False, question="Noch ein Entwurf hier")

    listed = client.get(PUBLIC)
    assert questions(listed) == ["Projekt Zukunft Frage", "Umfrage erste Frage",
                                 "Umfrage zweite Frage", "Allgemeine Frage eins"]
    first = listed.json()["items"][0]
    assert first["category_title"] == "Projekt Zukunft"
    assert "is_published" not in first and "version" not in first
    assert_problem(client.get(f"{PUBLIC}/{draft['id']}"), 404, "faq_entry_not_found")
    one = client.get(f"{PUBLIC}/{first['id']}")
    assert one.status_code == 200 and one.json()["question"] == "Projekt Zukunft Frage"

    assert questions(client.get(PUBLIC, params={"category": "survey"})) == [
        "Umfrage erste Frage", "Umfrage zweite Frage"]

    # Pages follow the same order.
    page = client.get(PUBLIC, params={"limit": 3})
    assert questions(page)[-1] == "Umfrage zweite Frage"
    rest = client.get(PUBLIC, params={"limit": 3, "cursor": page.json()["next_cursor"]})
    assert questions(rest) == ["Allgemeine Frage eins"] and rest.json()["next_cursor"] is None


@pytest.mark.parametrize("q", ["Bündnis", "BÜNDNIS", "buendnis", "bundnis", "Bündnisse",
                               "SIEGELKRITERIEN", "Kriterium", "kriterien", "straße", "STRASSE",
                               "Wo ist die Strasse?", "Siegel"])
def test_search_ignores_case_umlaut_spelling_and_word_forms(client, admin, q):
    create(client, admin, question="Was erfahre ich über die Siegelkriterien?",
           answer="Die Kriterien stehen in der Straße der Bündnisse.")
    create(client, admin, question="Eine andere Frage ohne Treffer", answer="Nichts davon.")
    assert questions(client.get(PUBLIC, params={"q": q})) == [
        "Was erfahre ich über die Siegelkriterien?"]


def test_search_ranks_by_matched_words_then_question_over_answer_then_category(client, admin):
    # Created in an order that is none of the expected ones.
    create(client, admin, category="general", position=1, question="Allgemeines zum Ablauf",
           answer="Das Siegel wird in Berlin verliehen.")
    create(client, admin, category="survey", position=50, question="Wann wird das Siegel verliehen?",
           answer="Im Herbst.")
    create(client, admin, category="future_project", position=5, question="Was ist neu?",
           answer="Das Siegel und die Verleihung in Berlin.")
    create(client, admin, category="survey", position=10, question="Wie lange dauert es?",
           answer="Das Siegel gilt zwei Jahre.")
    create(client, admin, category="events", position=1, question="Verleihung des Siegels in Berlin",
           answer="Am 22. November.")
    create(client, admin, question="Wer kann teilnehmen?", answer="Alle Lokalen Bündnisse.")

    found = questions(client.get(PUBLIC, params={"q": "Siegel Berlin"}))
    assert found == [
        "Verleihung des Siegels in Berlin",  # both words, in the question
        "Was ist neu?",  # both words, in the answer: category order breaks the tie
        "Allgemeines zum Ablauf",
        "Wann wird das Siegel verliehen?",  # one word, in the question
        "Wie lange dauert es?",  # one word, in the answer
    ]
    # Without a search, the category order; with one that no entry holds, nothing.
    assert questions(client.get(PUBLIC))[0] == "Was ist neu?"
    assert questions(client.get(PUBLIC, params={"q": "Kita"})) == []
    # A category narrows the hits and keeps their order.
    assert questions(client.get(PUBLIC, params={"q": "Siegel Berlin", "category": "survey"})) == [
        "Wann wird das Siegel verliehen?", "Wie lange dauert es?"]


def test_search_pages_in_relevance_order_with_the_cursor_and_counts_hits(client, admin):
    for n in range(7):
        words = "Siegel Kalender Termine"[: 6 + n * 3]
        create(client, admin, position=n, question=f"Frage Nummer {n} zu {words}",
               answer="Antwort mit Termin" if n % 2 else "Antwort")
    create(client, admin, question="Eine Frage ohne Treffer", answer="Nichts.")
    query = {"q": "Siegel Kalender Termin"}
    everything = client.get(PUBLIC, params={**query, "limit": 100, "include_total": "true"})
    expected = questions(everything)
    assert len(expected) == 7 and everything.json()["total"] == 7

    seen: list[str] = []
    cursor = None
    while True:
        params = {**query, "limit": 3, "include_total": "true"}
        if cursor:
            params["cursor"] = cursor
        page = client.get(PUBLIC, params=params)
        seen += questions(page)
        assert page.json()["total"] == 7
        cursor = page.json()["next_cursor"]
        if cursor is None:
            assert "link" not in page.headers
            break
        assert 'rel="next"' in page.headers["link"]
    assert seen == expected
    assert_problem(client.get(PUBLIC, params={**query, "cursor": "kaputt"}), 422)
    assert_problem(client.get(PUBLIC, params={**query, "cursor": "WyJ4IiwgMV0"}), 422)  # ["x", 1]


def test_search_matches_any_word_and_treats_wildcards_literally(client, admin):
    create(client, admin, question="Rabatt von 50% für Bündnisse", answer="Gilt nie.")
    create(client, admin, question="Frage mit fünfzig Prozent", answer="Auch nicht.")
    assert questions(client.get(PUBLIC, params={"q": "bündnisse 50"})) == [
        "Rabatt von 50% für Bündnisse"]
    assert questions(client.get(PUBLIC, params={"q": "bündnisse kita"})) == [
        "Rabatt von 50% für Bündnisse"]
    assert questions(client.get(PUBLIC, params={"q": "Prozent Rabatt"})) == [
        "Rabatt von 50% für Bündnisse", "Frage mit fünfzig Prozent"]
    for wildcard in ("%", "_", "*", "%25", "?", "[a-z]", "' OR 1=1 --"):
        assert questions(client.get(PUBLIC, params={"q": wildcard})) == [], wildcard


@pytest.mark.parametrize("q", [
    "wer was die", "Wer? Was? Wie?", "über ueber uber", "und oder aber " * 7,
    "?!.,;:-–„“»«()[]{}", "\u0308" * 40, "🙂🙂🙂", "ß" * 100, "a b c d e f g h i j k",
])
def test_searches_without_words_find_nothing(client, admin, q):
    create(client, admin, question="Wer was wie über die Umfrage?", answer="Alles was es gibt.")
    response = client.get(PUBLIC, params={"q": q})
    assert questions(response) == [] and response.json()["next_cursor"] is None


@pytest.mark.parametrize("q", [
    "x" * 101, "Siegel " * 20, "",
    "Siegel\x00", "Siegel\x07", "Siegel\nBerlin", "Siegel\tBerlin", "\x1b[31mSiegel",
    "Siegel\u202eBerlin", "Siegel\u2028Berlin", "Siegel\x85",
])
def test_hostile_searches_are_refused_as_invalid_input(client, admin, q):
    create(client, admin)
    problem = assert_problem(client.get(PUBLIC, params={"q": q}), 422)
    assert ["query", "q"] in [e["loc"] for e in problem["errors"]], problem
    assert_problem(client.get(ADMIN, headers=admin, params={"q": q}), 422)


def test_a_long_search_of_many_words_is_answered(client, admin):
    create(client, admin, question="Wie erfahren wir vom Ergebnis?", answer="Im Portal.")
    q = " ".join(["Ergebnis"] + [f"Wort{chr(97 + i)}" for i in range(15)])[:100]
    assert questions(client.get(PUBLIC, params={"q": q})) == ["Wie erfahren wir vom Ergebnis?"]
    # Only the first eight words count.
    late = " ".join([f"Wort{chr(97 + i)}" for i in range(8)] + ["Ergebnis"])
    assert questions(client.get(PUBLIC, params={"q": late})) == []


def test_drafts_are_never_found_publicly(client, admin, alliance, alliance_user):
    create(client, admin, publish=False, question="Geheimer Entwurf zur Zukunftswerkstatt",
           answer="Zukunftswerkstatt in Hamm, noch nicht freigegeben.")
    published = create(client, admin, question="Wer kommt zur Zukunftswerkstatt?", answer="Alle.")
    for headers in ({}, alliance_user(alliance), admin):
        for q in ("Zukunftswerkstatt", "Entwurf", "Geheimer Entwurf Hamm", "freigegeben"):
            found = questions(client.get(PUBLIC, headers=headers, params={"q": q}))
            assert "Geheimer Entwurf zur Zukunftswerkstatt" not in found
    assert questions(client.get(PUBLIC, params={"q": "Hamm Entwurf"})) == []
    # Taken back, a published entry leaves the public search too.
    client.post(f"{ADMIN}/{published['id']}/unpublish", headers=admin)
    assert questions(client.get(PUBLIC, params={"q": "Zukunftswerkstatt"})) == []
    # The Servicebüro finds both, drafts too.
    assert set(questions(client.get(ADMIN, headers=admin, params={"q": "Zukunftswerkstatt"}))) == {
        "Geheimer Entwurf zur Zukunftswerkstatt", "Wer kommt zur Zukunftswerkstatt?"}


def test_the_servicebuero_searches_with_its_sorts_and_filters(client, admin):
    create(client, admin, category="general", question="Siegel und Kalender im Portal",
           answer="Beides.")
    create(client, admin, category="survey", publish=False, question="Entwurf zum Siegel",
           answer="Noch offen.")
    create(client, admin, category="future_project", question="Kalender abonnieren",
           answer="Im Portal.")
    create(client, admin, question="Ohne Treffer hier", answer="Nichts.")
    q = {"q": "Siegel Kalender"}
    assert questions(client.get(ADMIN, headers=admin, params=q)) == [
        "Siegel und Kalender im Portal", "Kalender abonnieren", "Entwurf zum Siegel"]
    assert questions(client.get(ADMIN, headers=admin, params={**q, "sort": "category"})) == [
        "Kalender abonnieren", "Entwurf zum Siegel", "Siegel und Kalender im Portal"]
    latest = questions(client.get(ADMIN, headers=admin, params={**q, "sort": "-updated_at"}))
    assert sorted(latest) == sorted(["Siegel und Kalender im Portal", "Kalender abonnieren",
                                     "Entwurf zum Siegel"])
    assert questions(client.get(ADMIN, headers=admin,
                                params={**q, "is_published": "false"})) == ["Entwurf zum Siegel"]
    # Relevance without a search is the category order.
    assert questions(client.get(ADMIN, headers=admin, params={"sort": "relevance"})) == questions(
        client.get(ADMIN, headers=admin, params={"sort": "category"}))
    assert_problem(client.get(ADMIN, headers=admin, params={**q, "sort": "score"}), 422)


def test_search_finds_a_changed_answer_and_no_longer_the_old_one(client, admin):
    created = create(client, admin, answer="Zuerst ging es um Kinderbetreuung.")
    assert questions(client.get(PUBLIC, params={"q": "kinderbetreuung"}))
    changed = client.patch(f"{ADMIN}/{created['id']}", headers=admin,
                           json={"answer": "Jetzt geht es um Pflege und Beruf."})
    assert changed.status_code == 200, changed.text
    assert questions(client.get(PUBLIC, params={"q": "kinderbetreuung"})) == []
    assert questions(client.get(PUBLIC, params={"q": "PFLEGE"}))


@pytest.mark.parametrize("params", [{"category": "nope"}, {"q": ""}, {"q": "x" * 101},
                                    {"limit": 0}, {"cursor": "kaputt"}, {"query": "Siegel"}])
def test_bad_public_queries_are_invalid_input(client, admin, params):
    create(client, admin)
    assert_problem(client.get(PUBLIC, params=params), 422)


# --- the Servicebüro ----------------------------------------------------------------------------

def test_admin_list_includes_drafts_and_filters_by_state(client, admin):
    create(client, admin, question="Veröffentlichte Frage")
    create(client, admin, publish=False, question="Entwurf einer Frage")
    assert set(questions(client.get(ADMIN, headers=admin))) == {
        "Veröffentlichte Frage", "Entwurf einer Frage"}
    assert questions(client.get(ADMIN, headers=admin, params={"is_published": "false"})) == [
        "Entwurf einer Frage"]
    latest = client.get(ADMIN, headers=admin, params={"sort": "-updated_at"})
    assert len(questions(latest)) == 2


def test_create_update_publish_delete_with_etags_and_audit(client, session, admin, admin_account):
    created = client.post(ADMIN, headers=admin, json=entry())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["is_published"] is False and body["published_at"] is None
    assert body["created_by"] == f"user:{admin_account.id}"
    assert created.headers["location"] == f"/api/v1/faq/{body['id']}"
    etag = created.headers["etag"]
    item = f"{ADMIN}/{body['id']}"

    assert client.get(item, headers=admin).headers["etag"] == etag
    stale = client.patch(item, headers={**admin, "If-Match": '"faq-1-v99"'}, json={"position": 3})
    assert_problem(stale, 412, "precondition_failed")
    changed = client.patch(item, headers={**admin, "If-Match": etag}, json={"position": 3})
    assert changed.status_code == 200, changed.text
    assert changed.json()["position"] == 3 and changed.json()["version"] == 2
    assert changed.headers["etag"] != etag
    # Without If-Match, as everywhere in this API (scripts may omit it).
    assert client.patch(item, headers=admin, json={"category": "seal_criteria"}).status_code == 200
    unchanged = client.patch(item, headers=admin, json={"category": "seal_criteria"})
    assert unchanged.json()["version"] == 3

    assert_problem(client.post(f"{item}/publish", headers={**admin, "If-Match": etag}), 412)
    published = client.post(f"{item}/publish", headers=admin)
    assert published.status_code == 200 and published.json()["is_published"] is True
    assert published.json()["published_at"] is not None
    assert_problem(client.post(f"{item}/publish", headers=admin), 409, "faq_already_published")
    assert client.get(f"{PUBLIC}/{body['id']}").status_code == 200
    unpublished = client.post(f"{item}/unpublish", headers=admin)
    assert unpublished.status_code == 200 and unpublished.json()["is_published"] is False
    assert_problem(client.get(f"{PUBLIC}/{body['id']}"), 404)
    assert_problem(client.post(f"{item}/unpublish", headers=admin), 409, "faq_not_published")

    assert_problem(client.delete(item, headers={**admin, "If-Match": etag}), 412)
    current = client.get(item, headers=admin).headers["etag"]
    assert client.delete(item, headers={**admin, "If-Match": current}).status_code == 204
    assert_problem(client.get(item, headers=admin), 404, "faq_entry_not_found")
    assert_problem(client.delete(item, headers=admin), 404, "faq_entry_not_found")

    trail = session.exec(select(AuditEvent).where(AuditEvent.resource_type == "faq_entry",
                                                  AuditEvent.resource_id == str(body["id"]))
                         .order_by(AuditEvent.id)).all()
    assert [e.action for e in trail][:1] == ["faq_entry.create"]
    assert trail[-1].action == "faq_entry.delete"
    assert {e.actor for e in trail} == {f"user:{admin_account.id}"}
    assert any("position" in e.changed_fields for e in trail)


def test_wrong_callers_cannot_write_or_see_drafts(client, session, admin, alliance, alliance_user,
                                                  partner):
    draft = create(client, admin, publish=False)
    member = alliance_user(alliance)
    item = f"{ADMIN}/{draft['id']}"
    for headers, status in (({}, 401), (member, 403), (partner, 403)):
        assert_problem(client.get(ADMIN, headers=headers), status)
        assert_problem(client.get(item, headers=headers), status)
        assert_problem(client.post(ADMIN, headers=headers, json=entry()), status)
        assert_problem(client.patch(item, headers=headers, json={"position": 1}), status)
        assert_problem(client.post(f"{item}/publish", headers=headers), status)
        assert_problem(client.delete(item, headers=headers), status)
    assert session.get(FaqEntry, draft["id"]) is not None
    assert questions(client.get(PUBLIC, headers=member)) == []


@pytest.mark.parametrize(("body", "loc"), [
    (entry(question="Wer\x07 darf?"), ["body", "question"]),
    (entry(question="Wer\u202edarf teilnehmen?"), ["body", "question"]),
    (entry(question="Zeile eins\nZeile zwei"), ["body", "question"]),
    (entry(question="kurz"), ["body", "question"]),
    (entry(question="x" * 301), ["body", "question"]),
    (entry(answer="a" * 20_001), ["body", "answer"]),
    (entry(answer="Text mit \x1b[31m Farbe"), ["body", "answer"]),
    (entry(answer="   "), ["body", "answer"]),
    (entry(category="faq"), ["body", "category"]),
    (entry(position=-1), ["body", "position"]),
    (entry(position=10_000), ["body", "position"]),
    ({**entry(), "is_published": True}, ["body", "is_published"]),
    ({k: v for k, v in entry().items() if k != "answer"}, ["body", "answer"]),
])
def test_bad_input_is_refused_with_the_field_named(client, admin, body, loc):
    problem = assert_problem(client.post(ADMIN, headers=admin, json=body), 422)
    assert loc in [e["loc"] for e in problem["errors"]], problem


def test_markdown_answers_keep_line_breaks_and_updates_refuse_nulls(client, admin):
    created = create(client, admin, publish=False, answer="Absatz eins\n\n- Punkt\n\tEinzug")
    assert created["answer"] == "Absatz eins\n\n- Punkt\n\tEinzug"
    item = f"{ADMIN}/{created['id']}"
    problem = assert_problem(client.patch(item, headers=admin, json={"question": None}), 422,
                             "invalid_faq_entry")
    assert problem["errors"][0]["loc"] == ["body", "question"]
    assert_problem(client.patch(item, headers=admin, json={"unknown": 1}), 422)
    assert_problem(client.patch(f"{ADMIN}/999999", headers=admin, json={"position": 1}), 404)


def test_factories_world_entry_is_found_by_id(client, session):
    published = factories.make_faq_entry(session)
    assert client.get(f"{PUBLIC}/{published.id}").status_code == 200
