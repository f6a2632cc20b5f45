"""The seal „Ausgezeichnetes Bündnis“: confirming awards from the shortlist, adding or
withdrawing one by hand and the verification of a certificate (the public registry's listing
is registry.py).

An alliance holds at most one award per cycle (a unique constraint): confirming twice changes
nothing, and a withdrawn award comes back only by an explicit re-add with a reason. Awards
can be confirmed while the cycle is evaluated or awarded; moving the cycle on to "awarded" is
the Servicebüro's explicit step (cycles: mark-awarded), so a late correction can still be
evaluated again before that.
"""

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.alliances.models import WITHOUT_CHILDREN, Alliance, AllianceStatus
from app.auth.principal import Principal
from app.awards.exceptions import (
    AwardAlreadyWithdrawn,
    AwardExists,
    AwardNotFound,
    AwardsNotAllowed,
    AwardWithdrawnGone,
    NotEvaluated,
    SealNotFound,
)
from app.awards.models import Award, AwardStatus
from app.awards.schemas import (
    AwardAlliance,
    AwardCreate,
    AwardRead,
    AwardsConfirm,
    AwardsConfirmReport,
    AwardWithdraw,
    SealVerification,
)
from app.core import links
from app.core.db import utcnow
from app.core.errors import Conflict, RuleViolation, field_error
from app.core.etags import check_if_match
from app.core.pagination import PageParams, SortKey, changed_after, paginate
from app.cycles.models import AwardCycle, CycleStatus
from app.cycles.service import get_cycle
from app.evaluation import queries as evaluation
from app.webhooks import service as webhooks
from app.webhooks.events import AwardEventData, EventType

CONFIRM_STATUSES = (CycleStatus.evaluated, CycleStatus.awarded)
IMPORT_STATUSES = (CycleStatus.evaluated, CycleStatus.awarded, CycleStatus.archived)
# Crockford's base32: no I, L, O or U, so a code read off paper is typed back correctly.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 16


# --- eligibility helpers for other domains ------------------------------------------------------

def seal_holder_ids_query() -> SelectOfScalar[int]:
    """Ids of alliances holding a confirmed seal of any cycle (a withdrawn one does not count).
    Use it in ``col(Alliance.id).in_(...)`` / ``not_in(...)`` filters."""
    return select(Award.alliance_id).where(Award.status == AwardStatus.confirmed).distinct()


def holds_seal(session: Session, alliance_id: int) -> bool:
    """Did the alliance ever receive a seal that still stands?"""
    return session.exec(
        select(Award.id).where(Award.alliance_id == alliance_id,
                               Award.status == AwardStatus.confirmed).limit(1)
    ).first() is not None


# --- codes and shaping --------------------------------------------------------------------------

def new_verification_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, _CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """Accept the code as typed: any case, with or without dashes and spaces, O for 0, I/L for 1."""
    cleaned = code.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != _CODE_LENGTH:
        return code
    return "-".join(cleaned[i:i + 4] for i in range(0, _CODE_LENGTH, 4))


def verification_url(code: str) -> str:
    return links.seal_verification_url(code)


def to_read(award: Award, alliance: Alliance, cycle: AwardCycle) -> AwardRead:
    assert award.id is not None and alliance.id is not None
    return AwardRead(
        id=award.id, cycle_id=award.cycle_id, cycle_key=cycle.key,
        alliance=AwardAlliance(id=alliance.id, name=alliance.name, slug=alliance.slug,
                               municipality=alliance.municipality, state=alliance.state),
        title=award.title, awarded_on=award.awarded_on, status=award.status,
        verification_code=award.verification_code,
        verification_url=verification_url(award.verification_code), reason=award.reason,
        confirmed_by=award.confirmed_by, withdrawn_at=award.withdrawn_at, version=award.version,
        created_at=award.created_at, updated_at=award.updated_at,
    )


def _read(session: Session, award: Award) -> AwardRead:
    alliance = session.get(Alliance, award.alliance_id)
    cycle = session.get(AwardCycle, award.cycle_id)
    assert alliance is not None and cycle is not None
    return to_read(award, alliance, cycle)


def require_status(cycle: AwardCycle, allowed: Sequence[CycleStatus], doing: str) -> None:
    if cycle.status not in allowed:
        names = [s.value for s in allowed]
        raise AwardsNotAllowed(
            f"The cycle is {cycle.status}; {doing} is possible only when it is {' or '.join(names)}.",
            allowed_statuses=names, current_status=cycle.status,
        )


def _default_date(cycle: AwardCycle, given: date | None) -> date:
    if given is not None:
        return given
    if cycle.ceremony_on is None:
        raise RuleViolation(
            "The cycle has no ceremony date; give awarded_on.",
            errors=[field_error(["body", "awarded_on"], "required: the cycle has no ceremony date",
                                "missing")],
        )
    return cycle.ceremony_on


