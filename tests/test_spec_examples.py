"""Every example in the spec is valid: each request example satisfies its schema in the spec and
the body model the server validates with, each response example its response schema, and each
request example, sent to the app holding the demo world (``buendnis seed-demo``), is taken as
valid input (never a 422 blaming the body, never a 5xx, and only statuses the operation
documents)."""

import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Connection
from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.models import ApiClient, Role, User
from app.awards.models import Award
from app.core.db import Db, get_db, make_engine
from app.core.openapi import api_routes
from app.cycles.models import AwardCycle, CycleStatus
from app.demo.seed import DEMO_ADMIN_EMAIL, seed_demo
from app.events.models import Event, EventDelegate, EventInvitation
from app.faq.models import FaqEntry
from app.inquiries.models import Inquiry
from app.main import create_app
from app.questionnaire.models import Question
from app.webhooks import urls as webhook_urls
from app.workgroups.models import Workgroup, WorkgroupResult
from tests import dbsetup, factories

SPEC: dict[str, Any] = create_app().openapi()
JSON = "application/json"


def _examples(media: dict[str, Any]) -> list[Any]:
    """The examples of a media type: its own, else its schema component's."""
    found = []
    if "example" in media:
        found.append(media["example"])
    found += [example.get("value") for example in media.get("examples", {}).values()]
    if found:
        return found
    schema = media.get("schema", {})
    ref = schema.get("$ref")
    component = SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema
    return list(component.get("examples", []))


