"""Reused shapes are named components, so a generated client gets one type for each (a Land code,
a scope, the criterion rule …) instead of an anonymous copy per place."""

from collections import defaultdict
from typing import Any

import pytest

from app.api import NAMED_SHAPES
from app.core.openapi import NamedShapes, name_shapes
from app.main import create_app

NAMES = [
    "LandCode", "AllianceStatus", "ClientScope", "PatScope", "AnswerOperator", "ScoringKind",
    "CriterionRule", "ScoreBreakdownRow", "CriterionResult", "RuleResult", "BatchItem",
    "InvitationBasisCounts", "MemberBasisCounts",
]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def _walk(node: Any, path: str = "") -> Any:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def _refs(node: Any) -> set[str]:
    return {value["$ref"].rsplit("/", 1)[1] for _, value in _walk(node)
            if isinstance(value, dict) and isinstance(value.get("$ref"), str)}


@pytest.mark.parametrize("name", NAMES)
def test_the_reused_shapes_are_named_components(spec, name):
    assert name in spec["components"]["schemas"], name


def test_no_inline_enum_is_repeated(spec):
    places: dict[frozenset[str], list[str]] = defaultdict(list)
    for path, node in _walk({"paths": spec["paths"], "components": spec["components"]}):
        if isinstance(node, dict) and isinstance(node.get("enum"), list) \
                and not path.endswith("/Problem/properties/code"):
            places[frozenset(map(str, node["enum"]))].append(path)
    repeated = {tuple(sorted(values))[:4]: where for values, where in places.items() if len(where) > 1}
    assert not repeated, f"name these enums (app.api.NAMED_SHAPES): {repeated}"


def test_every_reference_resolves(spec):
    assert _refs(spec) <= set(spec["components"]["schemas"]) | set(spec["components"]["headers"])


def test_generated_twins_are_gone(spec):
    assert not [name for name in spec["components"]["schemas"] if "__" in name or "-" in name]


def test_the_land_code_is_one_enum_used_everywhere(spec):
    land = spec["components"]["schemas"]["LandCode"]
    assert land["enum"][:1] and all(code.startswith("DE-") for code in land["enum"])
    assert len(land["enum"]) == 16
    users = [path for path, node in _walk(spec["paths"])
             if isinstance(node, dict) and node.get("$ref") == "#/components/schemas/LandCode"]
    assert len(users) >= 3


def test_the_criterion_rule_is_a_recursive_discriminated_union(spec):
    schemas = spec["components"]["schemas"]
    rule = schemas["CriterionRule"]
    assert rule["discriminator"]["propertyName"] == "kind"
    members = _refs(rule["oneOf"])
    assert {"RuleAnswer", "RuleAllOf", "RuleAnyOf", "RuleWantsSeal"} <= members
    assert schemas["RuleAllOf"]["properties"]["rules"]["items"] == {
        "$ref": "#/components/schemas/CriterionRule"}
    assert schemas["CriterionIn"]["properties"]["rule"]["$ref"] == "#/components/schemas/CriterionRule"
    assert schemas["RuleAnswer"]["properties"]["op"]["$ref"] == "#/components/schemas/AnswerOperator"


def test_the_result_shapes_are_recursive_and_named(spec):
    schemas = spec["components"]["schemas"]
    parts = schemas["CriterionResult"]["properties"]["parts"]
    assert "RuleResult" in _refs(parts)
    assert "RuleResult" in _refs(schemas["RuleResult"]["properties"]["parts"])
    assert "ScoreBreakdownRow" in _refs(schemas["ResponseRead"]["properties"]["score_breakdown"])
    assert "ScoreBreakdownRow" in _refs(schemas["ScorePreviewRead"]["properties"]["breakdown"])
    assert "BatchItem" in _refs(schemas["ResponseBatch"]["properties"]["items"])
    assert "ClientScope" in _refs(schemas["ClientCreate"]["properties"]["scopes"])
    assert "PatScope" in _refs(schemas["PatCreate"]["properties"]["scopes"])
    assert "AllianceStatus" in _refs(schemas["BatchItem"]["properties"]["reported_status"])


def test_name_shapes_keeps_descriptions_beside_the_reference():
    schema: dict[str, Any] = {"paths": {}, "components": {"schemas": {"Thing": {
        "type": "object", "properties": {
            "a": {"type": "string", "enum": ["y", "x"], "description": "first", "title": "A"},
            "b": {"anyOf": [{"type": "string", "enum": ["x", "y"]}, {"type": "null"}]},
        }}}}}
    name_shapes(schema, NamedShapes(enums={"Letter": (("x", "y"), "x or y")}, unions={}, models={}))
    props = schema["components"]["schemas"]["Thing"]["properties"]
    assert props["a"] == {"$ref": "#/components/schemas/Letter", "description": "first"}
    assert props["b"]["anyOf"][0] == {"$ref": "#/components/schemas/Letter"}
    assert schema["components"]["schemas"]["Letter"]["enum"] == ["x", "y"]


def test_every_named_enum_is_used(spec):
    used = _refs(spec["paths"]) | _refs(spec["components"]["schemas"])
    assert set(NAMED_SHAPES.enums) | set(NAMED_SHAPES.unions) <= used
