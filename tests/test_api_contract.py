"""The contract in the spec, checked against the live route table and the running app, so a
route added later is covered without a line here."""

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import AppError, Problem
from app.core.openapi import api_routes
from tests import factories
from tests.utils.problems import assert_problem, error_locs

APP_DIR = Path(__file__).resolve().parent.parent / "app"
API = "/api/v1"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    from app.main import create_app

    return create_app().openapi()


def _operations(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


# --- security ------------------------------------------------------------------------------

def test_every_route_of_the_live_table_is_in_the_spec(app, spec):
    for route in api_routes(app):
        if route.include_in_schema:
            for method in route.methods:
                assert method.lower() in spec["paths"][route.path_format], (method, route.path_format)


def test_token_public_and_invitation_operations_need_no_token(spec):
    open_ops = {op["operationId"] for _, _, op in _operations(spec) if op["security"] == []}
    assert {"auth-token", "auth-refresh", "auth-accept-invitation"} <= open_ops
    for path, _, operation in _operations(spec):
        if path.startswith(f"{API}/public/") or "public" in operation.get("tags", []):
            assert operation["security"] == [], path


def test_protected_operations_name_the_client_scopes(spec):
    by_id = {op["operationId"]: op["security"] for _, _, op in _operations(spec)}
    assert by_id["alliances-list"] == [{"OAuth2": ["alliances:read"]}]
    assert by_id["users-list"] == [{"OAuth2": []}]
    declared = set(spec["components"]["securitySchemes"]["OAuth2"]["flows"]
                   ["clientCredentials"]["scopes"])
    for _, _, operation in _operations(spec):
        for requirement in operation["security"]:
            assert set(requirement) <= {"OAuth2"}
            assert set(requirement.get("OAuth2", [])) <= declared


def test_optional_token_says_so(spec):
    optional = [op for _, _, op in _operations(spec) if {} in op["security"] and len(op["security"]) > 1]
    assert optional, "the inquiry form takes a token or none"


def test_the_spec_security_is_what_the_app_enforces(client, spec, limits):
    """Anonymous calls: an operation that needs a token answers 401 (auth is checked before
    the body and the parameters); one that needs none never does."""
    limits("requests_per_minute_anonymous", 100_000)  # one call per operation, however many
    for path, method, operation in _operations(spec):
        if not path.startswith(API):
            continue
        response = client.request(method.upper(), _filled(path))
        if operation["security"] and {} not in operation["security"]:
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code not in (401, 403), (method, path, response.text)


# --- responses and headers ----------------------------------------------------------------

def test_every_operation_documents_503_and_the_api_429(spec):
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        assert "503" in responses, (method, path)
        assert "Retry-After" in responses["503"]["headers"]
        if path.startswith(API):
            assert "429" in responses, (method, path)
            assert "Retry-After" in responses["429"]["headers"], (method, path)
            assert "422" in responses, (method, path)  # unknown query parameters


def test_every_operation_with_a_body_documents_413(spec):
    for path, method, operation in _operations(spec):
        if "requestBody" in operation:
            assert "413" in operation["responses"], (method, path)


def test_every_response_declares_the_request_id_and_api_ones_the_rate_limit(spec):
    headers = spec["components"]["headers"]
    for path, method, operation in _operations(spec):
        assert operation.get("description"), (method, path)
        for status, response in operation["responses"].items():
            names = set(response.get("headers", {}))
            assert "X-Request-ID" in names, (method, path, status)
            if path.startswith(API):
                assert {"RateLimit", "RateLimit-Policy"} <= names, (method, path, status)
            for name in names:
                assert name in headers


def test_particular_headers_are_declared_where_they_are_sent(spec):
    ops = {op["operationId"]: op for _, _, op in _operations(spec)}
    assert "ETag" in ops["users-get"]["responses"]["200"]["headers"]
    assert "304" in ops["users-get"]["responses"]
    assert "If-None-Match" in [p["name"] for p in ops["users-get"]["parameters"]]
    assert "Link" in ops["alliances-list"]["responses"]["200"]["headers"]
    assert "Location" in ops["users-create"]["responses"]["201"]["headers"]
    replayed = [op for op in ops.values()
                if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))]
    assert replayed
    for op in replayed:
        success = [r for s, r in op["responses"].items() if s.startswith("2")]
        assert all("Idempotent-Replayed" in r["headers"] for r in success), op["operationId"]
    files = [op for op in ops.values() for s, r in op["responses"].items()
             if s.startswith("2")
             and set(r.get("content", {})) - {"application/json", "text/html"}]
    assert files
    for op in files:
        assert "Content-Disposition" in op["responses"]["200"]["headers"], op["operationId"]
    problems = [r for op in ops.values() for r in op["responses"].values()
                if "application/problem+json" in r.get("content", {})]
    assert problems and all("Content-Language" in r["headers"] for r in problems)


def test_servers_and_license_are_declared(spec):
    assert spec["servers"]
    assert spec["info"]["license"]["name"]


# --- problem codes and members -------------------------------------------------------------

