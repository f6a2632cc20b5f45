"""SQL statements per request do not grow with the data or the page size.

Every list and detail GET of the route table (walked, so a new endpoint is measured from its
first day) is called on a small world with small pages, then again after every kind of row
was multiplied (alliances with partners and contacts, responses and their history,
evaluations, awards, events and delegates, inquiries and messages, FAQ entries, workgroups
with members and results, users, clients, tokens, audit events) with large pages. The
statements counted by SQLAlchemy's ``before_cursor_execute`` must not rise: a count that
grows is an N+1 (a query per row) and fails the test naming the route.

File exports (CSV, XLSX, PDF, iCalendar) stream in batches by design and are not measured
here; /metrics reads no database.
"""

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from app.alliances.models import AllianceContact, AlliancePartner
from app.auth.models import Role
from app.evaluation.models import Evaluation, EvaluationRun
from app.surveys.models import ResponseRevision
from app.webhooks.models import WebhookDelivery
from app.workgroups.models import MemberStatus, WorkgroupMember
from tests import factories
from tests.utils.routes import walk_routes

FILE_SUFFIXES = (".csv", ".xlsx", ".pdf", ".ics")
NOT_MEASURED = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics"}
SMALL_PAGE, LARGE_PAGE = 2, 50
GROWTH = 12  # new rows of each kind between the two measurements


def measured_routes(app: FastAPI) -> list[str]:
    paths = {
        route.path for route in walk_routes(list(app.routes))
        if "GET" in (route.methods or ()) and route.path not in NOT_MEASURED
        and not route.path.endswith(FILE_SUFFIXES)
    }
    return sorted(paths)


def paged(app: FastAPI) -> set[str]:
    """Paths whose GET takes a ``limit`` query parameter (from the spec)."""
    spec = app.openapi()
    return {
        path for path, operations in spec["paths"].items()
        if any(p.get("name") == "limit" and p.get("in") == "query"
               for p in operations.get("get", {}).get("parameters", []))
    }


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    params: dict[str, str]
    objects: dict[str, Any] = field(default_factory=dict)


def build(session: Session) -> World:
    alliance = factories.make_alliance(session)
    own_user = factories.make_user(session, alliance=alliance)
    admin = factories.make_user(session, Role.admin)
    client = factories.make_client(session, scopes=("alliances:read", "surveys:read", "surveys:write"))
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    response = factories.make_scored_response(session, cycle, alliance, entered_by=f"client:{client.id}",
                                              mode="partner_import")
    session.add(ResponseRevision(response_id=response.id, revision=1, action="import",
                                 answers=response.answers, mode=response.mode, actor=f"client:{client.id}"))
    factories.make_criteria(session, cycle)
    run = EvaluationRun(cycle_id=cycle.id, started_by=f"user:{admin.id}", evaluated_count=1, passed_count=1)
    session.add(run)
    session.flush()
    session.add(Evaluation(run_id=run.id, cycle_id=cycle.id, alliance_id=alliance.id,
                           response_id=response.id, activity_score=response.activity_score or 0,
                           meets_criteria=True, wants_future_project=True,
                           invited_to_future_project=True))
    session.commit()
    # A cycle before the world's, so rules that look at "the previous cycle" (Projekt Zukunft's
    # seal alliances) take the same branch before and after the growth adds more cycles.
    suffix = secrets.token_hex(3)
    awarded = factories.make_cycle(session, status="awarded", key=f"1999/00-{suffix}",
                                   slug=f"1999-00-{suffix}")
    award = factories.make_award(session, awarded, alliance)
    token = factories.make_pat(session, admin)
    inquiry = factories.make_inquiry(session, alliance)
    event_ = factories.make_event(session, invited=[alliance])
    delegate = factories.make_delegate(session, event_, alliance)
    faq_entry = factories.make_faq_entry(session)
    _feed, feed_token = factories.make_calendar_feed(session, alliance)
    workgroup = factories.make_workgroup(session, cycle, members=[alliance])
    result = factories.make_workgroup_result(session, workgroup, status="published")
    endpoint, delivery = factories.make_webhook_endpoint(session, client)
    return World(
        headers={
            "admin": factories.user_headers(admin),
            "own": factories.user_headers(own_user),
            "client": factories.client_headers(client),
            "anonymous": {},
        },
        params={
            "alliance_id": str(alliance.id), "cycle": cycle.slug, "user_id": str(own_user.id),
            "client_pk": str(client.id), "token_id": str(token.id), "key": "partner_meetings",
            "run_id": str(run.id), "award_id": str(award.id), "code": award.verification_code,
            "inquiry_id": str(inquiry.id), "event_id": str(event_.id), "delegate_id": str(delegate.id),
            "entry_id": str(faq_entry.id), "feed_token": feed_token,
            "workgroup_id": str(workgroup.id), "result_id": str(result.id),
            "endpoint_id": str(endpoint.id), "delivery_id": str(delivery.id),
        },
        objects={"alliance": alliance, "admin": admin, "cycle": cycle, "awarded": awarded,
                 "run": run, "response": response, "event": event_, "inquiry": inquiry,
                 "workgroup": workgroup, "client": client, "endpoint": endpoint},
    )


