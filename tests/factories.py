"""Factories that build rows directly through the test's session (no shared state)."""

import itertools
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import object_session
from sqlmodel import Session

from app.alliances.models import Alliance, AllianceContact, AlliancePartner
from app.auth.models import ApiClient, ApiClientAlliance, AuthSession, Role, User
from app.core import security

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
# Hashing once keeps argon2 (deliberately slow) out of every test.
PASSWORD_HASH = security.hash_password(PASSWORD)


def make_alliance(session: Session, **overrides: Any) -> Alliance:
    n = next(_seq)
    contacts = overrides.pop("contacts", None)
    partners = overrides.pop("partners", None)
    fields: dict[str, Any] = {
        "name": f"Lokales Bündnis für Familie Teststadt {n}",
        "slug": f"teststadt-{n}-{security.new_opaque_token('x')[-6:].lower()}",
        "state": "DE-BY",
        "level": "city",
        "municipality": f"Teststadt {n}",
        "listed_in_finder": True,
    }
    fields.update(overrides)
    alliance = Alliance(**fields)
    alliance.partners = [AlliancePartner(**p) for p in (partners or [
        {"name": "Stadtverwaltung", "sector": "municipality"},
        {"name": "Caritas", "sector": "welfare"},
    ])]
    alliance.contacts = [AllianceContact(**c) for c in (contacts if contacts is not None else [
        {"name": f"Kontakt Person {n}", "function": "Koordination",
         "email": f"kontakt{n}@example.org", "phone": "+49 911 123456"},
    ])]
    session.add(alliance)
    session.commit()
    return alliance


def make_user(
    session: Session, role: Role = Role.alliance_user, alliance: Alliance | None = None,
    **overrides: Any,
) -> User:
    n = next(_seq)
    user = User(
        email=overrides.pop("email", f"user{n}@example.org"),
        full_name=overrides.pop("full_name", f"Test Person {n}"),
        role=role,
        alliance_id=alliance.id if alliance else None,
        password_hash=overrides.pop("password_hash", PASSWORD_HASH),
        **overrides,
    )
    session.add(user)
    session.commit()
    _made_in[id(user)] = (weakref.ref(user), session.get_bind())
    return user


def make_client(
    session: Session, scopes: tuple[str, ...] = ("alliances:read", "surveys:write"),
    alliances: list[Alliance] | None = None, secret: str = "client-secret-for-tests",
) -> ApiClient:
    n = next(_seq)
    client = ApiClient(
        client_id=f"bcl_test_{n}", name=f"Partnersystem {n}",
        secret_hash=security.hash_token(secret), scopes=" ".join(scopes),
        restricted_to_alliances=alliances is not None,
    )
    session.add(client)
    session.flush()
    assert client.id is not None
    for alliance in alliances or []:
        assert alliance.id is not None
        session.add(ApiClientAlliance(client_pk=client.id, alliance_id=alliance.id))
    session.commit()
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Where each user a factory made lives, so a token can be minted for it after its test session
# closed (race fixtures commit in a session of their own). Keyed by the object's identity and
# checked through a weak reference: User rows are not hashable.
_made_in: dict[int, tuple["weakref.ref[User]", Engine | Connection]] = {}


def new_auth_session(session: Session, user: User) -> int:
    """A sign-in's session row for ``user``: every user token the server accepts names one."""
    auth_session = AuthSession(user_id=user.id)
    session.add(auth_session)
    session.commit()
    assert auth_session.id is not None
    return auth_session.id


def user_headers(user: User) -> dict[str, str]:
    """A token as a sign-in gives it: bound to a new session of the user (the server refuses
    user tokens without one)."""
    assert user.id is not None
    session = object_session(user)
    if session is not None:
        session_id = new_auth_session(session, user)
    else:
        ref, bind = _made_in.get(id(user), (None, None))
        assert ref is not None and ref() is user and bind is not None, (
            "user_headers needs a user attached to a session or made by make_user")
        with Session(bind) as own:
            session_id = new_auth_session(own, user)
    token, _ = security.create_access_token("user", user.id, session_id=session_id)
    return bearer(token)


def client_headers(client: ApiClient, scopes: tuple[str, ...] | None = None) -> dict[str, str]:
    assert client.id is not None
    token, _ = security.create_access_token(
        "client", client.id, scopes=scopes if scopes is not None else tuple(client.scopes.split()),
        credential=security.credential_fingerprint(client.secret_hash),
    )
    return bearer(token)


