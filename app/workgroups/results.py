"""Workgroup results: what a workgroup produced (title, summary, Markdown body, links, the
alliances credited as authors). Drafts are for the workgroup's active members and the
Servicebüro (others: 404, as if none); published results are for every signed-in person and,
title, summary and topic only, for the public list. Members write drafts; the Servicebüro
writes any result and publishes or unpublishes it."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.alliances.models import Alliance
from app.auth.principal import Principal
from app.core.db import utcnow
from app.core.errors import RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, paginate
from app.cycles.models import AwardCycle
from app.events import queries as events
from app.events.models import FutureTopic
from app.webhooks import service as webhooks
from app.webhooks.events import EventType, WorkgroupResultEventData
from app.workgroups.exceptions import (
    InvalidAuthors,
    InvalidResultTransition,
    MembersOnly,
    ResultNotFound,
    ResultPublished,
)
from app.workgroups.models import (
    MemberStatus,
    ResultStatus,
    Workgroup,
    WorkgroupMember,
    WorkgroupResult,
    WorkgroupResultAuthor,
)
from app.workgroups.queries import get_workgroup, sees_inside, topic_read, topics_by_id
from app.workgroups.schemas import (
    PublicResultRead,
    ResultAuthor,
    ResultCreate,
    ResultLink,
    ResultRead,
    ResultUpdate,
)

ETAG_RESOURCE = "workgroup-result"


def _get(session: Session, workgroup_id: int, result_id: int, *,
         for_update: bool = False) -> WorkgroupResult:
    query = select(WorkgroupResult).where(WorkgroupResult.id == result_id,
                                          WorkgroupResult.workgroup_id == workgroup_id)
    if for_update:
        query = query.with_for_update()
    result = session.exec(query).first()
    if result is None:
        raise ResultNotFound(f"No result {result_id} in workgroup {workgroup_id}.")
    return result


def visible_result(session: Session, workgroup_id: int, result_id: int,
                   principal: Principal, *, for_update: bool = False) -> WorkgroupResult:
    get_workgroup(session, workgroup_id)
    result = _get(session, workgroup_id, result_id, for_update=for_update)
    if result.status != ResultStatus.published and not sees_inside(session, workgroup_id,
                                                                    principal):
        raise ResultNotFound(f"No result {result_id} in workgroup {workgroup_id}.")
    return result


def _authors(session: Session, ids: Sequence[int]) -> dict[int, list[ResultAuthor]]:
    out: dict[int, list[ResultAuthor]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.exec(select(WorkgroupResultAuthor.result_id, Alliance).join(
        Alliance, col(Alliance.id) == col(WorkgroupResultAuthor.alliance_id)).where(
        col(WorkgroupResultAuthor.result_id).in_(ids)).order_by(col(Alliance.name))).all()
    for result_id, alliance in rows:
        assert alliance.id is not None
        out[result_id].append(ResultAuthor(id=alliance.id, name=alliance.name))
    return out


def _reads(session: Session, rows: Sequence[WorkgroupResult]) -> list[ResultRead]:
    ids = [r.id for r in rows if r.id is not None]
    if not ids:
        return []
    workgroups = {w.id: w for w in session.exec(select(Workgroup).where(
        col(Workgroup.id).in_({r.workgroup_id for r in rows})))}
    topics = topics_by_id(session, {w.topic_id for w in workgroups.values()})
    authors = _authors(session, ids)
    reads = []
    for r in rows:
        assert r.id is not None
        workgroup = workgroups[r.workgroup_id]
        reads.append(ResultRead(
            id=r.id, workgroup_id=r.workgroup_id, workgroup_title=workgroup.title,
            topic=topic_read(topics[workgroup.topic_id]), title=r.title, summary=r.summary,
            body=r.body, links=[ResultLink(**link) for link in r.links], authors=authors[r.id],
            status=r.status, published_at=r.published_at, version=r.version,
            created_at=r.created_at, updated_at=r.updated_at))
    return reads


def _read(session: Session, result: WorkgroupResult) -> ResultRead:
    return _reads(session, [result])[0]


def list_results(session: Session, workgroup_id: int, params: PageParams, principal: Principal,
                 *, status: ResultStatus | None = None,
                 ) -> tuple[list[ResultRead], str | None, int | None]:
    get_workgroup(session, workgroup_id)
    query = select(WorkgroupResult).where(WorkgroupResult.workgroup_id == workgroup_id)
    if not sees_inside(session, workgroup_id, principal):
        query = query.where(WorkgroupResult.status == ResultStatus.published)
    if status is not None:
        query = query.where(WorkgroupResult.status == status)
    rows, cursor, total = paginate(
        session, query, SortKey(col(WorkgroupResult.id), col(WorkgroupResult.id)), params,
        value_of=lambda r: r.id, id_of=lambda r: r.id)
    return _reads(session, rows), cursor, total


def read_result(session: Session, workgroup_id: int, result_id: int,
                principal: Principal) -> ResultRead:
    return _read(session, visible_result(session, workgroup_id, result_id, principal))


def require_writer(session: Session, workgroup_id: int, principal: Principal) -> None:
    get_workgroup(session, workgroup_id)
    if not sees_inside(session, workgroup_id, principal):
        raise MembersOnly(f"Only the members of workgroup {workgroup_id} write its results.")


def _set_authors(session: Session, result: WorkgroupResult, wanted: list[int]) -> None:
    members = set(session.exec(select(WorkgroupMember.alliance_id).where(
        WorkgroupMember.workgroup_id == result.workgroup_id,
        WorkgroupMember.status == MemberStatus.active)).all())
    wrong = [(i, a) for i, a in enumerate(wanted) if a not in members]
    if wrong:
        raise InvalidAuthors("Authors must be active members of the workgroup.", errors=[
            field_error(["body", "authors", i], f"alliance {a} is no active member", "not_member")
            for i, a in wrong])
    current = session.exec(select(WorkgroupResultAuthor).where(
        WorkgroupResultAuthor.result_id == result.id)).all()
    for row in current:
        if row.alliance_id not in wanted:
            session.delete(row)
    have = {row.alliance_id for row in current}
    for alliance_id in wanted:
        if alliance_id not in have:
            assert result.id is not None
            session.add(WorkgroupResultAuthor(result_id=result.id, alliance_id=alliance_id))


def create_result(session: Session, workgroup_id: int, data: ResultCreate,
                  principal: Principal) -> ResultRead:
    require_writer(session, workgroup_id, principal)
    authors = data.authors if data.authors is not None else (
        [] if principal.is_admin or principal.alliance_id is None else [principal.alliance_id])
    now = utcnow()
    result = WorkgroupResult(workgroup_id=workgroup_id, title=data.title, summary=data.summary,
                             body=data.body, links=[link.model_dump() for link in data.links],
                             status=ResultStatus.draft, created_by=principal.actor,
                             created_at=now, updated_at=now)
    session.add(result)
    session.flush()
    _set_authors(session, result, authors)
    session.commit()
    return _read(session, result)


def update_result(session: Session, workgroup_id: int, result_id: int, data: ResultUpdate,
                  if_match: str | None, principal: Principal) -> ResultRead:
    result = visible_result(session, workgroup_id, result_id, principal, for_update=True)
    require_writer(session, workgroup_id, principal)
    check_if_match(if_match, ETAG_RESOURCE, result_id, result.version)
    if result.status == ResultStatus.published and not principal.is_admin:
        raise ResultPublished(f"Result {result_id} is published; ask the Servicebüro.")
    given = data.model_fields_set
    nulls = [n for n in ("title", "summary", "body", "links", "authors")
             if n in given and getattr(data, n) is None]
    if nulls:
        raise RuleViolation("These fields cannot be emptied.", code="not_null", errors=[
            field_error(["body", n], "may not be null", "not_null") for n in nulls])
    changes: dict[str, Any] = {n: getattr(data, n) for n in ("title", "summary", "body")
                               if n in given}
    if "links" in given and data.links is not None:
        changes["links"] = [link.model_dump() for link in data.links]
    changed = {k: v for k, v in changes.items() if getattr(result, k) != v}
    for key, value in changed.items():
        setattr(result, key, value)
    if "authors" in given and data.authors is not None:
        current = sorted(session.exec(select(WorkgroupResultAuthor.alliance_id).where(
            WorkgroupResultAuthor.result_id == result_id)).all())
        if current != sorted(data.authors):
            _set_authors(session, result, data.authors)
            changed["authors"] = data.authors
    if changed:
        result.version += 1
        result.updated_at = utcnow()
        session.add(result)
        session.commit()
    return _read(session, result)


def set_published(session: Session, workgroup_id: int, result_id: int, publish: bool,
                  if_match: str | None) -> ResultRead:
    workgroup = get_workgroup(session, workgroup_id)
    result = _get(session, workgroup_id, result_id, for_update=True)
    check_if_match(if_match, ETAG_RESOURCE, result_id, result.version)
    target = ResultStatus.published if publish else ResultStatus.draft
    if result.status == target:
        raise InvalidResultTransition(f"Result {result_id} is {result.status} already.",
                                      allowed=["unpublish"] if publish else ["publish"])
    result.status = target
    result.published_at = utcnow() if publish else None
    result.version += 1
    result.updated_at = utcnow()
    session.add(result)
    if publish:
        cycle = session.get(AwardCycle, workgroup.cycle_id)
        assert cycle is not None and result.id is not None and result.published_at is not None
        webhooks.emit(session, EventType.workgroup_result_published, WorkgroupResultEventData(
            result_id=result.id, workgroup_id=workgroup_id, cycle_key=cycle.key,
            occurred_at=result.published_at))
    session.commit()
    return _read(session, result)


def list_public_results(session: Session, params: PageParams, *, topic: int | None = None,
                        cycle: str | None = None,
                        ) -> tuple[list[PublicResultRead], str | None, int | None]:
    """Published results, the newest first: title, summary, topic (no body, no authors)."""
    query = select(WorkgroupResult).where(WorkgroupResult.status == ResultStatus.published)
    if topic is not None:
        query = query.where(col(WorkgroupResult.workgroup_id).in_(
            select(Workgroup.id).join(FutureTopic, col(FutureTopic.id) == col(Workgroup.topic_id))
            .where(FutureTopic.number == topic)))
    if cycle is not None:
        cycle_id = events.cycle_id_of(session, cycle, ["query", "cycle"])
        query = query.where(col(WorkgroupResult.workgroup_id).in_(
            select(Workgroup.id).where(Workgroup.cycle_id == cycle_id)))
    rows, cursor, total = paginate(
        session, query, SortKey(col(WorkgroupResult.published_at), col(WorkgroupResult.id),
                                descending=True),
        params, value_of=lambda r: r.published_at, id_of=lambda r: r.id)
    workgroups = {w.id: w for w in session.exec(select(Workgroup).where(
        col(Workgroup.id).in_({r.workgroup_id for r in rows})))} if rows else {}
    topics = topics_by_id(session, {w.topic_id for w in workgroups.values()})
    cycles = {c.id: c for c in session.exec(select(AwardCycle).where(
        col(AwardCycle.id).in_({w.cycle_id for w in workgroups.values()})))} if rows else {}
    items = []
    for r in rows:
        assert r.id is not None and r.published_at is not None
        workgroup = workgroups[r.workgroup_id]
        items.append(PublicResultRead(
            id=r.id, title=r.title, summary=r.summary, topic=topic_read(topics[workgroup.topic_id]),
            workgroup_title=workgroup.title, cycle_key=cycles[workgroup.cycle_id].key,
            published_at=r.published_at))
    return items, cursor, total
