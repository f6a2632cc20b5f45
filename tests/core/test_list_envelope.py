"""One list envelope everywhere: every listing answers ``{items, next_cursor, total}``, so a
generated client pages through all of them with the same code."""

from typing import Any

from app.main import create_app

ENVELOPE = {"items", "next_cursor", "total"}
# Not listings though named so: the questionnaire is one document (the cycle's questions in their
# order, with the scoring metadata), replaced as a whole by PUT.
DOCUMENTS = {"questions-list"}


def _json_200(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def _gets(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(path, operation, schema) for path, item in spec["paths"].items()
            for method, operation in item.items()
            if method == "get" and (schema := _json_200(operation)) is not None]


def test_no_get_returns_a_bare_array():
    spec = create_app().openapi()
    bare = [path for path, _, schema in _gets(spec) if _resolve(spec, schema).get("type") == "array"]
    assert not bare, f"these GETs return a bare array instead of the list envelope: {bare}"


def test_every_listing_uses_the_one_envelope():
    spec = create_app().openapi()
    listings = [(path, operation, _resolve(spec, schema)) for path, operation, schema in _gets(spec)
                if operation["operationId"].endswith("-list")
                and operation["operationId"] not in DOCUMENTS]
    assert len(listings) > 20  # the walk found them
    for path, _, schema in listings:
        assert set(schema.get("properties", {})) == ENVELOPE, path
        assert set(schema.get("required", [])) == ENVELOPE, path
        assert schema["properties"]["items"]["type"] == "array", path


def test_an_envelope_is_a_listing():
    """Anything shaped like the envelope is the one envelope, named like one (``…List``)."""
    spec = create_app().openapi()
    found = 0
    for path, _, schema in _gets(spec):
        if "items" in _resolve(spec, schema).get("properties", {}):
            found += 1
            assert set(_resolve(spec, schema)["properties"]) == ENVELOPE, path
            assert schema["$ref"].endswith("List"), path
    assert found > 20


def test_the_formerly_bare_lists_answer_the_envelope(client, admin):
    topics = client.get("/api/v1/public/future-topics")
    assert topics.status_code == 200, topics.text
    assert set(topics.json()) == ENVELOPE
    assert [topic["number"] for topic in topics.json()["items"]] == [1, 2, 3, 4]
    assert topics.json()["next_cursor"] is None

    created = client.post("/api/v1/me/tokens", headers=admin, json={"name": "Export", "scopes": ["api:read"]})
    assert created.status_code == 201, created.text
    tokens = client.get("/api/v1/me/tokens", headers=admin)
    assert tokens.status_code == 200, tokens.text
    assert set(tokens.json()) == ENVELOPE
    assert [token["id"] for token in tokens.json()["items"]] == [created.json()["id"]]