# --- the yearly cycle ------------------------------------------------------------------------

def make_cycle(session: Session, **overrides: Any) -> "AwardCycle":
    from datetime import timedelta

    from app.core.db import utcnow
    from app.cycles.models import AwardCycle, CycleStatus

    n = next(_seq)
    year = 2000 + n % 90
    now = utcnow()
    fields: dict[str, Any] = {
        "key": f"{year}/{(year + 1) % 100:02d}-{n}",
        "slug": f"{year}-{(year + 1) % 100:02d}-{n}",
        "seal_title": f"Ausgezeichnetes Bündnis {year}/{(year + 1) % 100:02d}",
        "opens_at": now - timedelta(days=10),
        "closes_at": now + timedelta(days=20),
        "status": CycleStatus.survey_open,
    }
    fields.update(overrides)
    cycle = AwardCycle(**fields)
    session.add(cycle)
    session.commit()
    return cycle


STANDARD_QUESTIONS: list[dict[str, Any]] = [
    {"key": "partner_meetings", "text": "Wie oft trifft sich das Bündnis im Jahr?",
     "type": "integer", "required": True, "criterion_group": "networking",
     "scoring": {"kind": "per_unit", "points_per_unit": 1, "cap": 6}, "weight": 1.0},
    {"key": "press_coverage", "text": "Wurde in der Presse über das Bündnis berichtet?",
     "type": "boolean", "required": True, "criterion_group": "visibility",
     "scoring": {"kind": "if_yes", "points": 3}, "weight": 1.0},
    {"key": "offer_frequency", "text": "Wie regelmäßig gibt es Angebote für Familien?",
     "type": "single_choice", "required": True, "criterion_group": "offers",
     "options": [{"value": "rarely", "label": "selten", "points": 0},
                 {"value": "quarterly", "label": "vierteljährlich", "points": 2},
                 {"value": "monthly", "label": "monatlich", "points": 4}],
     "scoring": {"kind": "per_option"}, "weight": 2.0},
    {"key": "future_topics", "text": "Zu welchen Zukunftsthemen arbeitet das Bündnis?",
     "type": "multi_choice", "required": False, "criterion_group": "future",
     "options": [{"value": "care_work", "label": "Vereinbarkeit von Familie, Pflege und Beruf", "points": 1},
                 {"value": "childcare", "label": "Kinderbetreuung", "points": 1},
                 {"value": "low_income", "label": "Familien mit geringen Einkommen", "points": 1},
                 {"value": "company_policy", "label": "familienbewusste Unternehmenspolitik", "points": 1}],
     "scoring": {"kind": "per_option"}, "weight": 1.0},
    {"key": "remarks", "text": "Anmerkungen", "type": "text", "required": False,
     "scoring": {"kind": "none"}, "weight": 0.0},
    {"key": "last_event_on", "text": "Datum der letzten Veranstaltung", "type": "date",
     "required": False, "scoring": {"kind": "none"}, "weight": 0.0},
]


def make_questions(session: Session, cycle: "AwardCycle", specs: list[dict[str, Any]] | None = None) -> list["Question"]:
    from app.questionnaire.models import Question

    questions = []
    for position, spec in enumerate(specs if specs is not None else STANDARD_QUESTIONS):
        question = Question(cycle_id=cycle.id, position=position, **spec)
        session.add(question)
        questions.append(question)
    session.commit()
    return questions


GOOD_ANSWERS: dict[str, Any] = {
    "partner_meetings": 8, "press_coverage": True, "offer_frequency": "monthly",
    "future_topics": ["childcare", "care_work"], "remarks": "Alles gut", "last_event_on": "2024-05-04",
}


def make_response(
    session: Session, cycle: "AwardCycle", alliance: Alliance, *, submitted: bool = True,
    answers: dict[str, Any] | None = None, **overrides: Any,
) -> "SurveyResponse":
    from app.core.db import utcnow
    from app.surveys.models import ResponseMode, ResponseStatus, SurveyResponse

    fields: dict[str, Any] = {
        "cycle_id": cycle.id, "alliance_id": alliance.id,
        "answers": dict(GOOD_ANSWERS if answers is None else answers),
        "wants_future_project": True, "wants_seal": True,
        "mode": ResponseMode.online, "entered_by": "user:0",
        "status": ResponseStatus.submitted if submitted else ResponseStatus.draft,
        "submitted_at": utcnow() if submitted else None,
    }
    fields.update(overrides)
    response = SurveyResponse(**fields)
    session.add(response)
    session.commit()
    return response


