"""Inputs are strict and replies are complete: every request body is a StrictInput (no "yes" for
true, no number for a date, no NaN or Infinity), every reply a ReadModel (every field it always
sends is required in the spec)."""

import inspect
import json
import typing
from typing import Any

import pytest
from pydantic import BaseModel
from sqlmodel import Session, select

from app.alliances.models import Alliance
from app.core.openapi import api_routes
from app.core.schemas import ReadModel, StrictInput
from app.main import create_app
from app.surveys.models import SurveyResponse
from tests import factories
from tests.utils.problems import assert_problem, error_locs

CYCLES = "/api/v1/cycles"


def _models_in(annotation: Any, found: set[type[BaseModel]]) -> None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, found)
        return
    for argument in typing.get_args(annotation):
        _models_in(argument, found)


def _route_models() -> tuple[set[type[BaseModel]], set[type[BaseModel]]]:
    bodies: set[type[BaseModel]] = set()
    replies: set[type[BaseModel]] = set()
    for route in api_routes(create_app()):
        for param in route.dependant.body_params:
            _models_in(param.field_info.annotation, bodies)
        original = route.original_route
        if getattr(original, "response_model", None) is not None:
            _models_in(original.response_model, replies)
        for spec in (original.responses or {}).values():
            if isinstance(spec, dict) and spec.get("model") is not None:
                _models_in(spec["model"], replies)
    return bodies, replies


def _name(model: type[BaseModel]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


# --- the walks --------------------------------------------------------------------------------

def test_every_request_body_model_is_strict():
    bodies, _ = _route_models()
    assert len(bodies) > 40  # the walk found the bodies at all
    lax = sorted(_name(model) for model in bodies if not issubclass(model, StrictInput))
    assert not lax, f"request body models not derived from app.core.schemas.StrictInput: {lax}"


def test_every_reply_model_is_a_read_model():
    bodies, replies = _route_models()
    assert len(replies) > 80
    # A shape used in both directions (a workgroup result's link) stays a StrictInput; it has no
    # defaults, so every field is required either way (the spec walk below checks that).
    plain = sorted(_name(model) for model in replies - bodies if not issubclass(model, ReadModel))
    assert not plain, f"reply models not derived from app.core.schemas.ReadModel: {plain}"


def _response_schema_refs(spec: dict[str, Any]) -> set[str]:
    refs: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in refs:
                    refs.add(name)
                    walk(spec["components"]["schemas"].get(name))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in spec["paths"].values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                walk(response.get("content", {}))
    return refs


def test_every_property_of_a_reply_schema_is_required():
    """A generated client types a field the server always sends as present (``T | null``),
    not as optional *and* nullable. Problem documents are the exception: their members
    ``errors``, ``current_etag`` … appear only where they apply."""
    spec = create_app().openapi()
    schemas = spec["components"]["schemas"]
    names = _response_schema_refs(spec) - {"Problem"}
    assert {"AllianceRead", "ResponseRead", "TokenResponse", "Me"} <= names
    optional = {
        name: sorted(set(schemas[name].get("properties", {})) - set(schemas[name].get("required", [])))
        for name in names
    }
    assert not {name: fields for name, fields in optional.items() if fields}


def test_a_reply_schema_names_a_defaulted_field_required():
    schema = create_app().openapi()["components"]["schemas"]["Me"]
    assert {"scopes", "email", "role"} <= set(schema["required"])


# --- booleans, dates, numbers through the API ---------------------------------------------------

@pytest.fixture
def open_cycle(session: Session):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    return cycle


def _response_url(cycle: Any, alliance: Alliance) -> str:
    return f"{CYCLES}/{cycle.slug}/responses/{alliance.id}"


@pytest.mark.parametrize("value", ["yes", "true", 1, "on"])
def test_a_boolean_must_be_a_json_boolean(client, alliance, alliance_user, open_cycle, value):
    r = client.put(_response_url(open_cycle, alliance), headers=alliance_user(alliance),
                   json={"answers": {}, "wants_seal": value})
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "wants_seal"]]
    assert body["errors"][0]["type"] == "bool_type"


def test_a_json_boolean_is_still_taken(client, alliance, alliance_user, open_cycle):
    r = client.put(_response_url(open_cycle, alliance), headers=alliance_user(alliance),
                   json={"answers": {}, "wants_seal": False})
    assert r.status_code == 201, r.text
    assert r.json()["wants_seal"] is False