def _codes_raised_in_app() -> set[str]:
    codes: set[str] = set()
    for file in APP_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign):  # class attributes: code = … / code, title = …
                for target in node.targets:
                    names = target.elts if isinstance(target, ast.Tuple) else [target]
                    values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                    for name, value in zip(names, values, strict=False):
                        if isinstance(name, ast.Name) and name.id == "code" and isinstance(
                                value, ast.Constant):
                            codes.add(value.value)
            if isinstance(node, ast.keyword) and node.arg == "code":
                codes.update(c.value for c in ast.walk(node.value)
                             if isinstance(c, ast.Constant) and isinstance(c.value, str))
    from app.core.errors import STATUS_CODES

    codes |= {code for code, _ in STATUS_CODES.values()} | {"http_error"}
    return codes


def test_problem_code_enum_is_every_code_the_code_base_raises(spec):
    enum = set(spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])
    assert enum == _codes_raised_in_app()


def _app_error_names() -> set[str]:
    def walk(cls: type) -> set[str]:
        return {cls.__name__} | {name for sub in cls.__subclasses__() for name in walk(sub)}

    return walk(AppError)


def test_problem_extension_members_are_declared_in_one_style():
    declared = set(Problem.model_fields)
    errors = _app_error_names()
    used: set[str] = set()
    for file in APP_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in errors:
                    used |= {k.arg for k in node.keywords if k.arg} - {"errors", "headers", "code"}
    assert used, "the scan found the extension members"
    assert used <= declared, used - declared
    for member in declared:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", member), member


def test_batch_item_problems_use_the_field_error_schema(spec):
    item = spec["components"]["schemas"]["ItemProblem"]["properties"]["errors"]
    assert item["items"] == {"$ref": "#/components/schemas/FieldError"}


# --- behaviour: 304, unknown query parameters, RateLimit headers ----------------------------

def test_if_none_match_answers_304_while_the_etag_matches(client, admin, admin_account):
    url = f"{API}/users/{admin_account.id}"
    first = client.get(url, headers=admin)
    etag = first.headers["etag"]
    same = client.get(url, headers={**admin, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    assert "x-request-id" in same.headers
    weak_list = client.get(url, headers={**admin, "If-None-Match": f'"other", W/{etag}'})
    assert weak_list.status_code == 304
    changed = client.get(url, headers={**admin, "If-None-Match": '"user-1-v999"'})
    assert changed.status_code == 200
    assert changed.json()["id"] == admin_account.id


def test_if_none_match_on_a_cycle_and_never_on_a_write(client, session, admin):
    cycle = factories.make_cycle(session)
    url = f"{API}/cycles/{cycle.slug}"
    etag = client.get(url, headers=admin).headers["etag"]
    assert client.get(url, headers={**admin, "If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={**admin, "If-None-Match": "*"}).status_code == 304
    patched = client.patch(url, headers={**admin, "If-None-Match": etag}, json={})
    assert patched.status_code != 304


@pytest.mark.parametrize("url", [
    f"{API}/alliances?stauts=active",
    f"{API}/users?limit=5&page=2",
    f"{API}/me?debug=1",
    f"{API}/public/alliances?q=Hamm&foo=bar",
])
def test_unknown_query_parameters_are_refused_by_name(client, admin, url):
    body = assert_problem(client.get(url, headers=admin), 422, "validation_error")
    unknown = url.rsplit("&", 1)[-1].rsplit("?", 1)[-1].split("=")[0]
    assert error_locs(body) == [["query", unknown]]
    assert unknown in body["detail"]


def test_pagination_and_filters_are_still_accepted(client, admin, alliance):
    response = client.get(f"{API}/alliances", headers=admin,
                          params={"limit": 1, "include_total": "true", "sort": "-name",
                                  "q": alliance.name[:4]})
    assert response.status_code == 200, response.text
    cursor = response.json()["next_cursor"]
    if cursor:
        assert client.get(f"{API}/alliances", headers=admin,
                          params={"limit": 1, "cursor": cursor}).status_code == 200


def test_rate_limit_headers_are_sent(client, admin, limits):
    limits("requests_per_minute_user", 3)
    first = client.get(f"{API}/me", headers=admin)
    assert first.headers["ratelimit-policy"] == '"default";q=3;w=60'
    assert re.fullmatch(r'"default";r=2;t=\d+', first.headers["ratelimit"])
    client.get(f"{API}/me", headers=admin)
    client.get(f"{API}/me", headers=admin)
    refused = client.get(f"{API}/me", headers=admin)
    assert_problem(refused, 429, "too_many_requests")
    assert re.fullmatch(r'"default";r=0;t=\d+', refused.headers["ratelimit"])
    assert int(refused.headers["retry-after"]) >= 1


def test_cors_exposes_the_documented_headers(client):
    response = client.get(f"{API}/public/alliances", headers={"Origin": "http://localhost:5173"})
    exposed = {name.strip().lower()
               for name in response.headers["access-control-expose-headers"].split(",")}
    assert {"content-disposition", "idempotent-replayed", "etag", "link", "location",
            "retry-after", "x-request-id", "ratelimit", "ratelimit-policy"} <= exposed
