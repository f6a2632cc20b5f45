"""The FAQ's German full-text search: the pure analysis and scoring (table-driven, and a
property: whatever is typed, a text always finds itself), then through the API on both
databases: word forms, umlauts, compounds and stop words, relevance order and its paging,
hostile input (422, never a 500), drafts never public."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.faq import search
from tests.faq.support import ADMIN, PUBLIC, create, questions
from tests.utils.problems import assert_problem

# --- analysis and scoring (pure) ------------------------------------------------------------

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


# --- through the API ----------------------------------------------------------------------

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