@pytest.mark.parametrize(("field", "value"), [
    ("ceremony_on", 0), ("ceremony_on", 20251121), ("ceremony_on", 1.5),
    ("opens_at", 0), ("opens_at", 1_767_225_600),
])
def test_a_date_or_timestamp_must_be_a_string(client, admin, field, value):
    r = client.post(CYCLES, headers=admin, json={"key": "2033/34", field: value})
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", field]]


def test_an_iso_date_is_still_taken(client, admin):
    r = client.post(CYCLES, headers=admin, json={
        "key": "2033/34", "ceremony_on": "2033-11-24", "opens_at": "2033-05-01T08:00:00+02:00"})
    assert r.status_code == 201, r.text
    assert r.json()["ceremony_on"] == "2033-11-24"


HOLE = "__literal__"


def _with_literal(body: dict[str, Any], literal: str) -> str:
    """JSON text of ``body`` with HOLE replaced by a bare literal (NaN, Infinity) that only a
    lenient parser such as Python's accepts."""
    return json.dumps(body).replace(f'"{HOLE}"', literal)


def _put_raw(client: Any, url: str, headers: dict[str, str], text: str) -> Any:
    return client.put(url, headers={**headers, "Content-Type": "application/json"}, content=text)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_an_answer_are_refused_not_stored(
    client, session, alliance, alliance_user, open_cycle, literal
):
    text = _with_literal({"answers": {"partner_meetings": HOLE}, "wants_seal": True}, literal)
    r = _put_raw(client, _response_url(open_cycle, alliance), alliance_user(alliance), text)
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "answers", "partner_meetings"]]
    assert body["errors"][0]["type"] == "finite_number"
    session.expire_all()
    assert session.exec(select(SurveyResponse).where(
        SurveyResponse.alliance_id == alliance.id)).first() is None


@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
def test_nan_in_a_nested_answer_list_is_refused(client, alliance, alliance_user, open_cycle, literal):
    text = _with_literal({"answers": {"future_topics": ["childcare", HOLE]}}, literal)
    r = _put_raw(client, _response_url(open_cycle, alliance), alliance_user(alliance), text)
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "answers", "future_topics", 1]]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_in_a_score_preview_is_refused(client, admin, open_cycle, literal):
    text = _with_literal({"answers": {"partner_meetings": HOLE}}, literal)
    r = client.post(f"{CYCLES}/{open_cycle.slug}/questions:score-preview",
                    headers={**admin, "Content-Type": "application/json"}, content=text)
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "answers", "partner_meetings"]]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_for_a_number_field_is_refused(client, admin, open_cycle, literal):
    text = _with_literal({"questions": [{
        "key": "extra_points", "text": "Extra", "type": "integer",
        "scoring": {"kind": "per_unit", "points_per_unit": 1, "cap": HOLE}}]}, literal)
    r = client.put(f"{CYCLES}/{open_cycle.slug}/questions",
                    headers={**admin, "Content-Type": "application/json"}, content=text)
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "questions", 0, "scoring", "cap"]]


def test_a_refused_coercion_is_reported_with_the_other_faults(client, admin):
    r = client.post(CYCLES, headers=admin, json={"key": "not a key", "ceremony_on": 0,
                                                 "seal_title": "x" * 1000})
    body = assert_problem(r, 422, "validation_error")
    assert sorted(map(tuple, error_locs(body))) == [
        ("body", "ceremony_on"), ("body", "key"), ("body", "seal_title")]


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_not_a_number(client, admin, value):
    r = client.post("/api/v1/me/tokens", headers=admin,
                    json={"name": "Export", "scopes": ["api:read"], "expires_in_days": value})
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "expires_in_days"]]
    assert body["errors"][0]["type"] == "int_type"


@pytest.mark.parametrize("value", ["30", " 30", "3e1"])
def test_a_number_is_not_a_string(client, admin, value):
    r = client.post("/api/v1/me/tokens", headers=admin,
                    json={"name": "Export", "scopes": ["api:read"], "expires_in_days": value})
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "expires_in_days"]]
    assert body["errors"][0]["type"] == "int_type"
    assert "not a string" in body["errors"][0]["msg"]


def test_a_string_for_a_number_inside_a_rule_is_refused(client, admin, session):
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    rule = {"kind": "partners_at_least", "min": "3"}
    r = client.put(f"{CYCLES}/{cycle.slug}/criteria", headers=admin,
                   json={"criteria": [{"key": "partners", "label": "Viele Partner", "rule": rule}]})
    body = assert_problem(r, 422, "validation_error")
    assert error_locs(body) == [["body", "criteria", 0, "rule", "min"]]


def test_a_json_number_is_still_taken(client, admin):
    r = client.post("/api/v1/me/tokens", headers=admin,
                    json={"name": "Export", "scopes": ["api:read"], "expires_in_days": 30})
    assert r.status_code == 201, r.text