def make_evaluation_run(session: Session, cycle: "AwardCycle",
                        results: list[tuple[Alliance, bool]]) -> "EvaluationRun":
    """An evaluation run of ``cycle``; ``results``: (alliance, invited_to_future_project)
    pairs (a response is made for alliances without one)."""
    from sqlmodel import select

    from app.evaluation.models import Evaluation, EvaluationRun
    from app.surveys.models import SurveyResponse

    run = EvaluationRun(cycle_id=cycle.id, started_by="user:0")
    session.add(run)
    session.flush()
    for alliance, invited in results:
        response = session.exec(select(SurveyResponse).where(
            SurveyResponse.cycle_id == cycle.id, SurveyResponse.alliance_id == alliance.id,
        )).first() or make_response(session, cycle, alliance)
        session.add(Evaluation(run_id=run.id, cycle_id=cycle.id, alliance_id=alliance.id,
                               response_id=response.id, activity_score=10.0,
                               meets_criteria=invited, wants_future_project=True,
                               invited_to_future_project=invited))
    session.commit()
    return run


if TYPE_CHECKING:
    from app.cycles.models import AwardCycle
    from app.evaluation.models import EvaluationRun
    from app.questionnaire.models import Question
    from app.surveys.models import SurveyResponse


# --- evaluation and awards -------------------------------------------------------------------

def make_scored_response(
    session: Session, cycle: "AwardCycle", alliance: Alliance, *,
    answers: dict[str, Any] | None = None, **overrides: Any,
) -> "SurveyResponse":
    """A response whose activity_score and score_breakdown are computed from the cycle's
    questionnaire, as on submission."""
    from sqlmodel import col, select

    from app.questionnaire.models import Question
    from app.questionnaire.rules import score

    questions = session.exec(
        select(Question).where(Question.cycle_id == cycle.id).order_by(col(Question.position))
    ).all()
    result = score(questions, GOOD_ANSWERS if answers is None else answers)
    overrides.setdefault("activity_score", result.total)
    overrides.setdefault("score_breakdown", result.breakdown)
    return make_response(session, cycle, alliance, answers=answers, **overrides)


# Fits STANDARD_QUESTIONS; GOOD_ANSWERS meet every criterion (networking 6, visibility 3,
# offers 8, future 2, total 19).
STANDARD_CRITERIA: list[dict[str, Any]] = [
    {"key": "networking", "label": "Gute Vernetzung",
     "explanation": "Regelmäßige Treffen und Partner vor Ort.",
     "rule": {"kind": "all_of", "rules": [
         {"kind": "group_score_at_least", "group": "networking", "min": 4},
         {"kind": "partners_at_least", "min": 2}]}},
    {"key": "visibility", "label": "Gute Sichtbarkeit",
     "rule": {"kind": "answer", "question": "press_coverage", "op": "eq", "value": True}},
    {"key": "activity", "label": "Aktive Bündnisarbeit",
     "rule": {"kind": "total_score_at_least", "min": 12}},
    {"key": "interest", "label": "Interesse am Siegel", "rule": {"kind": "wants_seal"}},
]


def make_criteria(
    session: Session, cycle: "AwardCycle", specs: list[dict[str, Any]] | None = None,
) -> list["SealCriterion"]:
    from app.evaluation.models import SealCriterion

    rows = [
        SealCriterion(cycle_id=cycle.id, key=spec["key"], label=spec["label"],
                      explanation=spec.get("explanation"), rule=spec["rule"], position=position)
        for position, spec in enumerate(STANDARD_CRITERIA if specs is None else specs)
    ]
    session.add_all(rows)
    session.commit()
    return rows


def make_award(
    session: Session, cycle: "AwardCycle", alliance: Alliance, **overrides: Any,
) -> "Award":
    """A confirmed seal of ``cycle`` for ``alliance`` (pass status="withdrawn" for a withdrawn one)."""
    from datetime import date

    from app.awards.models import Award, AwardStatus
    from app.awards.service import new_verification_code

    fields: dict[str, Any] = {
        "cycle_id": cycle.id, "alliance_id": alliance.id, "title": cycle.seal_title,
        "awarded_on": cycle.ceremony_on or date(2023, 11, 24), "status": AwardStatus.confirmed,
        "verification_code": new_verification_code(), "confirmed_by": "user:0",
    }
    fields.update(overrides)
    award = Award(**fields)
    session.add(award)
    session.commit()
    return award