def _request_examples() -> Iterator[tuple[str, str, int, Any]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get(JSON)
            if media:
                for index, example in enumerate(_examples(media)):
                    yield method, path, index, example


def _response_examples() -> Iterator[tuple[str, str, str, int, Any, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                for media_type, media in response.get("content", {}).items():
                    if "json" not in media_type:
                        continue
                    for index, example in enumerate(_examples(media)):
                        yield method, path, status, index, example, media.get("schema", {})


REQUEST_EXAMPLES = list(_request_examples())
RESPONSE_EXAMPLES = list(_response_examples())


def _validator(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator({**schema, "components": SPEC["components"]})


def _body_adapter(method: str, path: str) -> TypeAdapter[Any]:
    for route in api_routes(create_app()):
        if route.path_format == path and method.upper() in (route.methods or ()) \
                and isinstance(route.original_route, APIRoute):
            params = route.dependant.body_params
            assert len(params) == 1, (method, path)
            return TypeAdapter(params[0].field_info.annotation)
    raise AssertionError(f"no route for {method} {path}")


def test_the_spec_has_examples_to_check():
    assert len(REQUEST_EXAMPLES) > 40


@pytest.mark.parametrize(("method", "path", "index", "example"), REQUEST_EXAMPLES,
                         ids=[f"{m} {p} #{i}" for m, p, i, _ in REQUEST_EXAMPLES])
def test_a_request_example_satisfies_its_schema_and_model(method, path, index, example):
    schema = SPEC["paths"][path][method]["requestBody"]["content"][JSON]["schema"]
    errors = [error.message for error in _validator(schema).iter_errors(example)]
    assert not errors, errors
    _body_adapter(method, path).validate_python(example)


@pytest.mark.parametrize(("method", "path", "status", "index", "example", "schema"),
                         RESPONSE_EXAMPLES,
                         ids=[f"{m} {p} {s} #{i}" for m, p, s, i, _, _ in RESPONSE_EXAMPLES])
def test_a_response_example_satisfies_its_schema(method, path, status, index, example, schema):
    errors = [error.message for error in _validator(schema).iter_errors(example)]
    assert not errors, errors


# --- sent to the demo world ---------------------------------------------------------------------

def _first(session: Session, query: Any) -> Any:
    row = session.exec(query).first()
    assert row is not None, str(query)
    return row


def _path_values(session: Session) -> dict[str, str]:
    """A demo object for every path parameter: the cycle whose survey is open, and the rows
    of the demo world that belong to it where that matters."""
    cycle = _first(session, select(AwardCycle).where(AwardCycle.status == CycleStatus.survey_open))
    alliance = _first(session, select(Alliance).order_by(col(Alliance.id)))
    event = _first(session, select(Event).order_by(col(Event.id)))
    delegate = _first(session, select(EventDelegate).where(EventDelegate.event_id == event.id))
    workgroup = _first(session, select(Workgroup).order_by(col(Workgroup.id)))
    result = session.exec(select(WorkgroupResult)).first()
    client = session.exec(select(ApiClient)).first() or factories.make_client(session)
    # The demo has no webhook endpoint (it would call out): one with a delivery for the examples.
    endpoint, delivery = factories.make_webhook_endpoint(session)
    return {
        "endpoint_id": str(endpoint.id), "delivery_id": str(delivery.id),
        "cycle": cycle.slug, "alliance_id": str(alliance.id), "event_id": str(event.id),
        "delegate_id": str(delegate.id), "workgroup_id": str(workgroup.id),
        "result_id": str(result.id if result else 1),
        "user_id": str(_first(session, select(User).where(User.role == Role.alliance_user)).id),
        "client_pk": str(client.id),
        "award_id": str(_first(session, select(Award)).id),
        "inquiry_id": str(_first(session, select(Inquiry)).id),
        "entry_id": str(_first(session, select(FaqEntry)).id),
        "key": _first(session, select(Question).where(Question.cycle_id == cycle.id)).key,
    }


@dataclass
class DemoWorld:
    client: TestClient
    session: Session
    connection: Connection
    values: dict[str, str]
    admin: dict[str, str]


@pytest.fixture
def demo(database_url: str) -> Iterator[DemoWorld]:
    """``buendnis migrate`` and ``seed-demo`` on a fresh database, as an installation has them
    (ids from 1, so the examples' ids name demo rows on both database lanes); the app talks to
    it inside one transaction that is rolled back at the end. ``database_url`` brings the
    lane's checks (an unreachable PostgreSQL skips or fails the run as everywhere)."""
    from app.main import app as application

    with dbsetup.fresh_database() as url:
        dbsetup.upgrade(url)
        engine = make_engine(url)
        connection = engine.connect()
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)

        async def override_db() -> AsyncIterator[Db]:
            request_session = Session(bind=connection, join_transaction_mode="create_savepoint",
                                      expire_on_commit=False)
            try:
                yield Db(request_session)
            finally:
                request_session.close()

        application.dependency_overrides[get_db] = override_db
        try:
            seed_demo(session)
            admin = _first(session, select(User).where(User.email == DEMO_ADMIN_EMAIL))
            with TestClient(application, base_url="http://testserver") as client:
                yield DemoWorld(client, session, connection, _path_values(session),
                                factories.user_headers(admin))
        finally:
            application.dependency_overrides.clear()
            session.close()
            transaction.rollback()
            connection.close()
            engine.dispose()


# Whom an example is written for, where not the Servicebüro (operation, example index): an
# alliance user's inquiry and the public form's, an alliance registering its own delegate (the
# Servicebüro must name the alliance).
ANONYMOUS = {("post", "/api/v1/inquiries", 1)}
ALLIANCE_USER = {("post", "/api/v1/inquiries", 0), ("post", "/api/v1/events/{event_id}/delegates", 0)}
# Operations whose example is for another cycle than the open one: a change of the survey
# window belongs to the cycle being prepared.
DRAFT_CYCLE = {("patch", "/api/v1/cycles/{cycle}")}


def _alliance_user_invited_to(session: Session, event_id: str) -> dict[str, str]:
    invited = select(EventInvitation.alliance_id).where(EventInvitation.event_id == int(event_id))
    user = _first(session, select(User).where(col(User.alliance_id).in_(invited),
                                              User.role == Role.alliance_user))
    return factories.user_headers(user)


# Examples the demo world answers with a documented refusal, because of the state it is in
# rather than the example: (operation, example index) -> the status and why.
STATE_REFUSALS: dict[tuple[str, str, int], tuple[int, str]] = {
    ("post", "/api/v1/cycles", 0): (409, "the demo already holds cycle 2025/26"),
    ("post", "/api/v1/cycles/{cycle}/questions", 0): (409, "the open cycle's questionnaire is frozen"),
    ("put", "/api/v1/cycles/{cycle}/responses/{alliance_id}", 0): (409, "already submitted"),
    ("post", "/api/v1/cycles/{cycle}/evaluation", 0): (409, "the survey is still open"),
    ("post", "/api/v1/cycles/{cycle}/awards:confirm", 0): (409, "not evaluated yet"),
    ("post", "/api/v1/cycles/{cycle}/awards:confirm", 1): (409, "not evaluated yet"),
    ("post", "/api/v1/cycles/{cycle}/awards", 0): (409, "not evaluated yet"),
    ("put", "/api/v1/events/{event_id}/delegates/{delegate_id}/attendance", 0):
        (409, "the event has not taken place"),
    ("post", "/api/v1/events/{event_id}/attendance", 0): (409, "the event has not taken place"),
    ("post", "/api/v1/workgroups/{workgroup_id}/members", 0): (409, "already a member"),
    ("post", "/api/v1/workgroups/{workgroup_id}/members/{alliance_id}/accept", 0):
        (409, "no pending request"),
    ("post", "/api/v1/workgroups/{workgroup_id}/members/{alliance_id}/decline", 0):
        (409, "no pending request"),
    ("post", "/api/v1/workgroups/{workgroup_id}/membership", 0): (403, "for alliance users"),
    ("patch", "/api/v1/workgroups/{workgroup_id}/membership", 0): (403, "for alliance users"),
}


def _body_faults(response: Any) -> list[Any]:
    if response.status_code != 422:
        return []
    return [error["loc"] for error in response.json().get("errors") or []
            if error["loc"][:1] == ["body"]]


def test_every_request_example_is_taken_by_the_demo_app(demo: DemoWorld, monkeypatch):
    client, session, connection, values, admin = (demo.client, demo.session, demo.connection,
                                                   demo.values, demo.admin)
    # The webhook example's host is checked by resolving it; here without a network, as a
    # public address.
    monkeypatch.setattr(webhook_urls.socket, "getaddrinfo", lambda host, port, *args, **kwargs: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))])
    draft = _first(session, select(AwardCycle).where(AwardCycle.status == CycleStatus.draft))
    alliance_user = _alliance_user_invited_to(session, values["event_id"])
    wrong: dict[str, Any] = {}
    for method, path, index, example in REQUEST_EXAMPLES:
        operation = (method, path)
        url = path.format(**{**values, **({"cycle": draft.slug} if operation in DRAFT_CYCLE else {})})
        headers = {} if (*operation, index) in ANONYMOUS \
            else alliance_user if (*operation, index) in ALLIANCE_USER else admin
        savepoint = connection.begin_nested()
        try:
            response = client.request(method.upper(), url, headers=headers, json=example)
        finally:
            savepoint.rollback()
        documented = set(SPEC["paths"][path][method]["responses"])
        expected = STATE_REFUSALS.get((method, path, index), (None, ""))[0]
        fine = (200 <= response.status_code < 300) if expected is None \
            else response.status_code == expected
        if not fine or str(response.status_code) not in documented or _body_faults(response):
            wrong[f"{method.upper()} {path} #{index}"] = (
                response.status_code, expected, _body_faults(response), response.text[:300])
    assert not wrong, json.dumps(wrong, indent=1, ensure_ascii=False)
