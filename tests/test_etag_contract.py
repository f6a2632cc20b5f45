"""ETag and 304 in the spec are what the app does: every GET of the route table is called in a
seeded world (the authorization matrix's) by each kind of caller; a reply with an ETag must be
documented (ETag on 200, 304, If-None-Match) and revalidate to 304, and a documented ETag must be
sent. A route that sets an ETag without the ``SetETag`` dependency fails here, and a write sets
one only through that dependency too (checked on the source)."""

import ast
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from tests import test_authorization_matrix as matrix

APP_DIR = Path(__file__).resolve().parent.parent / "app"
CALLERS = ("admin", "own", "client", "other", "anonymous")
GETS = sorted(path for method, path in matrix.POLICY if method == "GET")
world = matrix.world  # the seeded world of the authorization matrix, as a fixture here


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    from app.main import create_app

    return create_app().openapi()


def documents_etag(operation: dict[str, Any]) -> bool:
    responses = operation.get("responses", {})
    ok = responses.get("200", {})
    return ("304" in responses and "ETag" in ok.get("headers", {})
            and any(p.get("name") == "If-None-Match" for p in operation.get("parameters", [])))


def etag_findings(client: TestClient, spec: dict[str, Any], paths: list[str],
                  params: dict[str, str], headers: dict[str, dict[str, str]]) -> list[str]:
    """What the spec says about ETags on each GET against what the app sends."""
    findings = []
    for path in paths:
        operation = spec["paths"][path]["get"]
        url = path.format(**params)
        sent = answered = False
        for caller in CALLERS:
            reply = client.get(url, headers=headers[caller])
            if reply.status_code != 200:
                continue
            answered = True
            etag = reply.headers.get("etag")
            if etag is None:
                continue
            sent = True
            again = client.get(url, headers={**headers[caller], "If-None-Match": etag})
            if again.status_code != 304:
                findings.append(f"GET {path}: its own ETag revalidated to {again.status_code}")
        if sent and not documents_etag(operation):
            findings.append(f"GET {path} sends an ETag the spec does not document (ETag on 200, "
                            "304, If-None-Match): set it through the SetETag dependency")
        elif documents_etag(operation) and not sent:
            findings.append(f"GET {path} documents an ETag but sent none" if answered else
                            f"GET {path} documents an ETag and no caller got a 200 to prove it")
    return findings


def test_every_get_documents_the_etag_it_sends_and_no_other(client, spec, world: matrix.World):
    assert len(GETS) > 40, "the route table could not be read"
    documented = [path for path in GETS if documents_etag(spec["paths"][path]["get"])]
    assert len(documented) >= 15, documented
    assert etag_findings(client, spec, GETS, world.params, world.headers) == []


def test_a_route_that_sets_an_etag_by_hand_is_found(session, app: FastAPI):
    """The check above fails for a route that forgets the dependency."""
    @app.get("/api/v1/forgotten-etag", include_in_schema=True)
    async def forgotten(response: Response) -> dict[str, str]:
        response.headers["ETag"] = '"forgotten-1-v1"'
        return {}

    try:
        app.openapi_schema = None
        with TestClient(app) as client:
            findings = etag_findings(client, app.openapi(), ["/api/v1/forgotten-etag"], {},
                                     {caller: {} for caller in CALLERS})
    finally:
        app.router.routes.pop()
        app.openapi_schema = None
    assert findings == ["GET /api/v1/forgotten-etag sends an ETag the spec does not document "
                        "(ETag on 200, 304, If-None-Match): set it through the SetETag "
                        "dependency"]


def _etag_writes(tree: ast.AST) -> list[int]:
    """Lines writing an ETag header: ``x.headers["ETag"] = …`` or ``headers={"ETag": …}``
    (a reply's headers; the spec's own table of header descriptions is no write)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            key = node.slice
            if isinstance(key, ast.Constant) and str(key.value).lower() == "etag":
                lines.append(node.lineno)
        if (isinstance(node, ast.keyword) and node.arg == "headers"
                and isinstance(node.value, ast.Dict)):
            lines += [k.lineno for k in node.value.keys if isinstance(k, ast.Constant)
                      and str(k.value).lower() == "etag"]
    return lines


def test_only_the_set_etag_dependency_writes_an_etag():
    writers = {}
    for file in APP_DIR.rglob("*.py"):
        found = _etag_writes(ast.parse(file.read_text(encoding="utf-8")))
        if found:
            writers[str(file.relative_to(APP_DIR))] = found
    assert list(writers) == ["core/etags.py"], writers
    assert _etag_writes(ast.parse('r.headers["ETag"] = t\nResponse(headers={"etag": t})')) == [1, 2]


def test_writes_document_the_etag_they_send(client, spec, admin):
    """A 201 documents its ETag beside its Location (POST /faq did not)."""
    created = client.post("/api/v1/faq", headers=admin, json={
        "category": "survey", "question": "Wie lange dauert die Umfrage?",
        "answer": "Etwa eine halbe Stunde."})
    assert created.status_code == 201, created.text
    assert "etag" in created.headers and "location" in created.headers
    headers = spec["paths"]["/api/v1/faq"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location"} <= headers.keys()


def test_an_etag_never_carries_a_one_time_secret(client, admin):
    created = client.post("/api/v1/clients", headers=admin,
                          json={"name": "Partner", "scopes": ["alliances:read"]})
    assert created.status_code == 201, created.text
    read = client.get(f"/api/v1/clients/{created.json()['id']}", headers=admin)
    # The reply without its secret is the read: the same digest.
    assert created.headers["etag"] == read.headers["etag"]