def give_seal(session: Session, alliance: Alliance, status: str = "confirmed") -> "Award":
    """The alliance holds the seal of an earlier, awarded cycle (or a withdrawn one)."""
    earlier = make_cycle(session, status="awarded")
    return make_award(session, earlier, alliance, status=status)


if TYPE_CHECKING:
    from app.awards.models import Award
    from app.evaluation.models import SealCriterion


def make_pat(session: Session, owner: User, scopes: str = "api:read api:write") -> "PersonalAccessToken":
    from datetime import timedelta

    from app.auth.models import PersonalAccessToken
    from app.core.db import utcnow

    pat = PersonalAccessToken(
        user_id=owner.id, name=f"Skript {next(_seq)}",
        token_hash=security.hash_token(security.new_opaque_token("bpat")),
        scopes=scopes, expires_at=utcnow() + timedelta(days=30),
    )
    session.add(pat)
    session.commit()
    return pat


if TYPE_CHECKING:
    from app.auth.models import PersonalAccessToken


# --- events and inquiries ---------------------------------------------------------------------

def make_event(session: Session, **overrides: Any) -> "Event":
    """A published, invitation-only workshop two months ahead (pass overrides to change it).
    ``topics`` takes topic numbers (1-4); ``invited`` takes alliances to invite manually."""
    from datetime import timedelta

    from sqlmodel import select

    from app.core.db import utcnow
    from app.events.models import (
        Event,
        EventInvitation,
        EventKind,
        EventStatus,
        EventTopic,
        FutureTopic,
    )

    topics = overrides.pop("topics", (2,))
    invited = overrides.pop("invited", ())
    n = next(_seq)
    starts = utcnow() + timedelta(days=60)
    fields: dict[str, Any] = {
        "kind": EventKind.workshop, "status": EventStatus.published,
        "title": f"Zukunftswerkstatt {n}", "starts_at": starts, "ends_at": starts + timedelta(hours=6),
        "venue": "Hamm", "state": "NW", "invitation_only": True,
    }
    fields.update(overrides)
    event = Event(**fields)
    session.add(event)
    session.flush()
    for number in topics:
        topic = session.exec(select(FutureTopic).where(FutureTopic.number == number)).one()
        session.add(EventTopic(event_id=event.id, topic_id=topic.id))
    for alliance in invited:
        session.add(EventInvitation(event_id=event.id, alliance_id=alliance.id, basis="manual",
                                    invited_by="user:0"))
    session.commit()
    return event


def make_delegate(session: Session, event: "Event", alliance: Alliance, **overrides: Any) -> "EventDelegate":
    from app.events.models import EventDelegate

    n = next(_seq)
    fields: dict[str, Any] = {
        "event_id": event.id, "alliance_id": alliance.id, "name": f"Delegierte Person {n}",
        "function": "Sprecherin", "email": f"delegierte{n}@example.org", "phone": f"+49 30 55{n:05d}",
        "registered_by": "user:0",
    }
    fields.update(overrides)
    delegate = EventDelegate(**fields)
    session.add(delegate)
    session.commit()
    return delegate


def make_inquiry(session: Session, alliance: Alliance | None = None, **overrides: Any) -> "Inquiry":
    """An open inquiry with one message from the requester."""
    from app.inquiries.models import Inquiry, InquiryCategory, InquiryMessage, MessageAuthor

    n = next(_seq)
    body = overrides.pop("message", "Wir haben keine Nachricht zur Bündnisumfrage erhalten.")
    fields: dict[str, Any] = {
        "alliance_id": alliance.id if alliance is not None else None,
        "category": InquiryCategory.missing_notice, "subject": f"Keine Umfrage erhalten {n}",
        "requester_name": f"Anfragende Person {n}", "requester_email": f"anfrage{n}@example.org",
        "requester_phone": f"+49 40 66{n:05d}",
    }
    fields.update(overrides)
    inquiry = Inquiry(**fields)
    session.add(inquiry)
    session.flush()
    session.add(InquiryMessage(inquiry_id=inquiry.id, author=MessageAuthor.requester, body=body))
    session.commit()
    return inquiry


if TYPE_CHECKING:
    from app.events.models import Event, EventDelegate
    from app.inquiries.models import Inquiry


# --- FAQ and calendar feeds -------------------------------------------------------------------

