"""Arbeitsrunden (workgroups) of Projekt Zukunft: the Servicebüro's workgroups and members,
the alliance's own membership, results, and the public list of published results.

People only: machine clients get 403 (no scope opens workgroups). Every signed-in person sees
that a workgroup exists; members and drafts are for its active members and the Servicebüro.
"""

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response, status

from app.auth.deps import AdminUser, AllianceUser, CurrentUser, admin_user, current_user
from app.core.deps import DbDep
from app.core.errors import problem_responses
from app.core.etags import ETagWriter, IfMatch, SetETag
from app.core.ids import RowId
from app.core.limits import NoStore
from app.core.pagination import Page, PageParams, page_params, set_link_header
from app.core.routing import ApiRouter
from app.events.schemas import CycleRef, TopicNumber
from app.workgroups import membership, queries, results, service
from app.workgroups.models import MemberStatus, ResultStatus, WorkgroupStatus
from app.workgroups.schemas import (
    InviteReport,
    JoinRequest,
    MemberAdd,
    MemberDecision,
    MemberRead,
    MembershipRead,
    MembershipUpdate,
    PublicResultRead,
    ResultCreate,
    ResultRead,
    ResultUpdate,
    WorkgroupCreate,
    WorkgroupRead,
    WorkgroupUpdate,
)

# Member lists carry the contact persons the alliances share: never cached.
router = ApiRouter(prefix="/workgroups", tags=["workgroups"],
                   dependencies=[Depends(current_user), NoStore],
                   responses=problem_responses(401, 403))
public_router = ApiRouter(prefix="/public", tags=["public"])
PageDep = Annotated[PageParams, Depends(page_params)]
WorkgroupPath = Annotated[RowId, Path(description="The workgroup's id")]
AllianceId = Annotated[RowId, Path(description="The member alliance's id")]
ResultId = Annotated[RowId, Path(description="The result's id")]
TopicFilter = Annotated[TopicNumber | None, Query(description="Only this Zukunftsthema")]
CycleFilter = Annotated[CycleRef | None, Query(description="Only this award cycle")]
ADMIN = [Depends(admin_user)]
NO_STORE = "no-store"


async def existing_workgroup(workgroup_id: WorkgroupPath, db: DbDep) -> int:
    """404 for an unknown workgroup before the body is read."""
    await db.run(queries.get_workgroup, workgroup_id)
    return workgroup_id


WorkgroupId = Annotated[int, Depends(existing_workgroup)]


async def writable_workgroup(workgroup_id: WorkgroupPath, db: DbDep,
                             principal: CurrentUser) -> int:
    """Members and the Servicebüro write results: others get 403 before the body is read."""
    await db.run(results.require_writer, workgroup_id, principal)
    return workgroup_id


WritableWorkgroupId = Annotated[int, Depends(writable_workgroup)]


async def visible_result_id(workgroup_id: WritableWorkgroupId, result_id: ResultId, db: DbDep,
                            principal: CurrentUser) -> int:
    """A draft answers 404 to non-members, before the body is read."""
    await db.run(results.visible_result, workgroup_id, result_id, principal)
    return result_id


VisibleResultId = Annotated[int, Depends(visible_result_id)]


def _etag(etag: ETagWriter, workgroup: WorkgroupRead) -> None:
    etag.row(queries.ETAG_RESOURCE, workgroup.id, workgroup.version, workgroup)


def _result_etag(etag: ETagWriter, result: ResultRead) -> None:
    etag.row(results.ETAG_RESOURCE, result.id, result.version, result)


# --- public -------------------------------------------------------------------------------------

@public_router.get("/workgroup-results", name="public-workgroup-results-list",
                   response_model=Page[PublicResultRead], responses=problem_responses(422, 429),
                   summary="Published results of the Arbeitsrunden: title, summary, topic")
async def list_public_results(request: Request, response: Response, db: DbDep, page: PageDep,
                              topic: TopicFilter = None,
                              cycle: CycleFilter = None) -> Page[PublicResultRead]:
    items, cursor, total = await db.run(results.list_public_results, page, topic=topic,
                                        cycle=cycle)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


