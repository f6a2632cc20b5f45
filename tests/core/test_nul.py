"""Text input never carries NUL (U+0000): PostgreSQL refuses it (a 500 before, found by
tests/trust/test_fuzz.py), SQLite stored it. Refused as invalid input on both databases, naming
every field at fault."""

import pytest

from app.core.nul import nul_locations, surrogate_locations
from tests import factories
from tests.surveys.helpers import response_count
from tests.utils.problems import assert_problem, error_locs


@pytest.mark.parametrize(("value", "expected"), [
    ("plain", []),
    ("a\x00b", [("body",)]),
    ({"name": "ok", "note": "\x00"}, [("body", "note")]),
    ({"k\x00ey": "ok"}, [("body", "k\x00ey")]),
    ({"items": [{"answers": {"q": ["x", "y\x00"]}}]}, [("body", "items", 0, "answers", "q", 1)]),
    ([1, 2.5, None, True, {"a": []}], []),
])
def test_nul_locations(value, expected):
    assert list(nul_locations(value, ("body",))) == expected


def test_json_body_with_nul_is_invalid_and_nothing_is_stored(client, admin, session):
    response = client.post("/api/v1/users", headers=admin, json={
        "email": "nul@example.org", "full_name": "Erika\x00Muster", "role": "admin"})
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"] == [{"loc": ["body", "full_name"], "type": "string_nul",
                                  "msg": "Text may not contain NUL characters (U+0000)"}]
    assert client.get("/api/v1/users", headers=admin, params={"q": "nul@example.org"}).json()["items"] == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32-le"])
def test_nul_is_found_whatever_the_bodys_encoding(client, admin, session, encoding):
    # The check skips bodies that cannot hold NUL (no \u0000 escape, no zero byte); a body in
    # UTF-16 or UTF-32, which the JSON parser also reads, has zero bytes and is walked.
    import json
    body = json.dumps({"email": "nul16@example.org", "full_name": "Erika\x00Muster",
                       "role": "admin"}).encode(encoding)
    response = client.post("/api/v1/users", content=body,
                           headers={**admin, "content-type": "application/json"})
    problem = assert_problem(response, 422, "validation_error")
    assert error_locs(problem) == [["body", "full_name"]]


def test_a_key_with_nul_is_found_in_a_body_without_other_escapes(client, admin, alliance):
    response = client.patch(f"/api/v1/alliances/{alliance.id}", headers={
        **admin, "content-type": "application/json"}, content=b'{"descr\\u0000iption": "x"}')
    problem = assert_problem(response, 422, "validation_error")
    assert ["body", "descr\x00iption"] in error_locs(problem)


def test_the_json_media_type_is_read_whatever_its_case(client, admin):
    body = b'{"email": "case@example.org", "full_name": "Erika\\u0000Muster", "role": "admin"}'
    response = client.post("/api/v1/users", content=body,
                           headers={**admin, "content-type": "Application/JSON"})
    problem = assert_problem(response, 422, "validation_error")
    assert error_locs(problem) == [["body", "full_name"]]


def test_a_broken_body_of_another_json_type_is_refused_not_a_500(client, admin):
    response = client.post("/api/v1/users", content=b'{"full_name": "\\u0000',
                           headers={**admin, "content-type": "text/json"})
    assert_problem(response, 422, "validation_error")


def test_every_field_with_nul_is_named(client, admin, alliance):
    response = client.patch(f"/api/v1/alliances/{alliance.id}", headers=admin, json={
        "description": "\x00", "contacts": [{"name": "Paula", "email": "p@example.org",
                                             "function": "Ko\x00ordination"}]})
    problem = assert_problem(response, 422, "validation_error")
    assert error_locs(problem) == [["body", "description"], ["body", "contacts", 0, "function"]]


@pytest.mark.parametrize(("url", "loc"), [
    ("/api/v1/cycles/2024%0025", ["path", "cycle"]),
    ("/api/v1/alliances?q=Hamm%00", ["query", "q"]),
    ("/api/v1/public/seals?cycle=%00", ["query", "cycle"]),
])
def test_path_and_query_with_nul_are_invalid(client, admin, url, loc):
    assert error_locs(assert_problem(client.get(url, headers=admin), 422, "validation_error")) == [loc]


def test_undeclared_query_parameters_are_refused_by_name(client, admin):
    response = client.get("/api/v1/me", headers=admin, params={"unused": "\x00"})
    assert error_locs(assert_problem(response, 422, "validation_error")) == [["query", "unused"]]


def test_form_field_with_nul_is_invalid(client):
    response = client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": "erika\x00@example.org", "password": "x"})
    # The token endpoint answers as RFC 6749 says: 400 invalid_request, errors[] as ever.
    body = assert_problem(response, 400, "invalid_request")
    assert body["error"] == "invalid_request"
    assert error_locs(body) == [["body", "username"]]


def test_batch_with_nul_names_the_item_and_answer(client, session, alliance):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    pusher = factories.client_headers(factories.make_client(session, alliances=[alliance]))
    response = client.post(f"/api/v1/cycles/{cycle.slug}/responses:batch", headers=pusher, json={
        "items": [{"alliance": alliance.id, "answers": {"remarks": "ok"}},
                  {"alliance": alliance.id, "answers": {"remarks": "Zeile\x00zwei"}}]})
    problem = assert_problem(response, 422, "validation_error")
    assert error_locs(problem) == [["body", "items", 1, "answers", "remarks"]]