def make_faq_entry(session: Session, **overrides: Any) -> "FaqEntry":
    """A published FAQ entry on the survey (pass is_published=False for a draft)."""
    from app.core.db import utcnow
    from app.faq.models import FaqCategory, FaqEntry
    from app.faq.search import fold

    n = next(_seq)
    fields: dict[str, Any] = {
        "category": FaqCategory.survey, "position": n % 1000,
        "question": f"Wer kann an der Bündnisumfrage teilnehmen? ({n})",
        "answer": "Alle Lokalen Bündnisse, die bisher **kein Siegel** erhalten haben.",
        "is_published": True, "published_at": utcnow(), "created_by": "user:0",
    }
    fields.update(overrides)
    fields.setdefault("search_text", fold(f"{fields['question']}\n{fields['answer']}"))
    faq_entry = FaqEntry(**fields)
    session.add(faq_entry)
    session.commit()
    return faq_entry


def make_calendar_feed(session: Session, alliance: Alliance) -> tuple["CalendarFeed", str]:
    """An active calendar feed of ``alliance`` and its secret (the token in the URL)."""
    from app.events.calendar_models import CalendarFeed
    from app.events.calendar_service import FEED_PREFIX

    token = security.new_opaque_token(FEED_PREFIX)
    feed = CalendarFeed(alliance_id=alliance.id, token_hash=security.hash_token(token),
                        created_by="user:0")
    session.add(feed)
    session.commit()
    return feed, token


# --- workgroups -----------------------------------------------------------------------------

def make_workgroup(session: Session, cycle: "AwardCycle", **overrides: Any) -> "Workgroup":
    """An active workgroup of ``cycle`` on topic 1 (``topic`` takes a number 1-4);
    ``members`` takes alliances to make active members (basis manual)."""
    from sqlmodel import select

    from app.events.models import FutureTopic
    from app.workgroups.models import MemberStatus, Workgroup, WorkgroupMember

    number = overrides.pop("topic", 1)
    members = overrides.pop("members", ())
    topic = session.exec(select(FutureTopic).where(FutureTopic.number == number)).one()
    fields: dict[str, Any] = {"cycle_id": cycle.id, "topic_id": topic.id,
                              "title": f"Arbeitsrunde {next(_seq)}", "status": "active"}
    fields.update(overrides)
    workgroup = Workgroup(**fields)
    session.add(workgroup)
    session.flush()
    for alliance in members:
        session.add(WorkgroupMember(workgroup_id=workgroup.id, alliance_id=alliance.id,
                                    status=MemberStatus.active, basis="manual",
                                    reason="Testmitglied"))
    session.commit()
    return workgroup


def make_workgroup_result(session: Session, workgroup: "Workgroup", **overrides: Any) -> "WorkgroupResult":
    from app.core.db import utcnow
    from app.workgroups.models import WorkgroupResult

    fields: dict[str, Any] = {"workgroup_id": workgroup.id, "title": f"Ergebnis {next(_seq)}",
                              "summary": "Kurzfassung", "body": "## Text", "status": "draft",
                              "created_by": "user:0"}
    fields.update(overrides)
    if fields["status"] == "published" and "published_at" not in fields:
        fields["published_at"] = utcnow()
    result = WorkgroupResult(**fields)
    session.add(result)
    session.commit()
    return result


def make_webhook_endpoint(session: Session, client: ApiClient | None = None,
                          **overrides: Any) -> tuple["WebhookEndpoint", "WebhookDelivery"]:
    """An active endpoint (for ``client``, or the Servicebüro's) with one delivered event."""
    from app.core.db import utcnow
    from app.webhooks import signing
    from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

    fields: dict[str, Any] = {"url": "https://93.184.215.14/hooks", "client_pk": client.id if client else None,
                              "event_types": ["award.confirmed"], "secret": signing.new_secret(),
                              "created_by": "user:0"}
    fields.update(overrides)
    endpoint = WebhookEndpoint(**fields)
    session.add(endpoint)
    session.flush()
    assert endpoint.id is not None
    delivery = WebhookDelivery(endpoint_id=endpoint.id, message_id=f"msg_{next(_seq)}",
                               event_type="award.confirmed", payload="{}", attempts=1,
                               status=DeliveryStatus.succeeded, delivered_at=utcnow(),
                               last_status_code=204)
    session.add(delivery)
    session.commit()
    return endpoint, delivery


if TYPE_CHECKING:
    from app.events.calendar_models import CalendarFeed
    from app.faq.models import FaqEntry
    from app.webhooks.models import WebhookDelivery, WebhookEndpoint
    from app.workgroups.models import Workgroup, WorkgroupResult