# --- workgroups ---------------------------------------------------------------------------------

@router.get("", name="workgroups-list", response_model=Page[WorkgroupRead],
            responses=problem_responses(422), summary="Workgroups (every signed-in person)")
async def list_workgroups(
    request: Request, response: Response, db: DbDep, principal: CurrentUser, page: PageDep,
    cycle: CycleFilter = None, topic: TopicFilter = None,
    status_: Annotated[WorkgroupStatus | None, Query(alias="status")] = None,
) -> Page[WorkgroupRead]:
    items, cursor, total = await db.run(service.list_workgroups, page, principal, cycle=cycle,
                                        topic=topic, status=status_)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("", name="workgroups-create", response_model=WorkgroupRead,
             status_code=status.HTTP_201_CREATED, dependencies=ADMIN,
             responses=problem_responses(422), summary="Servicebüro: create a workgroup")
async def create_workgroup(body: WorkgroupCreate, db: DbDep, principal: AdminUser,
                           response: Response, etag: SetETag) -> WorkgroupRead:
    workgroup = await db.run(service.create_workgroup, body, principal)
    response.headers["Location"] = f"/api/v1/workgroups/{workgroup.id}"
    _etag(etag, workgroup)
    return workgroup


@router.get("/{workgroup_id}", name="workgroups-get", response_model=WorkgroupRead,
            responses=problem_responses(404), summary="One workgroup")
async def get_workgroup(workgroup_id: WorkgroupPath, db: DbDep, principal: CurrentUser,
                        etag: SetETag) -> WorkgroupRead:
    workgroup = await db.run(service.read_workgroup, workgroup_id, principal)
    _etag(etag, workgroup)
    return workgroup


@router.patch("/{workgroup_id}", name="workgroups-update", response_model=WorkgroupRead,
              dependencies=ADMIN, responses=problem_responses(404, 412, 422),
              summary="Servicebüro: change a workgroup (closing it refuses new joins)")
async def update_workgroup(workgroup_id: WorkgroupId, body: WorkgroupUpdate, db: DbDep,
                           principal: AdminUser, etag: SetETag,
                           if_match: IfMatch = None) -> WorkgroupRead:
    workgroup = await db.run(service.update_workgroup, workgroup_id, body, if_match, principal)
    _etag(etag, workgroup)
    return workgroup


# --- members ------------------------------------------------------------------------------------

@router.get("/{workgroup_id}/members", name="workgroup-members-list",
            response_model=Page[MemberRead], responses=problem_responses(404, 422),
            summary="Members (Servicebüro: every membership; active members: the active ones)")
async def list_members(
    request: Request, response: Response, workgroup_id: WorkgroupPath, db: DbDep,
    principal: CurrentUser, page: PageDep,
    status_: Annotated[MemberStatus | None, Query(alias="status",
                                                  description="Servicebüro only")] = None,
) -> Page[MemberRead]:
    """Alliances that are no active member get 403 `workgroup_members_only`."""
    items, cursor, total = await db.run(service.list_members, workgroup_id, page, principal,
                                        status=status_)
    set_link_header(request, response, cursor)
    response.headers["Cache-Control"] = NO_STORE
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("/{workgroup_id}/members", name="workgroup-members-add", response_model=MemberRead,
             dependencies=ADMIN, responses=problem_responses(404, 409, 422),
             summary="Servicebüro: admit an alliance (outside the rule: with a reason, audited)")
async def add_member(workgroup_id: WorkgroupId, body: MemberAdd, db: DbDep,
                     principal: AdminUser, response: Response) -> MemberRead:
    response.headers["Cache-Control"] = NO_STORE
    return await db.run(service.add_member, workgroup_id, body, principal)


@router.post("/{workgroup_id}/members:invite", name="workgroup-members-invite",
             response_model=InviteReport, dependencies=ADMIN,
             responses=problem_responses(404, 409),
             summary="Servicebüro: invite every eligible alliance by the rule (idempotent)")