# --- unpaired surrogates ---------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("plain", []),
    ("Grüße \U0001F600", []),  # a pair of escapes is read into one character: fine
    ("a\ud800b", [("body",)]),
    ({"note": "\udfff", "ok": "ü"}, [("body", "note")]),
    ({"k\udc80": "ok"}, [("body", "k\ufffd")]),  # named so that the reply can be encoded
    ({"items": [{"answers": {"q": ["x", "\ud83d"]}}]}, [("body", "items", 0, "answers", "q", 1)]),
])
def test_surrogate_locations(value, expected):
    assert list(surrogate_locations(value, ("body",))) == expected


def _response_url(session, alliance):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    return f"/api/v1/cycles/{cycle.slug}/responses/{alliance.id}"


@pytest.mark.parametrize(("body", "encoding"), [
    (b'{"answers": {"remarks": "Gr\\u00fc\\ud800e"}}', None),  # a lone escape
    (b'{"answers": {"remarks": "Gr\\uDC00e"}}', None),  # a low one, upper case
    (b'{"answers": {"remarks": "Gr\xed\xa0\x80e"}}', None),  # UTF-8 bytes of a surrogate
    ('{"answers": {"remarks": "Gr\\ud800e"}}', "utf-16"),
])
def test_a_text_answer_with_an_unpaired_surrogate_is_invalid_and_nothing_is_stored(
        client, session, alliance, alliance_user, body, encoding):
    """It was stored, and then every reply that carried it failed to encode: a 500 on the PUT
    that stored it and on every read of the response after."""
    url = _response_url(session, alliance)
    content = body.encode(encoding) if isinstance(body, str) else body
    headers = {**alliance_user(alliance), "content-type": "application/json"}
    problem = assert_problem(client.put(url, content=content, headers=headers), 422,
                             "validation_error")
    assert problem["errors"] == [{"loc": ["body", "answers", "remarks"], "type": "string_surrogate",
                                  "msg": "Text may not contain unpaired surrogates (U+D800 to U+DFFF)"}]
    assert client.get(url, headers=alliance_user(alliance)).status_code == 404


def test_a_pair_of_surrogate_escapes_is_one_character_and_stored(client, session, alliance,
                                                                 alliance_user):
    url = _response_url(session, alliance)
    response = client.put(url, content=b'{"answers": {"remarks": "gut \\ud83d\\ude00"}}',
                          headers={**alliance_user(alliance), "content-type": "application/json"})
    assert response.status_code in (200, 201), response.text
    assert client.get(url, headers=alliance_user(alliance)).json()["answers"]["remarks"] == "gut \U0001F600"


def test_a_batch_names_every_item_with_an_unpaired_surrogate(client, session, alliance):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    pusher = factories.client_headers(factories.make_client(session, alliances=[alliance]))
    one, two = (f'{{"alliance": {alliance.id}, "ref": "r\\udc00", "answers": {{"remarks": "ok"}}}}',
                f'{{"alliance": {alliance.id}, "answers": {{"remarks": "\\ud800"}}}}')
    body = f'{{"items": [{one}, {two}]}}'
    response = client.post(f"/api/v1/cycles/{cycle.slug}/responses:batch", content=body.encode(),
                           headers={**pusher, "content-type": "application/json"})
    problem = assert_problem(response, 422, "validation_error")
    assert error_locs(problem) == [["body", "items", 0, "ref"],
                                   ["body", "items", 1, "answers", "remarks"]]
    assert response_count(session, cycle) == 0


@pytest.mark.parametrize(("body", "loc", "types"), [
    (b'{"answers": {"re\\ud800marks": "x"}}', ["body", "answers", "re\ufffdmarks"],
     ["string_surrogate"]),
    (b'{"answers": {}, "extra\\udc00": 1}', ["body", "extra\ufffd"], ["string_surrogate"]),
    (b'{"answers": {"a\\u0000\\ud800": 1}}', ["body", "answers", "a\x00\ufffd"],
     ["string_nul", "string_surrogate"]),
])
def test_a_key_with_an_unpaired_surrogate_is_named_in_a_reply_that_can_be_encoded(
        client, session, alliance, alliance_user, body, loc, types):
    url = _response_url(session, alliance)
    response = client.put(url, content=body, headers={**alliance_user(alliance),
                                                       "content-type": "application/json"})
    problem = assert_problem(response, 422, "validation_error")
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [(loc, kind) for kind in types]


def test_a_form_field_decoded_into_a_surrogate_is_invalid(client):
    """A form is decoded with the charset the request names: UTF-7 spells a lone surrogate."""
    body = (b'--XX\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\npassword\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="username"\r\n\r\na+2AA-b\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="password"\r\n\r\nx\r\n--XX--\r\n')
    response = client.post("/api/v1/auth/token", content=body, headers={
        "content-type": "multipart/form-data; boundary=XX; charset=utf-7"})
    problem = assert_problem(response, 400, "invalid_request")
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "username"], "string_surrogate")]


@pytest.mark.parametrize("url", [
    "/api/v1/alliances?q=Hamm%ED%A0%80",
    "/api/v1/cycles/2024%ED%A0%80",
])
def test_path_and_query_never_carry_a_surrogate(client, admin, url):
    """Path and query are percent-decoded with replacement characters, never surrogates:
    whatever the answer, it is not a 500."""
    assert client.get(url, headers=admin).status_code < 500
