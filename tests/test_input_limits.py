"""OWASP API4: every string a client can send has a length cap, every list a size cap.

Walks the request bodies and parameters of the OpenAPI spec, so new endpoints are covered.
"""

from typing import Any

from app.main import create_app

BOUNDED_FORMATS = {"date", "date-time", "email", "binary", "uuid"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _unbounded(spec: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    ref = schema.get("$ref")
    if ref:
        if ref in seen:
            return []
        seen = seen | {ref}
    schema = _resolve(spec, schema)
    problems: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            problems += _unbounded(spec, part, where, seen)
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema and "const" not in schema \
            and schema.get("format") not in BOUNDED_FORMATS and "maxLength" not in schema \
            and "contentMediaType" not in schema:  # uploads: capped by the body size limit
        problems.append(where)
    if kind == "array":
        if "maxItems" not in schema:
            problems.append(f"{where}[]")
        problems += _unbounded(spec, schema.get("items", {}), f"{where}[]", seen)
    if kind == "object" or "properties" in schema:
        for name, prop in schema.get("properties", {}).items():
            problems += _unbounded(spec, prop, f"{where}.{name}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            problems += _unbounded(spec, extra, f"{where}.*", seen)
    return problems


def test_every_input_string_and_list_is_capped():
    spec = create_app().openapi()
    problems: list[str] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                problems += _unbounded(spec, parameter.get("schema", {}),
                                       f"{name} {parameter['in']}:{parameter['name']}", set())
            for media in operation.get("requestBody", {}).get("content", {}).values():
                problems += _unbounded(spec, media.get("schema", {}), f"{name} body", set())
    assert not problems, "uncapped inputs (add max_length / max_items):\n" + "\n".join(problems)