async def invite_members(workgroup_id: WorkgroupPath, db: DbDep,
                         principal: AdminUser) -> InviteReport:
    """The alliances the cycle's latest evaluation run invited to Projekt Zukunft and the
    previous cycle's still-active seal alliances, if they have no membership yet; each gets a
    German invitation e-mail to its contacts. A second call invites nobody. Like
    `POST /events/{id}/invitations:generate`, refused while the cycle has no evaluation run
    (409 `no_evaluation_run`): invitations by the rule follow the evaluation."""
    return await db.run(service.invite_by_rule, workgroup_id, principal)


@router.get("/{workgroup_id}/members/{alliance_id}", name="workgroup-members-get",
            response_model=MemberRead, responses=problem_responses(404),
            summary="One membership (Servicebüro, the alliance itself, fellow members)")
async def get_member(workgroup_id: WorkgroupPath, alliance_id: AllianceId, db: DbDep,
                     principal: CurrentUser, response: Response) -> MemberRead:
    response.headers["Cache-Control"] = NO_STORE
    return await db.run(service.read_member, workgroup_id, alliance_id, principal)


def _decision_route(action: str, summary: str) -> None:
    async def endpoint(workgroup_id: WorkgroupId, alliance_id: AllianceId, body: MemberDecision,
                       db: DbDep, principal: AdminUser, response: Response) -> MemberRead:
        response.headers["Cache-Control"] = NO_STORE
        return await db.run(service.decide, workgroup_id, alliance_id, action, body, principal)

    router.add_api_route(
        f"/{{workgroup_id}}/members/{{alliance_id}}/{action}", endpoint, methods=["POST"],
        name=f"workgroup-members-{action}", response_model=MemberRead, dependencies=ADMIN,
        responses=problem_responses(404, 409, 422), summary=summary)


_decision_route("accept", "Servicebüro: accept a request to join, with a note")
_decision_route("decline", "Servicebüro: decline a request to join, with a note")
_decision_route("remove", "Servicebüro: remove a member (it may ask again)")


# --- the alliance's own membership ---------------------------------------------------------------

@router.get("/{workgroup_id}/membership", name="workgroup-membership-get",
            response_model=MembershipRead, responses=problem_responses(404),
            summary="Alliance users: their alliance's membership, eligibility and next steps")
async def get_membership(workgroup_id: WorkgroupPath, db: DbDep, principal: AllianceUser,
                         response: Response) -> MembershipRead:
    response.headers["Cache-Control"] = NO_STORE
    return await db.run(membership.read_membership, workgroup_id, principal)


@router.post("/{workgroup_id}/membership", name="workgroup-membership-request",
             response_model=MembershipRead, responses=problem_responses(404, 409, 422),
             summary="Alliance users: ask to join, or accept the invitation")
async def request_membership(workgroup_id: WorkgroupId, body: JoinRequest, db: DbDep,
                             principal: AllianceUser, response: Response) -> MembershipRead:
    """Refused with 409: `workgroup_closed`, `not_eligible` (the detail says why: neither
    invited to Projekt Zukunft by the latest evaluation run nor a seal alliance of the previous
    cycle, or the alliance is not active), `invalid_transition` (already asked or a member)."""
    response.headers["Cache-Control"] = NO_STORE
    return await db.run(membership.request_to_join, workgroup_id, body, principal)


@router.patch("/{workgroup_id}/membership", name="workgroup-membership-update",
              response_model=MembershipRead, responses=problem_responses(404, 422),
              summary="Alliance users: choose the contact person the other members see")
async def update_membership(workgroup_id: WorkgroupId, body: MembershipUpdate, db: DbDep,
                            principal: AllianceUser, response: Response) -> MembershipRead:
    response.headers["Cache-Control"] = NO_STORE
    return await db.run(membership.update_membership, workgroup_id, body, principal)


@router.post("/{workgroup_id}/membership/leave", name="workgroup-membership-leave",
             response_model=MembershipRead, responses=problem_responses(404, 409),
             summary="Alliance users: withdraw the request, turn down the invitation, or leave")
