"""Demo survey responses for the open cycle "2024/25" (seed step ``seed_responses``).

Realistic spread: alliances answered online (the demo coordinators of Fürth and Hamm), by
phone interview with the Servicebüro and through a partner system; Hamm still has a draft
(its demo login can finish it), Magdeburg reports itself dormant, Erfurt does not want the
seal. None of them holds a seal (the 2023/24 demo seals go to other alliances). Answers are derived from the cycle's own questionnaire, so the step
fits whatever questions the cycle has. Idempotent: an alliance that already has a response
in the cycle is left alone; without the cycle (or its questions) the step does nothing.
"""

from datetime import date
from typing import Any, Protocol

from sqlmodel import Session, col, select

from app.alliances.demo import DEMO_ALLIANCES
from app.alliances.models import Alliance
from app.alliances.schemas import slugify
from app.auth.models import ApiClient, ApiClientAlliance, User
from app.core import security
from app.cycles.models import AwardCycle
from app.questionnaire.models import Question
from app.questionnaire.service import questions_of
from app.surveys.eligibility import ineligibility_reason
from app.surveys.models import ResponseMode
from app.surveys.rules import normalised
from app.surveys.store import (
    find_response,
    finish_submit,
    sealed_alliances,
    write_content,
)

CYCLE_KEY = "2024/25"
ADMIN_EMAIL = "servicebuero@demo.lokale-buendnisse.de"
PARTNER_CLIENT_ID = "bcl_demo_familienportal"


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


def _demo_slug(name_part: str) -> str:
    for entry in DEMO_ALLIANCES:
        if name_part in entry["name"]:
            return slugify(entry["name"])
    raise LookupError(name_part)


# (alliance, mode, submitted, activity level 0-3, wants_seal, wants_future_project, reported)
PLAN: list[tuple[str, ResponseMode, bool, int, bool, bool, str | None]] = [
    ("Fürth", ResponseMode.online, True, 3, True, True, None),
    ("Hamm", ResponseMode.online, False, 2, True, True, None),
    ("Erfurt", ResponseMode.phone_interview, True, 2, False, True, None),
    ("Leipzig", ResponseMode.phone_interview, True, 1, True, False, None),
    ("Magdeburg", ResponseMode.phone_interview, True, 0, False, False, "dormant"),
    ("Nürnberger Land", ResponseMode.partner_import, True, 3, True, True, None),
    ("Kiel", ResponseMode.partner_import, True, 1, True, True, None),
]

_REMARK = ("Regelmäßige Treffen mit Stadt, Unternehmen und Trägern; neues Familienzentrum und "
           "ein Ferienbetreuungsangebot für berufstätige Eltern.")


def demo_answers(questions: list[Question], level: int, *, complete: bool,
                 variant: int = 0) -> dict[str, Any]:
    """Plausible answers for a questionnaire; ``level`` 0 (quiet) to 3 (very active), and
    ``variant`` so that alliances of one level still differ. A draft (``complete=False``)
    answers only the first half of the questions."""
    chosen = questions if complete else questions[: max(1, len(questions) // 2)]
    answers: dict[str, Any] = {}
    for position, question in enumerate(chosen):
        options = sorted(question.options, key=lambda o: float(o.get("points", 0) or 0))
        if question.type == "boolean":
            answers[question.key] = level >= (1 if (position + variant) % 2 == 0 else 2)
        elif question.type == "integer":
            answers[question.key] = level * (2 + position % 4) + (position + variant) % 3
        elif question.type == "single_choice" and options:
            answers[question.key] = str(options[min(level, len(options) - 1)]["value"])
        elif question.type == "multi_choice" and options:
            answers[question.key] = [str(o["value"]) for o in options[-(level + 1):]]
        elif question.type == "text":
            answers[question.key] = _REMARK if level else "Das Bündnis ruht derzeit."
        elif question.type == "date":
            answers[question.key] = date(2024, 3 + level, 12).isoformat()
    return answers


def _user_actor(session: Session, email: str) -> str | None:
    user_id = session.exec(select(User.id).where(User.email == email)).first()
    return f"user:{user_id}" if user_id is not None else None


def _partner_actor(session: Session, alliance_ids: list[int]) -> str:
    """The demo partner system (created once, restricted to the alliances it pushes for; its
    secret is random and unknown: rotate it through the clients API to use it)."""
    client = session.exec(select(ApiClient).where(ApiClient.client_id == PARTNER_CLIENT_ID)).first()
    if client is None:
        client = ApiClient(
            client_id=PARTNER_CLIENT_ID, name="Familienportal des Landes (Demo-Partnersystem)",
            secret_hash=security.hash_token(security.new_opaque_token("bcs")),
            scopes="surveys:read surveys:write", restricted_to_alliances=True,
        )
        session.add(client)
        session.flush()
    assert client.id is not None
    allowed = set(session.exec(
        select(ApiClientAlliance.alliance_id).where(ApiClientAlliance.client_pk == client.id)
    ).all())
    for alliance_id in set(alliance_ids) - allowed:
        session.add(ApiClientAlliance(client_pk=client.id, alliance_id=alliance_id))
    session.flush()
    return f"client:{client.id}"


def seed_responses(session: Session, report: Report) -> None:
    cycle = session.exec(select(AwardCycle).where(AwardCycle.key == CYCLE_KEY)).first()
    if cycle is None or cycle.id is None:
        return
    questions = questions_of(session, cycle.id)
    if not questions:
        return
    slugs = {name: _demo_slug(name) for name, *_ in PLAN}
    by_slug = {a.slug: a for a in session.exec(
        select(Alliance).where(col(Alliance.slug).in_(list(slugs.values())))).all()}
    sealed = sealed_alliances(session, [a.id for a in by_slug.values() if a.id is not None])
    admin = _user_actor(session, ADMIN_EMAIL) or "user:0"
    partner_ids = [by_slug[slugs[name]].id for name, mode, *_ in PLAN
                   if mode == ResponseMode.partner_import and slugs[name] in by_slug]
    partner = _partner_actor(session, [i for i in partner_ids if i is not None]) \
        if partner_ids else None
    for variant, (name, mode, submitted, level, wants_seal, wants_future, reported) in enumerate(PLAN):
        alliance = by_slug.get(slugs[name])
        if alliance is None or alliance.id is None:
            continue
        if find_response(session, cycle.id, alliance.id) is not None:
            continue
        if ineligibility_reason(alliance.status, alliance.id in sealed):
            continue
        if mode == ResponseMode.online:
            coordinator = _user_actor(session, f"koordination@{alliance.slug}.example.org")
            if coordinator is None:
                continue  # an online answer needs the alliance's own login
            actor = coordinator
        elif mode == ResponseMode.partner_import:
            actor = partner or admin
        else:
            actor = admin
        content = normalised({
            "answers": demo_answers(questions, level, complete=submitted, variant=variant),
            "wants_future_project": wants_future, "wants_seal": wants_seal,
            "reported_status": reported, "wants_finder_listing": alliance.listed_in_finder,
        })
        action = "import" if mode == ResponseMode.partner_import else "save"
        response = write_content(session, None, cycle_id=cycle.id, alliance_id=alliance.id,
                                 content=content, mode=mode, actor=actor, action=action)
        if submitted:
            finish_submit(session, response, alliance, questions, actor)
        report.count("survey responses")
    session.flush()