def test_a_refused_coercion_inside_a_rule_keeps_the_other_rule_faults(client, admin, session):
    """A rule (a StrictInput inside a union whose validator rebuilds the errors) with a boolean
    for a number and a rule fault beside it: both are reported, nothing fails with a 500."""
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    rule = {"kind": "partners_at_least", "min": True, "question": "partner_count"}
    r = client.put(f"{CYCLES}/{cycle.slug}/criteria", headers=admin,
                   json={"criteria": [{"key": "partners", "label": "Viele Partner", "rule": rule}]})
    body = assert_problem(r, 422, "validation_error")
    assert sorted(map(tuple, error_locs(body))) == [
        ("body", "criteria", 0, "rule", "min"), ("body", "criteria", 0, "rule", "question")]


# --- boolean query parameters --------------------------------------------------------------------

@pytest.mark.parametrize("value", ["yes", "1", "on", "True", "ja", ""])
def test_a_boolean_query_parameter_is_true_or_false(client, admin, value):
    response = client.get("/api/v1/alliances", headers=admin, params={"include_total": value})
    body = assert_problem(response, 422, "validation_error")
    assert error_locs(body) == [["query", "include_total"]]


def test_true_and_false_are_taken_in_the_query(client, admin, alliance):
    counted = client.get("/api/v1/alliances", headers=admin, params={"include_total": "true"})
    assert counted.status_code == 200 and counted.json()["total"] >= 1
    plain = client.get("/api/v1/alliances", headers=admin, params={"include_total": "false"})
    assert plain.status_code == 200 and plain.json()["total"] is None


def test_a_lax_dry_run_flag_writes_nothing(client, admin, session):
    before = len(session.exec(select(Alliance)).all())
    response = client.post("/api/v1/alliances/import", headers=admin, params={"dry_run": "ja"},
                           files={"file": ("a.csv", b"name;ags\nNeu;09564000\n", "text/csv")})
    assert error_locs(assert_problem(response, 422, "validation_error")) == [["query", "dry_run"]]
    assert len(session.exec(select(Alliance)).all()) == before


# --- the field checks, worked out once per model: nested, optional and union shapes -------------

class _Shapes(StrictInput):
    counts: list[typing.Annotated[int, "meta"]] | None = None
    scores: dict[str, list[float]] | None = None
    pair: tuple[int, str] | None = None
    either: int | str | None = None
    choice: typing.Literal["a", "b"] | int | None = None
    answer: bool | int | list[bool | int | str] | None = None
    when: typing.Any = None
    free: Any = None
    flag: bool = False


def _refused(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    from pydantic import ValidationError
    try:
        _Shapes.model_validate(body)
    except ValidationError as exc:
        return [tuple(error["loc"]) for error in exc.errors()]
    return []


@pytest.mark.parametrize(("body", "locs"), [
    ({"counts": [1, 2, True]}, [("counts", 2)]),
    ({"counts": [1, "2"]}, [("counts", 1)]),
    ({"counts": None, "either": "x", "pair": (1, "a")}, []),
    ({"scores": {"a": [1.5, float("nan")]}}, [("scores", "a", 1)]),
    ({"scores": {"a": [1.5, 2]}, "either": 3}, []),
    ({"either": float("nan")}, [("either",)]),
    ({"either": True}, [("either",)]),  # the string member would refuse it, lax int read 1
    ({"either": "x", "choice": "a"}, []),
    ({"choice": True}, [("choice",)]),
    ({"choice": 2}, []),
    ({"answer": [True, 2, "x"]}, []),
    ({"answer": [1, "2", False]}, []),
    ({"free": {"deep": [1, {"x": float("inf")}]}}, [("free", "deep", 1, "x")]),
    ({"free": {"deep": ["1", True, None]}}, []),
    ({"flag": 1}, [("flag",)]),
    ({"flag": True, "counts": [float("-inf")]}, [("counts", 0)]),
])
def test_lax_coercions_are_refused_where_they_hide(body: dict[str, Any],
                                                   locs: list[tuple[Any, ...]]) -> None:
    assert sorted(_refused(body)) == sorted(locs)


def test_a_fault_inside_a_union_member_is_left_to_that_member() -> None:
    # No member takes {} as an item: the bool member must not claim the whole value (it
    # named `answer` itself, "should be a valid boolean"); pydantic names the item.
    locs = _refused({"answer": [1, {}]})
    assert locs and all(loc[0] == "answer" for loc in locs)
    assert any(1 in loc for loc in locs), locs