async def leave_workgroup(workgroup_id: WorkgroupPath, db: DbDep, principal: AllianceUser,
                          response: Response) -> MembershipRead:
    response.headers["Cache-Control"] = NO_STORE
    return await db.run(membership.leave, workgroup_id, principal)


# --- results ------------------------------------------------------------------------------------

@router.get("/{workgroup_id}/results", name="workgroup-results-list",
            response_model=Page[ResultRead], responses=problem_responses(404, 422),
            summary="Results (members and Servicebüro: drafts too; others: published ones)")
async def list_results(
    request: Request, response: Response, workgroup_id: WorkgroupPath, db: DbDep,
    principal: CurrentUser, page: PageDep,
    status_: Annotated[ResultStatus | None, Query(alias="status")] = None,
) -> Page[ResultRead]:
    items, cursor, total = await db.run(results.list_results, workgroup_id, page, principal,
                                        status=status_)
    set_link_header(request, response, cursor)
    return Page(items=items, next_cursor=cursor, total=total)


@router.post("/{workgroup_id}/results", name="workgroup-results-create",
             response_model=ResultRead, status_code=status.HTTP_201_CREATED,
             responses=problem_responses(404, 422),
             description="Alliances that are no active member get 403 "
             "`workgroup_members_only`.",
             summary="Members and Servicebüro: write a result (a draft)")
async def create_result(workgroup_id: WritableWorkgroupId, body: ResultCreate, db: DbDep,
                        principal: CurrentUser, response: Response, etag: SetETag) -> ResultRead:
    result = await db.run(results.create_result, workgroup_id, body, principal)
    response.headers["Location"] = f"/api/v1/workgroups/{workgroup_id}/results/{result.id}"
    _result_etag(etag, result)
    return result


@router.get("/{workgroup_id}/results/{result_id}", name="workgroup-results-get",
            response_model=ResultRead, responses=problem_responses(404), summary="One result")
async def get_result(workgroup_id: WorkgroupPath, result_id: ResultId, db: DbDep,
                     principal: CurrentUser, etag: SetETag) -> ResultRead:
    result = await db.run(results.read_result, workgroup_id, result_id, principal)
    _result_etag(etag, result)
    return result


@router.patch("/{workgroup_id}/results/{result_id}", name="workgroup-results-update",
              response_model=ResultRead, responses=problem_responses(404, 409, 412, 422),
              summary="Members: change a draft; Servicebüro: any result")
async def update_result(workgroup_id: WritableWorkgroupId, result_id: VisibleResultId, body: ResultUpdate,
                        db: DbDep, principal: CurrentUser, etag: SetETag,
                        if_match: IfMatch = None) -> ResultRead:
    result = await db.run(results.update_result, workgroup_id, result_id, body, if_match,
                          principal)
    _result_etag(etag, result)
    return result


@router.post("/{workgroup_id}/results/{result_id}/publish", name="workgroup-results-publish",
             response_model=ResultRead, dependencies=ADMIN,
             responses=problem_responses(404, 409, 412),
             summary="Servicebüro: publish a result (every alliance and the public list)")
async def publish_result(workgroup_id: WorkgroupPath, result_id: ResultId, db: DbDep,
                         etag: SetETag, if_match: IfMatch = None) -> ResultRead:
    result = await db.run(results.set_published, workgroup_id, result_id, True, if_match)
    _result_etag(etag, result)
    return result


@router.post("/{workgroup_id}/results/{result_id}/unpublish", name="workgroup-results-unpublish",
             response_model=ResultRead, dependencies=ADMIN,
             responses=problem_responses(404, 409, 412),
             summary="Servicebüro: take a result back to draft")
async def unpublish_result(workgroup_id: WorkgroupPath, result_id: ResultId, db: DbDep,
                           etag: SetETag, if_match: IfMatch = None) -> ResultRead:
    result = await db.run(results.set_published, workgroup_id, result_id, False, if_match)
    _result_etag(etag, result)
    return result