def grow(session: Session, world: World, n: int) -> None:
    """``n`` more rows of every kind, many of them attached to the objects the detail
    routes show (the alliance's partners, the response's history, the event's delegates …)."""
    from app.inquiries.models import InquiryMessage, MessageAuthor

    o = world.objects
    cycle, run = o["cycle"], o["run"]
    for i in range(n):
        alliance = factories.make_alliance(session)
        factories.make_user(session, alliance=alliance)
        response = factories.make_scored_response(session, cycle, alliance)
        session.add(Evaluation(run_id=run.id, cycle_id=cycle.id, alliance_id=alliance.id,
                               response_id=response.id, activity_score=response.activity_score or 0,
                               meets_criteria=i % 2 == 0, wants_future_project=True,
                               invited_to_future_project=i % 2 == 0))
        session.add(WorkgroupMember(workgroup_id=o["workgroup"].id, alliance_id=alliance.id,
                                    status=MemberStatus.active, basis="manual", reason="Mitglied"))
        session.add(AlliancePartner(alliance_id=o["alliance"].id, name=f"Partner {i}", sector="business"))
        session.add(AllianceContact(alliance_id=o["alliance"].id, name=f"Person {i}",
                                    email=f"person{i}@example.org"))
        session.add(ResponseRevision(response_id=o["response"].id, revision=i + 2, action="save",
                                     answers={}, mode=o["response"].mode, actor="user:0"))
        session.add(InquiryMessage(inquiry_id=o["inquiry"].id, author=MessageAuthor.requester,
                                   body=f"Nachricht {i}"))
        session.commit()
        factories.make_award(session, o["awarded"], alliance)
        factories.make_delegate(session, o["event"], o["alliance"])
        factories.make_delegate(session, o["event"], alliance)
        factories.make_inquiry(session, o["alliance"])
        factories.make_faq_entry(session)
        factories.make_event(session, invited=[o["alliance"], alliance])
        factories.make_workgroup(session, cycle, members=[o["alliance"], alliance])
        factories.make_workgroup_result(session, o["workgroup"], status="published")
        factories.make_pat(session, o["admin"])
        factories.make_client(session)
        factories.make_cycle(session)
        factories.make_webhook_endpoint(session, o["client"])
        session.add(WebhookDelivery(endpoint_id=o["endpoint"].id, message_id=f"grown_{i}_{secrets.token_hex(4)}",
                                    event_type="award.confirmed", payload="{}"))
        session.commit()


def test_statements_per_get_do_not_grow_with_data_or_page_size(app, client, session, statements):
    paths = measured_routes(app)
    with_limit = paged(app)
    assert len(paths) > 40, "the route table could not be read"
    world = build(session)

    def call(path: str, caller: str, limit: int) -> tuple[int, int]:
        params = {"limit": limit} if path in with_limit else {}
        statements.clear()
        response = client.get(path.format(**world.params), headers=world.headers[caller],
                              params=params)
        return response.status_code, len(statements)

    callers: dict[str, str] = {}
    small: dict[str, int] = {}
    unreachable = []
    for path in paths:
        for caller in ("admin", "own", "client", "anonymous"):
            status, _ = call(path, caller, SMALL_PAGE)  # the first call warms caches
            if status == 200:
                callers[path] = caller
                small[path] = call(path, caller, SMALL_PAGE)[1]
                break
        else:
            unreachable.append(path)
    assert not unreachable, f"no caller got 200 from {unreachable}; give the world what they need"

    grow(session, world, GROWTH)

    grown = []
    for path in paths:
        status, count = call(path, callers[path], LARGE_PAGE)
        assert status == 200, f"{path} as {callers[path]}: {status} after the data grew"
        if count > small[path]:
            grown.append(f"{path} ({callers[path]}): {small[path]} -> {count} statements")
    assert not grown, "statements per request grew with the data or the page:\n" + "\n".join(grown)
