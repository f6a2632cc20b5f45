"""Names and free text refuse control and bidi formatting characters, e-mail addresses are
compared in their NFKC, lower-case form (issue 11, finding 8): table-driven for the rules,
through the API for the schemas of several domains."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from app.core.text import BIDI_CONTROLS, Email, forbidden_characters, multi_line, normalise_email
from tests.alliances.helpers import API as ALLIANCES
from tests.alliances.helpers import new_alliance
from tests.factories import PASSWORD
from tests.utils.problems import assert_problem, error_locs

RLO = "\u202e"


@pytest.mark.parametrize("value, multiline, found", [
    ("Lokales Bündnis für Familie Fürth", False, []),
    ("Zeile 1\nZeile 2\tmit Tab", True, []),
    ("Zeile 1\nZeile 2", False, ["U+000A"]),
    (f"Rechnung{RLO}fdp.exe", False, ["U+202E"]),
    (f"Rechnung{RLO}fdp.exe", True, ["U+202E"]),
    ("Isolat\u2066x\u2069", True, ["U+2066", "U+2069"]),
    ("Arabisch\u061c", False, ["U+061C"]),
    ("Escape\x1b[31m", True, ["U+001B"]),
    ("C1\x85", True, ["U+0085"]),
    ("DEL\x7f", False, ["U+007F"]),
    ("Absatz\u2029", True, ["U+2029"]),
    ("ZWJ in Emoji \U0001F468\u200d\U0001F469 bleibt", False, []),
    ("Halbes Paar \ud83d", True, ["U+D83D"]),  # a lone surrogate no encoder takes
    ("\udc00 allein", False, ["U+DC00"]),
])
def test_forbidden_characters(value, multiline, found):
    assert forbidden_characters(value, multiline=multiline) == found


def test_multiline_text_normalises_line_ends():
    assert multi_line("a\r\nb\rc") == "a\nb\nc"


@pytest.mark.parametrize("raw, stored", [
    ("Erika.Muster@Example.ORG", "erika.muster@example.org"),
    (" ｅｒｉｋａ@ｅｘａｍｐｌｅ.org ", "erika@example.org"),  # full-width forms fold
    ("ﬁnanzen@example.org", "finanzen@example.org"),  # the ligature fi folds
])
def test_email_is_normalised_in_one_place(raw, stored):
    assert normalise_email(raw) == stored
    assert TypeAdapter(Email).validate_python(raw) == stored


def test_cyrillic_look_alikes_stay_apart():
    """NFKC does not fold other scripts: „erikа“ with a Cyrillic а is another address."""
    assert TypeAdapter(Email).validate_python("erik\u0430@example.org") != "erika@example.org"


def test_a_bidi_override_in_an_email_is_refused():
    with pytest.raises(ValidationError):
        TypeAdapter(Email).validate_python(f"erika{RLO}@example.org")


# --- through the API, across domains ----------------------------------------------------------

def test_alliance_names_and_contacts_refuse_control_characters(client, admin):
    body = new_alliance(name=f"Bündnis {RLO}htrüF")
    body["contacts"][0]["name"] = "Erika\x1bMuster"
    reply = client.post(ALLIANCES, headers=admin, json=body)
    problem = assert_problem(reply, 422)
    assert ["body", "name"] in error_locs(problem)
    assert ["body", "contacts", 0, "name"] in error_locs(problem)
    assert {e["type"] for e in problem["errors"]} == {"control_characters"}


def test_alliance_description_keeps_line_breaks(client, admin):
    reply = client.post(ALLIANCES, headers=admin,
                        json=new_alliance(description="Erste Zeile\r\nZweite Zeile"))
    assert reply.status_code == 201, reply.text
    assert reply.json()["description"] == "Erste Zeile\nZweite Zeile"


def test_inquiry_subject_and_message_refuse_bidi_overrides(client):
    reply = client.post("/api/v1/inquiries", json={
        "category": "other", "subject": f"Frage {RLO}", "message": f"Text mit {RLO} darin",
        "requester_name": "Erika Muster", "requester_email": "erika@example.org"})
    problem = assert_problem(reply, 422)
    assert sorted(error_locs(problem)) == [["body", "message"], ["body", "subject"]]


def test_user_full_name_refuses_a_line_break(client, admin):
    reply = client.post("/api/v1/users", headers=admin, json={
        "email": "neu@example.org", "full_name": "Erika\nMuster", "role": "admin"})
    assert error_locs(assert_problem(reply, 422)) == [["body", "full_name"]]


def test_a_full_width_duplicate_of_an_account_is_caught(client, admin, admin_account):
    local, domain = admin_account.email.split("@")
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in local) + "@" + domain
    reply = client.post("/api/v1/users", headers=admin, json={
        "email": wide, "full_name": "Doppelt", "role": "admin"})
    assert_problem(reply, 409, "email_taken")


def test_sign_in_with_the_full_width_form_of_the_address(client, admin_account):
    local, domain = admin_account.email.split("@")
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in local) + "@" + domain
    reply = client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": wide, "password": PASSWORD})
    assert reply.status_code == 200, reply.text


def _refused_one_by_one(value: str, multiline: bool) -> list[str]:
    """The rule character by character, as ``forbidden_characters`` states it."""
    found = [f"U+{ord(char):04X}" for char in value
             if not (multiline and char in "\n\t")
             and (unicodedata.category(char) in ("Cc", "Cs") or char in BIDI_CONTROLS
                  or char in "\u2028\u2029\x85")]
    return list(dict.fromkeys(found))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.one_of(
    st.characters(exclude_categories=[]),  # surrogates included
    st.sampled_from([*BIDI_CONTROLS, "\n", "\t", "\r", "\u2028", "\x85", "\u200d", "\xa0", "ü"]),
), max_size=40), st.booleans())
def test_forbidden_characters_is_the_rule_for_each_character(value, multiline):
    assert forbidden_characters(value, multiline=multiline) == _refused_one_by_one(value, multiline)
