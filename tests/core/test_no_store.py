"""Responses with personal data are not cached (issue 11, finding 7): every route whose
response schema holds a personal-data field, and every export, audit or personal-data route,
declares ``no_store`` (or lies under the auth prefixes), and the header really comes back,
streamed exports included. A new route that forgets it fails the first test."""

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from app.core.limits import _NO_STORE_PREFIXES, no_store
from app.main import app as application
from tests import factories
from tests.utils.routes import walk_routes

PERSONAL_FIELDS = {"email", "phone", "full_name", "requester_name", "requester_email",
                   "requester_phone", "dietary_needs", "contact_emails", "contacts", "recipient",
                   "name_of_person", "author_name"}
PRIVATE_PATH_PARTS = ("export", "personal-data", "/audit-events", ":erase")


def _field_names(annotation: Any, seen: set[type]) -> set[str]:
    names: set[str] = set()
    for argument in typing.get_args(annotation):
        names |= _field_names(argument, seen)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
        seen.add(annotation)
        for name, info in annotation.model_fields.items():
            names.add(name)
            names |= _field_names(info.annotation, seen)
    return names


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _carries_personal_data(route: Any) -> bool:
    fields = _field_names(route.response_model, set()) if route.response_model else set()
    return bool(fields & PERSONAL_FIELDS) or any(part in route.path for part in PRIVATE_PATH_PARTS)


def test_every_route_with_personal_data_declares_no_store() -> None:
    checked, missing = 0, []
    for route in walk_routes(list(application.routes)):
        if not route.path.startswith("/api/v1") or not _carries_personal_data(route):
            continue
        checked += 1
        if not route.path.startswith(_NO_STORE_PREFIXES) and no_store not in _calls(route.dependant):
            missing.append(f"{sorted(route.methods)} {route.path}")
    assert checked >= 30, "the walk found too few routes: is it still walking the app?"
    assert missing == [], f"add dependencies=[NoStore] (app/core/limits.py) to: {missing}"


def test_public_pages_stay_cacheable(client) -> None:
    reply = client.get("/api/v1/public/seals")
    assert reply.status_code == 200
    assert "no-store" not in reply.headers.get("cache-control", "")


def test_alliance_with_contacts_is_not_stored(client, admin, alliance) -> None:
    for path in (f"/api/v1/alliances/{alliance.id}", "/api/v1/alliances",
                 f"/api/v1/alliances/{alliance.id}/personal-data"):
        reply = client.get(path, headers=admin)
        assert reply.status_code == 200, (path, reply.text)
        assert reply.headers["cache-control"] == "no-store", path


def test_inquiries_audit_and_streamed_exports_are_not_stored(client, admin, session) -> None:
    cycle = factories.make_cycle(session)
    for path in ("/api/v1/inquiries", "/api/v1/audit-events", "/api/v1/audit-events/export.csv",
                 f"/api/v1/cycles/{cycle.id}/responses/export.csv",
                 f"/api/v1/cycles/{cycle.id}/notices"):
        reply = client.get(path, headers=admin)
        assert reply.status_code == 200, (path, reply.text)
        assert reply.headers["cache-control"] == "no-store", path


def test_an_anonymous_inquiry_receipt_is_not_stored(client) -> None:
    reply = client.post("/api/v1/inquiries", json={
        "category": "missing_notice", "subject": "Keine Einladung", "message": "Bitte prüfen.",
        "requester_name": "Erika Muster", "requester_email": "erika@example.org"})
    assert reply.status_code == 201, reply.text
    assert reply.headers["cache-control"] == "no-store"
