"""The authorization matrix, built from the app's route table.

Every route must be declared in POLICY with who may call it. The test calls each route with
each kind of caller and compares: a denied caller must get 401 (anonymous) or 403/404; an
allowed caller must not. A route added to the app without a policy entry fails the test, so
new endpoints cannot be forgotten.

Callers: anonymous; ``own`` = alliance user of alliance A acting on A's resources; ``other`` =
alliance user of alliance B acting on A's resources; admin; ``client`` = partner system with
every scope, allowed alliance A; ``noscope`` = partner system without scopes.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI

from app.evaluation.models import Evaluation, EvaluationRun
from app.main import create_app
from tests import factories
from tests.utils.routes import walk_routes

CALLERS = ("anonymous", "noscope", "client", "other", "own", "admin")
OK, DENY, UNAUTH, FORBID = "ok", "deny", "401", "403"


def _policy(**overrides: str) -> dict[str, str]:
    base = dict.fromkeys(CALLERS, OK)
    base.update(overrides)
    return base


PUBLIC = _policy()
ANY = _policy(anonymous=UNAUTH)
PEOPLE = _policy(anonymous=UNAUTH, noscope=FORBID, client=FORBID)
ADMIN = _policy(anonymous=UNAUTH, noscope=FORBID, client=FORBID, other=FORBID, own=FORBID)
OWN = _policy(anonymous=UNAUTH, noscope=FORBID, client=FORBID, other=DENY)
MINE = _policy(anonymous=UNAUTH, noscope=FORBID, client=FORBID, admin=FORBID)
SCOPED_READ = _policy(anonymous=UNAUTH, noscope=FORBID)
OWN_OR_PUSHING_CLIENT = _policy(anonymous=UNAUTH, noscope=FORBID, other=DENY)
FILING = _policy(noscope=FORBID, client=FORBID)
BATCH = _policy(anonymous=UNAUTH, noscope=FORBID, other=FORBID, own=FORBID)

POLICY: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/accept-invitation"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): PEOPLE,
    ("GET", "/api/v1/me"): ANY,
    ("GET", "/api/v1/me/tokens"): ADMIN,
    ("POST", "/api/v1/me/tokens"): ADMIN,
    ("DELETE", "/api/v1/me/tokens/{token_id}"): ADMIN,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{user_id}"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/invitation"): ADMIN,
    ("GET", "/api/v1/clients"): ADMIN,
    ("POST", "/api/v1/clients"): ADMIN,
    ("GET", "/api/v1/clients/{client_pk}"): ADMIN,
    ("PATCH", "/api/v1/clients/{client_pk}"): ADMIN,
    ("DELETE", "/api/v1/clients/{client_pk}"): ADMIN,
    ("POST", "/api/v1/clients/{client_pk}/secret"): ADMIN,
    ("GET", "/api/v1/alliances"): SCOPED_READ,
    ("POST", "/api/v1/alliances"): ADMIN,
    ("POST", "/api/v1/alliances/import"): ADMIN,
    ("GET", "/api/v1/alliances/{alliance_id}"): SCOPED_READ,
    ("PATCH", "/api/v1/alliances/{alliance_id}"): OWN,
    ("DELETE", "/api/v1/alliances/{alliance_id}"): ADMIN,
    ("GET", "/api/v1/alliances/{alliance_id}/personal-data"): OWN,
    ("GET", "/api/v1/public/alliances"): PUBLIC,
    ("GET", "/api/v1/cycles"): SCOPED_READ,
    ("POST", "/api/v1/cycles"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}"): SCOPED_READ,
    ("PATCH", "/api/v1/cycles/{cycle}"): ADMIN,
    ("DELETE", "/api/v1/cycles/{cycle}"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/open-survey"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/close-survey"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/mark-evaluated"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/mark-awarded"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/archive"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/questions"): SCOPED_READ,
    ("PUT", "/api/v1/cycles/{cycle}/questions"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/questions"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/questions/{key}"): SCOPED_READ,
    ("PATCH", "/api/v1/cycles/{cycle}/questions/{key}"): ADMIN,
    ("DELETE", "/api/v1/cycles/{cycle}/questions/{key}"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/questions:copy"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/questions:score-preview"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/statistics"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/responses/export.csv"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/responses/export.xlsx"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/evaluations/export.csv"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/evaluations/export.xlsx"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/responses"): SCOPED_READ,
    ("POST", "/api/v1/cycles/{cycle}/responses:batch"): BATCH,
    ("POST", "/api/v1/cycles/{cycle}/responses:import"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/responses/mine"): MINE,
    ("GET", "/api/v1/cycles/{cycle}/responses/{alliance_id}"): OWN_OR_PUSHING_CLIENT,
    ("PUT", "/api/v1/cycles/{cycle}/responses/{alliance_id}"): OWN,
    ("POST", "/api/v1/cycles/{cycle}/responses/{alliance_id}/submit"): OWN,
    ("POST", "/api/v1/cycles/{cycle}/responses/{alliance_id}/reopen"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/responses/{alliance_id}/history"): OWN,
    ("GET", "/api/v1/cycles/{cycle}/criteria"): PEOPLE,
    ("PUT", "/api/v1/cycles/{cycle}/criteria"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/criteria:preview"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/evaluation"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/evaluation/runs"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/evaluation/runs/{run_id}"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/evaluations"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/evaluations/mine"): MINE,
    ("GET", "/api/v1/cycles/{cycle}/evaluations/{alliance_id}"): OWN,
    ("POST", "/api/v1/cycles/{cycle}/awards:confirm"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/awards"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/awards"): PEOPLE,
    ("POST", "/api/v1/cycles/{cycle}/awards:import"): ADMIN,
    ("GET", "/api/v1/awards/{award_id}"): OWN,
    ("POST", "/api/v1/awards/{award_id}/withdraw"): ADMIN,
    ("GET", "/api/v1/awards/{award_id}/certificate.pdf"): OWN,
    ("GET", "/api/v1/public/seals"): PUBLIC,
    ("GET", "/api/v1/public/seals/verify/{code}"): PUBLIC,
    ("POST", "/api/v1/cycles/{cycle}/notices"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/notices"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/notices/mine"): MINE,
    ("POST", "/api/v1/cycles/{cycle}/notices/mine:resend"): MINE,
    ("GET", "/api/v1/audit-events"): ADMIN,
    ("GET", "/api/v1/audit-events/export.csv"): ADMIN,
    ("POST", "/api/v1/people/{kind}/{person_id}:erase"): ADMIN,
    ("GET", "/api/v1/public/future-topics"): PUBLIC,
    ("GET", "/api/v1/public/events"): PUBLIC,
    ("GET", "/api/v1/events"): PEOPLE,
    ("POST", "/api/v1/events"): ADMIN,
    ("GET", "/api/v1/events/{event_id}"): OWN,
    ("PATCH", "/api/v1/events/{event_id}"): ADMIN,
    ("DELETE", "/api/v1/events/{event_id}"): ADMIN,
    ("POST", "/api/v1/events/{event_id}/publish"): ADMIN,
    ("POST", "/api/v1/events/{event_id}/cancel"): ADMIN,
    ("GET", "/api/v1/events/{event_id}/invitations"): ADMIN,
    ("POST", "/api/v1/events/{event_id}/invitations"): ADMIN,
    ("POST", "/api/v1/events/{event_id}/invitations:generate"): ADMIN,
    ("DELETE", "/api/v1/events/{event_id}/invitations/{alliance_id}"): ADMIN,
    ("POST", "/api/v1/events/{event_id}/delegates"): OWN,
    ("GET", "/api/v1/events/{event_id}/delegates"): OWN,
    ("GET", "/api/v1/events/{event_id}/delegates/export.csv"): ADMIN,
    ("GET", "/api/v1/events/{event_id}/delegates/{delegate_id}"): OWN,
    ("PATCH", "/api/v1/events/{event_id}/delegates/{delegate_id}"): OWN,
    ("POST", "/api/v1/events/{event_id}/delegates/{delegate_id}/withdraw"): OWN,
    ("POST", "/api/v1/inquiries"): FILING,
    ("GET", "/api/v1/inquiries"): PEOPLE,
    ("GET", "/api/v1/inquiries/{inquiry_id}"): OWN,
    ("PATCH", "/api/v1/inquiries/{inquiry_id}"): ADMIN,
    ("POST", "/api/v1/inquiries/{inquiry_id}/messages"): OWN,
    ("POST", "/api/v1/inquiries/{inquiry_id}/close"): OWN,
    ("POST", "/api/v1/inquiries/{inquiry_id}/reopen"): ADMIN,
    ("GET", "/api/v1/public/events/{event_id}/calendar.ics"): PUBLIC,
    ("GET", "/api/v1/public/calendar-feeds/{feed_token}.ics"): PUBLIC,
    ("GET", "/api/v1/events/{event_id}/calendar.ics"): OWN,
    ("GET", "/api/v1/alliances/{alliance_id}/calendar-feed"): OWN,
    ("POST", "/api/v1/alliances/{alliance_id}/calendar-feed"): OWN,
    ("DELETE", "/api/v1/alliances/{alliance_id}/calendar-feed"): OWN,
    ("GET", "/api/v1/public/faq"): PUBLIC,
    ("GET", "/api/v1/public/faq/{entry_id}"): PUBLIC,
    ("GET", "/api/v1/faq"): ADMIN,
    ("POST", "/api/v1/faq"): ADMIN,
    ("GET", "/api/v1/faq/{entry_id}"): ADMIN,
    ("PATCH", "/api/v1/faq/{entry_id}"): ADMIN,
    ("DELETE", "/api/v1/faq/{entry_id}"): ADMIN,
    ("POST", "/api/v1/faq/{entry_id}/publish"): ADMIN,
    ("POST", "/api/v1/faq/{entry_id}/unpublish"): ADMIN,
    ("GET", "/api/v1/webhooks/endpoints"): ADMIN,
    ("POST", "/api/v1/webhooks/endpoints"): ADMIN,
    ("GET", "/api/v1/webhooks/endpoints/{endpoint_id}"): ADMIN,
    ("PATCH", "/api/v1/webhooks/endpoints/{endpoint_id}"): ADMIN,
    ("DELETE", "/api/v1/webhooks/endpoints/{endpoint_id}"): ADMIN,
    ("POST", "/api/v1/webhooks/endpoints/{endpoint_id}/secret"): ADMIN,
    ("POST", "/api/v1/webhooks/endpoints/{endpoint_id}/test"): ADMIN,
    ("GET", "/api/v1/webhooks/endpoints/{endpoint_id}/deliveries"): ADMIN,
    ("POST", "/api/v1/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver"): ADMIN,
    # events: waiting list, attendance, counts (Servicebüro only)
    ("POST", "/api/v1/events/{event_id}/delegates/{delegate_id}/promote"): ADMIN,
    ("POST", "/api/v1/events/{event_id}/delegates/{delegate_id}/remove-from-waitlist"): ADMIN,
    ("PUT", "/api/v1/events/{event_id}/delegates/{delegate_id}/attendance"): ADMIN,
    ("POST", "/api/v1/events/{event_id}/attendance"): ADMIN,
    ("GET", "/api/v1/events/{event_id}/counts"): ADMIN,
    # survey follow-up: reminders, the notice lists as CSV, criteria copy
    ("POST", "/api/v1/cycles/{cycle}/notices:remind"): ADMIN,
    ("GET", "/api/v1/cycles/{cycle}/notices/export.csv"): ADMIN,
    ("POST", "/api/v1/cycles/{cycle}/criteria:copy"): ADMIN,
    # Workgroups: "own" is an active member; "other" an alliance outside the workgroup.
    ("GET", "/api/v1/public/workgroup-results"): PUBLIC,
    ("GET", "/api/v1/workgroups"): PEOPLE,
    ("POST", "/api/v1/workgroups"): ADMIN,
    ("GET", "/api/v1/workgroups/{workgroup_id}"): PEOPLE,
    ("PATCH", "/api/v1/workgroups/{workgroup_id}"): ADMIN,
    ("GET", "/api/v1/workgroups/{workgroup_id}/members"): OWN,
    ("POST", "/api/v1/workgroups/{workgroup_id}/members"): ADMIN,
    ("POST", "/api/v1/workgroups/{workgroup_id}/members:invite"): ADMIN,
    ("GET", "/api/v1/workgroups/{workgroup_id}/members/{alliance_id}"): OWN,
    ("POST", "/api/v1/workgroups/{workgroup_id}/members/{alliance_id}/accept"): ADMIN,
    ("POST", "/api/v1/workgroups/{workgroup_id}/members/{alliance_id}/decline"): ADMIN,
    ("POST", "/api/v1/workgroups/{workgroup_id}/members/{alliance_id}/remove"): ADMIN,
    ("GET", "/api/v1/workgroups/{workgroup_id}/membership"): MINE,
    ("POST", "/api/v1/workgroups/{workgroup_id}/membership"): MINE,
    ("PATCH", "/api/v1/workgroups/{workgroup_id}/membership"): MINE,
    ("POST", "/api/v1/workgroups/{workgroup_id}/membership/leave"): MINE,
    ("GET", "/api/v1/workgroups/{workgroup_id}/results"): PEOPLE,
    ("POST", "/api/v1/workgroups/{workgroup_id}/results"): OWN,
    ("GET", "/api/v1/workgroups/{workgroup_id}/results/{result_id}"): OWN,
    ("PATCH", "/api/v1/workgroups/{workgroup_id}/results/{result_id}"): OWN,
    ("POST", "/api/v1/workgroups/{workgroup_id}/results/{result_id}/publish"): ADMIN,
    ("POST", "/api/v1/workgroups/{workgroup_id}/results/{result_id}/unpublish"): ADMIN,
}

# Framework pages, not API operations.
NOT_API = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def route_table(app: FastAPI) -> set[tuple[str, str]]:
    table = set()
    for route in walk_routes(list(app.routes)):
        if route.path in NOT_API:
            continue
        for method in route.methods or ():
            if method != "HEAD":
                table.add((method, route.path))
    return table


def test_every_route_is_in_the_policy_table():
    table = route_table(create_app())
    assert len(table) > 50, "the route table could not be read"
    missing = sorted(table - POLICY.keys())
    assert not missing, f"declare who may call these routes in POLICY: {missing}"
    stale = sorted(POLICY.keys() - table)
    assert not stale, f"POLICY names routes the app no longer has: {stale}"


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    params: dict[str, str]


@pytest.fixture
def world(session) -> World:
    alliance = factories.make_alliance(session)
    other_alliance = factories.make_alliance(session)
    own_user = factories.make_user(session, alliance=alliance)
    other_user = factories.make_user(session, alliance=other_alliance)
    admin = factories.make_user(session, factories.Role.admin)
    client = factories.make_client(session, scopes=("alliances:read", "surveys:read", "surveys:write"),
                                   alliances=[alliance])
    noscope = factories.make_client(session, scopes=())
    cycle = factories.make_cycle(session)
    factories.make_questions(session, cycle)
    response = factories.make_scored_response(session, cycle, alliance, entered_by=f"client:{client.id}",
                                              mode="partner_import")
    factories.make_criteria(session, cycle)
    run = EvaluationRun(cycle_id=cycle.id, started_by=f"user:{admin.id}", evaluated_count=1, passed_count=1)
    session.add(run)
    session.flush()
    session.add(Evaluation(run_id=run.id, cycle_id=cycle.id, alliance_id=alliance.id, response_id=response.id,
                           activity_score=response.activity_score or 0, meets_criteria=True,
                           wants_future_project=True, invited_to_future_project=True))
    session.commit()
    award = factories.make_award(session, factories.make_cycle(session, status="awarded"), alliance)
    token = factories.make_pat(session, admin)
    inquiry = factories.make_inquiry(session, alliance)
    event = factories.make_event(session, invited=[alliance])
    delegate = factories.make_delegate(session, event, alliance)
    faq_entry = factories.make_faq_entry(session)
    _feed, feed_token = factories.make_calendar_feed(session, alliance)
    workgroup = factories.make_workgroup(session, cycle, members=[alliance])
    result = factories.make_workgroup_result(session, workgroup)  # a draft: members only
    endpoint, delivery = factories.make_webhook_endpoint(session, client=client)
    return World(
        headers={
            "anonymous": {},
            "noscope": factories.client_headers(noscope),
            "client": factories.client_headers(client),
            "other": factories.user_headers(other_user),
            "own": factories.user_headers(own_user),
            "admin": factories.user_headers(admin),
        },
        params={
            "alliance_id": str(alliance.id), "cycle": cycle.slug, "user_id": str(own_user.id),
            "client_pk": str(client.id), "token_id": str(token.id), "key": "partner_meetings",
            "run_id": str(run.id), "award_id": str(award.id), "code": award.verification_code,
            "kind": "contact", "person_id": str(alliance.contacts[0].id),
            "inquiry_id": str(inquiry.id), "event_id": str(event.id), "delegate_id": str(delegate.id),
            "entry_id": str(faq_entry.id), "feed_token": feed_token,
            "workgroup_id": str(workgroup.id), "result_id": str(result.id),
            "endpoint_id": str(endpoint.id), "delivery_id": str(delivery.id),
        },
    )


def _outcome_ok(expected: str, caller: str, status: int) -> bool:
    if expected == OK:
        return status not in (401, 403)
    if expected == UNAUTH:
        return status == 401
    if expected == FORBID:
        return status == 403
    return status in (403, 404)  # DENY: refused, or not even admitted to exist


@pytest.mark.parametrize(("method", "path"), sorted(POLICY))
def test_route_answers_each_caller_as_declared(client, world, method, path):
    url = path.format(**world.params)
    failures = []
    for caller in CALLERS:  # the admin last: it may delete what the others need
        kwargs: dict[str, Any] = {"headers": world.headers[caller]}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = {}
        response = client.request(method, url, **kwargs)
        expected = POLICY[(method, path)][caller]
        if not _outcome_ok(expected, caller, response.status_code):
            failures.append(f"{caller}: expected {expected}, got {response.status_code} "
                            f"{response.text[:160]}")
    assert not failures, f"{method} {path}\n" + "\n".join(failures)