def commit_awards(session: Session, event_type: str | None = None,
                  awards: Sequence[Award] = (), cycle: AwardCycle | None = None) -> None:
    """Commit (after queueing ``event_type`` webhooks for ``awards``, in the same transaction);
    two admins confirming the same alliance at once meet the unique constraint, and the later
    one is told to retry instead of seeing a 500."""
    try:
        if event_type is not None and awards and cycle is not None:
            session.flush()
            for award in awards:
                _emit(session, event_type, award, cycle)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("Another request changed this cycle's awards at the same moment; "
                       "reload and try again.", code="concurrent_change") from exc


def _emit(session: Session, event_type: str, award: Award, cycle: AwardCycle) -> None:
    assert award.id is not None
    webhooks.emit(session, event_type, AwardEventData(
        award_id=award.id, alliance_id=award.alliance_id, cycle_key=cycle.key,
        occurred_at=award.updated_at))


def build_award(cycle: AwardCycle, alliance_id: int, awarded_on: date, actor: str,
                reason: str | None = None) -> Award:
    assert cycle.id is not None
    return Award(
        cycle_id=cycle.id, alliance_id=alliance_id, title=cycle.seal_title, awarded_on=awarded_on,
        status=AwardStatus.confirmed, verification_code=new_verification_code(),
        confirmed_by=actor, reason=reason,
    )


def awards_by_alliance(session: Session, cycle_id: int) -> dict[int, Award]:
    return {a.alliance_id: a for a in session.exec(select(Award).where(Award.cycle_id == cycle_id))}


# --- writes -------------------------------------------------------------------------------------

def confirm_awards(
    session: Session, cycle_ref: str, data: AwardsConfirm, principal: Principal,
) -> AwardsConfirmReport:
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    require_status(cycle, CONFIRM_STATUSES, "confirming awards")
    shortlist = evaluation.shortlist_alliance_ids(session, cycle.id)
    if shortlist is None:
        raise NotEvaluated("Evaluate the cycle first: awards are confirmed from the shortlist.")
    if data.alliance_ids is None:
        targets = shortlist
    else:
        on_list = set(shortlist)
        errors, seen = [], set()
        for index, alliance_id in enumerate(data.alliance_ids):
            if alliance_id in seen:
                errors.append(field_error(["body", "alliance_ids", index], "listed twice", "duplicate"))
            elif alliance_id not in on_list:
                errors.append(field_error(
                    ["body", "alliance_ids", index],
                    "not on the shortlist: does not meet the criteria in the latest run "
                    "(add it by hand with a reason: POST …/awards)", "not_shortlisted"))
            seen.add(alliance_id)
        if errors:
            raise RuleViolation("Some alliances cannot be confirmed; nothing was changed.",
                                errors=errors)
        targets = list(data.alliance_ids)
    awarded_on = _default_date(cycle, data.awarded_on)
    existing = awards_by_alliance(session, cycle.id)
    created, unchanged, skipped = [], [], []
    for alliance_id in targets:
        award = existing.get(alliance_id)
        if award is None:
            award = build_award(cycle, alliance_id, awarded_on, principal.actor)
            session.add(award)
            created.append(award)
        elif award.status == AwardStatus.confirmed:
            unchanged.append(award)
        else:
            skipped.append(alliance_id)
    commit_awards(session, EventType.award_confirmed, created, cycle)
    return AwardsConfirmReport(
        awarded_on=awarded_on, created=len(created), unchanged=len(unchanged),
        skipped_withdrawn=skipped,
        awards=[_read(session, a) for a in sorted([*created, *unchanged], key=lambda a: a.alliance_id)],
    )


def add_award(
    session: Session, cycle_ref: str, data: AwardCreate, principal: Principal,
) -> tuple[AwardRead, bool]:
    """Add one award by hand, or re-add a withdrawn one. Returns (award, newly created)."""
    cycle = get_cycle(session, cycle_ref)
    assert cycle.id is not None
    require_status(cycle, CONFIRM_STATUSES, "adding an award")
    alliance = session.get(Alliance, data.alliance_id)
    if alliance is None:
        raise RuleViolation("No such alliance.", errors=[
            field_error(["body", "alliance_id"], "no such alliance", "not_found")])
    if alliance.status == AllianceStatus.dissolved:
        raise RuleViolation("A dissolved alliance cannot receive the seal.", errors=[
            field_error(["body", "alliance_id"], "the alliance is dissolved", "dissolved")])
    awarded_on = _default_date(cycle, data.awarded_on)
    award = session.exec(
        select(Award).where(Award.cycle_id == cycle.id, Award.alliance_id == data.alliance_id)
    ).first()
    created = award is None
    if award is None:
        award = build_award(cycle, data.alliance_id, awarded_on, principal.actor, data.reason)
        session.add(award)
    elif award.status == AwardStatus.confirmed:
        raise AwardExists(f"{alliance.name} holds the seal of {cycle.key} already (award {award.id}).",
                          award_id=award.id)
    else:
        award.status = AwardStatus.confirmed
        award.reason = data.reason
        award.awarded_on = awarded_on
        award.confirmed_by = principal.actor
        award.withdrawn_at = None
        award.version += 1
        award.updated_at = utcnow()
    commit_awards(session, EventType.award_confirmed, [award], cycle)
    return to_read(award, alliance, cycle), created


