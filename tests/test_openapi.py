"""The committed spec is what the app serves, and it follows the house rules."""

import re
from pathlib import Path

from app.cli import render_openapi
from app.main import create_app

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_spec_is_current():
    assert SPEC.exists(), "openapi/openapi.json missing: run `buendnis openapi`"
    assert SPEC.read_text(encoding="utf-8") == render_openapi(), (
        "openapi/openapi.json is stale: run `.venv/bin/buendnis openapi` and commit it"
    )


def test_operation_ids_are_readable_and_unique():
    spec = create_app().openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", operation_id), operation_id


def test_schema_names_have_no_input_output_split():
    names = create_app().openapi()["components"]["schemas"]
    assert not [n for n in names if n.endswith(("-Input", "-Output"))]
    assert not [n for n in names if n.startswith(("Body_", "Page_"))], "name these schemas"


def test_every_operation_documents_problem_responses_and_has_a_tag():
    spec = create_app().openapi()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op.get("tags"), f"{method} {path} has no tag"
            errors = {code: r for code, r in op["responses"].items() if code.startswith(("4", "5"))}
            for code, response in errors.items():
                assert "application/problem+json" in response.get("content", {}), (method, path, code)
            if op.get("security") or op.get("parameters") or op.get("requestBody"):
                assert errors, f"{method} {path} documents no error response"


def test_security_schemes_offer_both_grants():
    flows = create_app().openapi()["components"]["securitySchemes"]["OAuth2"]["flows"]
    assert set(flows) == {"password", "clientCredentials"}
