"""German for people (Accept-Language: de), English for machines: problems, validation messages,
and the catalog that holds the German texts (every problem text translated, .mo = .po)."""

import io
import string
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from app.core import i18n
from app.core.i18n_extract import scan_tree
from tests.utils.problems import assert_problem

APP = Path(__file__).resolve().parents[2] / "app"
PO = APP / "locales" / "de" / "LC_MESSAGES" / "messages.po"
MO = APP / "locales" / "de" / "LC_MESSAGES" / "messages.mo"

# Problem texts that are passed on, not written, at these places: the text itself is found
# where it is written (an AppError title, a marked rule reason, a caller's detail).
PASS_THROUGH = {
    ("app/auth/oauth_errors.py", "detail"),
    ("app/core/errors.py", "detail"),
    ("app/core/errors.py", "detail or self.title"),
    ("app/core/errors.py", "exc.title"),
    ("app/core/errors.py", "exc.detail"),
    ("app/core/errors.py", "title"),
    ("app/core/idempotency.py", "detail"),
    ("app/surveys/store.py", "reason"),  # surveys/rules.closed_reason, eligibility (N_)
    ("app/workgroups/exceptions.py", "detail"),
    ("app/workgroups/membership.py", "refusal"),  # workgroups/rules.join_refusal (N_)
}


def _fields(message: str) -> list[str]:
    return sorted(name for _t, name, _s, _c in string.Formatter().parse(message) if name)


@pytest.fixture(scope="module")
def german() -> dict[str, str]:
    with PO.open("rb") as fileobj:
        catalog = read_po(fileobj, locale="de")
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


# --- the catalog ------------------------------------------------------------------------------


def test_every_problem_text_in_the_code_has_a_german_translation(german):
    found, _unresolved = scan_tree(APP)
    missing = sorted({f"{item.path}:{item.lineno}: {item.message}" for item in found
                      if not german.get(item.message)})
    assert not missing, ("untranslated problem texts; run `make messages` and translate them in "
                         f"{PO.relative_to(APP.parent)}:\n" + "\n".join(missing))
    assert len(found) > 300  # the scan really reads the code base


def test_every_problem_text_is_found_by_the_scan():
    """A detail the scan cannot read (a variable from elsewhere) would escape translation."""
    _found, unresolved = scan_tree(APP)
    root = APP.parent
    strays = sorted({(str(Path(u.path).resolve().relative_to(root)), u.source) for u in unresolved}
                    - PASS_THROUGH)
    assert not strays, f"problem texts the catalog scan cannot read; write them as text: {strays}"


def test_translations_keep_the_fields_of_their_template(german):
    wrong = {msgid: text for msgid, text in german.items() if _fields(msgid) != _fields(text)}
    assert not wrong


def test_the_committed_mo_is_the_compiled_po():
    with PO.open("rb") as fileobj:
        catalog = read_po(fileobj, locale="de")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert MO.read_bytes() == compiled.getvalue(), "messages.mo is stale: run `make messages`"
    with MO.open("rb") as fileobj:
        assert len(list(read_mo(fileobj))) == len(list(catalog))


def test_a_missing_translation_is_reported():
    """The check above can fail: an untranslated template stays English and is found."""
    catalog = i18n.build_catalog({"No workgroup {workgroup_id}.": "Keine Arbeitsgruppe {workgroup_id}."})
    assert catalog.translate("No workgroup 7.") == "Keine Arbeitsgruppe 7."
    assert catalog.translate("No workgroup.") == "No workgroup."
    assert catalog.translate("Something new 3.") == "Something new 3."