def _award(session: Session, award_id: int) -> Award:
    award = session.get(Award, award_id)
    if award is None:
        raise AwardNotFound(f"No award {award_id}.")
    return award


def withdraw_award(
    session: Session, award_id: int, data: AwardWithdraw, if_match: str | None,
) -> AwardRead:
    award = _award(session, award_id)
    check_if_match(if_match, "award", award_id, award.version)
    if award.status == AwardStatus.withdrawn:
        raise AwardAlreadyWithdrawn(f"Award {award_id} was withdrawn on {award.withdrawn_at}.")
    now = utcnow()
    award.status = AwardStatus.withdrawn
    award.reason = data.reason
    award.withdrawn_at = now
    award.version += 1
    award.updated_at = now
    session.flush()
    cycle = session.get(AwardCycle, award.cycle_id)
    assert cycle is not None
    _emit(session, EventType.award_withdrawn, award, cycle)
    session.commit()
    return _read(session, award)


# --- reads --------------------------------------------------------------------------------------

def _visible_award(session: Session, award_id: int, principal: Principal) -> Award:
    award = _award(session, award_id)
    if not principal.acts_for(award.alliance_id):
        # Another alliance's award: answer as if there were none.
        raise AwardNotFound(f"No award {award_id}.")
    return award


def read_award(session: Session, award_id: int, principal: Principal) -> AwardRead:
    return _read(session, _visible_award(session, award_id, principal))


def list_cycle_awards(
    session: Session, cycle_ref: str, params: PageParams, principal: Principal,
    status: AwardStatus | None = None, updated_since: datetime | None = None,
) -> tuple[list[AwardRead], str | None, int | None]:
    """Admins see every award of the cycle; alliance users their own alliance's."""
    cycle = get_cycle(session, cycle_ref)
    query = changed_after(select(Award).where(Award.cycle_id == cycle.id),
                          col(Award.updated_at), updated_since)
    if not principal.is_admin:
        query = query.where(Award.alliance_id == (principal.alliance_id or -1))
    if status is not None:
        query = query.where(Award.status == status)
    rows, cursor, total = paginate(
        session, query, SortKey(col(Award.id), col(Award.id)), params,
        value_of=lambda a: a.id, id_of=lambda a: a.id,
    )
    alliances = {a.id: a for a in session.exec(
        select(Alliance).options(*WITHOUT_CHILDREN).where(col(Alliance.id).in_([r.alliance_id for r in rows])))}
    return [to_read(r, alliances[r.alliance_id], cycle) for r in rows], cursor, total


def certificate_data(session: Session, award_id: int, principal: Principal) -> dict[str, Any]:
    """What the certificate shows; a withdrawn award has no certificate (410)."""
    award = _visible_award(session, award_id, principal)
    if award.status == AwardStatus.withdrawn:
        raise AwardWithdrawnGone("The award was withdrawn; its certificate is no longer valid.")
    alliance = session.get(Alliance, award.alliance_id)
    cycle = session.get(AwardCycle, award.cycle_id)
    assert alliance is not None and cycle is not None
    return {
        "alliance_name": alliance.name, "alliance_slug": alliance.slug,
        "municipality": alliance.municipality, "state": alliance.state, "title": award.title,
        "awarded_on": award.awarded_on, "place": cycle.ceremony_place, "cycle_slug": cycle.slug,
        "verification_code": award.verification_code,
        "verification_url": verification_url(award.verification_code),
    }


def verify(session: Session, code: str) -> SealVerification:
    normalised = normalise_code(code.strip())
    award = session.exec(select(Award).where(Award.verification_code == normalised)).first()
    if award is None:
        raise SealNotFound("No seal carries this verification code.")
    alliance = session.get(Alliance, award.alliance_id)
    cycle = session.get(AwardCycle, award.cycle_id)
    assert alliance is not None and cycle is not None
    return SealVerification(
        code=award.verification_code, valid=award.status == AwardStatus.confirmed,
        status=award.status, alliance_name=alliance.name, title=award.title, cycle_key=cycle.key,
        awarded_on=award.awarded_on,
        withdrawn_on=award.withdrawn_at.date() if award.withdrawn_at else None,
    )