# --- Accept-Language --------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"),
    ("", "en"),
    ("de", "de"),
    ("de-DE", "de"),
    ("DE-at", "de"),
    ("de-DE;q=0.9, en;q=0.8", "de"),
    ("en;q=0.8, de-DE;q=0.9", "de"),
    ("en-US,en;q=0.9,de;q=0.8", "en"),
    ("fr-FR, fr;q=0.9, de;q=0.5", "de"),
    ("fr, it", "en"),
    ("de;q=0, en", "en"),
    ("*", "en"),
    ("de;q=abc, en", "en"),
    ("de;q=1.5", "en"),
    ("de ; q = 0.7 , en ; q=0.3", "de"),
])
def test_negotiation_weighs_q_values(header, language):
    assert i18n.negotiate(header) == language


def test_many_language_ranges_are_cut_off():
    header = ", ".join(["fr"] * 1000 + ["de"])
    assert i18n.negotiate(header) == "en"


# --- problems through the API -----------------------------------------------------------------


def test_german_problem_for_a_person(client):
    response = client.get("/api/v1/me", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"})
    body = assert_problem(response, 401, "unauthorized")
    assert body["title"] == "Anmeldung erforderlich"
    assert response.headers["content-language"] == "de"
    assert "Accept-Language" in response.headers["vary"]


def test_english_problem_for_a_machine(client):
    response = client.get("/api/v1/me")
    body = assert_problem(response, 401, "unauthorized")
    assert body["title"] == "Authentication required"
    assert response.headers["content-language"] == "en"
    assert "Accept-Language" in response.headers["vary"]
    english = client.get("/api/v1/me", headers={"Accept-Language": "en-GB, de;q=0.5"})
    assert english.json()["title"] == "Authentication required"


def test_german_detail_keeps_the_values_of_the_template(client, admin):
    response = client.get("/api/v1/workgroups/987654", headers={**admin, "Accept-Language": "de"})
    body = assert_problem(response, 404)
    assert body["detail"] == "Keine Arbeitsgruppe 987654."
    assert body["code"] == "workgroup_not_found"  # identifiers stay English
    english = client.get("/api/v1/workgroups/987654", headers=admin).json()
    assert english["detail"] == "No workgroup 987654."


def test_german_validation_messages_with_english_field_names(client, admin):
    body = {"name": "x" * 201, "level": "galaxy", "founded_on": "gestern", "listed_in_finder": "ja",
            "unknown": 1, "ags": "0956300"}
    response = client.post("/api/v1/alliances", json=body,
                           headers={**admin, "Accept-Language": "de"})
    problem = assert_problem(response, 422, "validation_error")
    assert problem["title"] == "Ungültige Eingabe"
    assert problem["detail"].startswith("Ungültige Eingabe bei: body.")
    messages = {tuple(error["loc"]): (error["type"], error["msg"]) for error in problem["errors"]}
    assert messages[("body", "name")] == (
        "too_long", "Der Text darf höchstens 200 Zeichen lang sein")
    assert messages[("body", "ags")] == (
        "string_too_short", "Der Text muss mindestens 8 Zeichen lang sein")
    assert messages[("body", "unknown")] == ("extra_forbidden", "Zusätzliche Felder sind nicht erlaubt")
    kind, message = messages[("body", "level")]
    assert kind == "enum" and message.startswith("Erlaubt ist: ") and " oder " in message
    assert messages[("body", "founded_on")][1].startswith("Erwartet wird ein gültiges Datum")
    assert messages[("body", "listed_in_finder")][1].startswith("Erwartet wird ein Wahrheitswert")
    assert response.headers["content-language"] == "de"


def test_german_missing_and_number_messages(client, admin):
    response = client.get("/api/v1/alliances?limit=viele", headers={**admin, "Accept-Language": "de"})
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"][0]["msg"] == "Erwartet wird eine ganze Zahl; der Text ist keine"
    missing = client.post("/api/v1/alliances", json={}, headers={**admin, "Accept-Language": "de"})
    msgs = {tuple(e["loc"]): e["msg"] for e in assert_problem(missing, 422)["errors"]}
    assert msgs[("body", "name")] == "Pflichtfeld fehlt"


def test_english_validation_messages_unchanged(client, admin):
    response = client.post("/api/v1/alliances", json={"name": "x" * 201, "level": "city"},
                           headers=admin)
    problem = assert_problem(response, 422, "validation_error")
    assert problem["title"] == "Invalid input"
    assert problem["errors"][0]["msg"].startswith("Value should have at most 200 items")


@pytest.mark.parametrize(("error", "german"), [
    ({"type": "missing", "msg": "Field required"}, "Pflichtfeld fehlt"),
    ({"type": "string_too_long", "msg": "…", "ctx": {"max_length": 5}},
     "Der Text darf höchstens 5 Zeichen lang sein"),
    ({"type": "int_parsing", "msg": "…"}, "Erwartet wird eine ganze Zahl; der Text ist keine"),
    ({"type": "float_parsing", "msg": "…"}, "Erwartet wird eine Zahl; der Text ist keine"),
    ({"type": "bool_parsing", "msg": "…"},
     "Erwartet wird ein Wahrheitswert (true oder false); die Eingabe ist keiner"),
    ({"type": "datetime_parsing", "msg": "…", "ctx": {"error": "x"}},
     "Erwartet wird ein gültiger Zeitpunkt"),
    ({"type": "value_error", "msg": "value is not a valid email address: An email address "
      "must have an @-sign."}, "Keine gültige E-Mail-Adresse"),
    ({"type": "enum", "msg": "…", "ctx": {"expected": "'a', 'b' or 'c'"}},
     "Erlaubt ist: 'a', 'b' oder 'c'"),
    ({"type": "greater_than_equal", "msg": "…", "ctx": {"ge": 1}},
     "Der Wert muss größer oder gleich 1 sein"),
    ({"type": "some_new_type", "msg": "Something else"}, "Something else"),
])
def test_validation_message_table(error, german):
    assert i18n.validation_message(error, "de") == german
    assert i18n.validation_message(error, "en") == error["msg"]


def test_framework_problems_speak_german_too(client, admin, limits):
    not_allowed = client.put("/api/v1/users/1", headers={**admin, "Accept-Language": "de"})
    body = assert_problem(not_allowed, 405, "method_not_allowed")
    assert body["title"] == "Methode nicht erlaubt"
    assert body["detail"].startswith("Diese Adresse nimmt diese Methode nicht an")
    nowhere = client.get("/api/v1/nirgendwo", headers={"Accept-Language": "de"})
    body = assert_problem(nowhere, 404, "not_found")
    assert body["detail"] == "Unter dieser Adresse gibt es nichts; prüfen Sie den Pfad."
    english = client.get("/api/v1/nirgendwo")
    assert assert_problem(english, 404, "not_found")["detail"].startswith("Nothing is found")
    limits("max_body_bytes", 100)
    too_large = client.post("/api/v1/alliances", content=b"{" + b" " * 500 + b"}",
                            headers={**admin, "Accept-Language": "de",
                                     "Content-Type": "application/json"})
    body = assert_problem(too_large, 413, "payload_too_large")
    assert body["title"] == "Anfrage zu groß"
    assert body["detail"] == "Der Inhalt ist größer als 100 Bytes."
    assert too_large.headers["content-language"] == "de"


def test_field_error_messages_are_german(client, admin):
    """The app's own field messages (field_error) read German as well; loc and type stay."""
    response = client.post("/api/v1/alliances/import", headers={**admin, "Accept-Language": "de"},
                           files={"file": ("leer.csv", b"", "text/csv")})
    body = assert_problem(response, 422)
    assert body["detail"] == "Die Datei ist leer."
    assert body["errors"] == [{"loc": ["file"], "msg": "leere Datei", "type": "empty"}]
    english = client.post("/api/v1/alliances/import", headers=admin,
                          files={"file": ("leer.csv", b"", "text/csv")}).json()
    assert english["errors"][0]["msg"] == "empty file"
